/**
 * What the HTTP API accepts, as zod schemas built from the producer's own request schemas (so the
 * two never disagree). The HTTP forms are strict: an unknown field is refused by name rather than
 * silently dropped, because a misspelt field (`phone` for `phones`) would otherwise send something
 * other than what was meant. The idempotency key travels in the `Idempotency-Key` header.
 */
import { z } from 'zod';
import { ENCODING_CHOICES, FILE_ENCODING_NAMES, unknownEncoding } from '../producers/encoding-names.js';
import { CampaignRequest, IdempotencyKey, MESSAGES_NOT_A_LIST, NO_MESSAGE, PHONE_TOO_LONG, SendBatchRequest, SendRequest, wireDeadline } from '../producers/schemas.js';
import { DEFAULT_RECIPIENT_PAGE, MAX_RECIPIENT_PAGE } from '../src/queue/recipient-cursor.js';
import { MESSAGE_KINDS } from '../src/queue/kinds.js';
import { DEFAULT_SEND_PAGE, MAX_SEND_PAGE } from '../src/queue/send-index.js';
import { SEND_STATES } from '../src/queue/lifecycle.js';
import { fieldIssuesFromZod, fieldIssuesNamingUnknownKeys, ValidationError, type FieldIssue, type ValueForm } from '../src/errors.js';
import { fieldsAt, isOptionalAt, meantNames } from '../src/unknown-fields.js';
import { MAX_JSON_DEPTH, prototypeKey, TOO_DEEP } from './json-body.js';
import { scanJsonText } from '../src/duplicate-keys.js';
import { notASendId, SEND_ID_PATTERN } from '../src/send-id-shape.js';

/** What JSON can carry of a deadline (the Node API takes a Date too). */
const deadline = wireDeadline.optional();

/** `POST /v1/messages`: one message to many numbers. */
export const SendBody = z.strictObject({ ...SendRequest.omit({ idempotencyKey: true }).shape, deadline }).meta({
  id: 'SendRequest',
  examples: [
    { phones: ['13800138000', '+86 139 0013 9000'], signName: 'smsq沙箱', templateCode: 'SMS_900000002', templateParam: { name: 'Li', order: '1001' } },
    { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_900000001', templateParam: { code: '123456' }, kind: 'verification', deadline: '2026-11-25T20:00:00+08:00' },
  ],
});

/** `POST /v1/batches`: personalised messages, one template. */
export const SendBatchBody = z.strictObject({
  ...SendBatchRequest.omit({ idempotencyKey: true, messages: true }).shape,
  deadline,
  messages: z
    .array(z.strictObject(SendBatchRequest.shape.messages.element.shape), { message: MESSAGES_NOT_A_LIST })
    .min(1, { message: NO_MESSAGE }),
}).meta({
  id: 'SendBatchRequest',
  examples: [
    {
      templateCode: 'SMS_900000002',
      messages: [
        { phone: '13800138000', signName: 'smsq沙箱', templateParam: { name: 'Li', order: '1001' } },
        { phone: '13900139000', signName: 'smsq沙箱', templateParam: { name: 'Wang', order: '1002' } },
      ],
    },
    {
      templateCode: 'SMS_900000002',
      messages: [
        { phone: '13800138000', signName: 'smsq沙箱', templateParam: { name: 'Li', order: '1001' }, smsUpExtendCode: '01' },
        { phone: '13900139000', signName: 'smsq沙箱', templateParam: { name: 'Wang', order: '1002' }, smsUpExtendCode: '02' },
      ],
    },
  ],
});

const campaignSettings = { ...CampaignRequest.omit({ idempotencyKey: true }).shape, deadline };

/** `POST /v1/campaigns` with a JSON body. Large lists belong in a CSV upload. */
export const CampaignBody = z.strictObject({
  ...campaignSettings,
  recipients: z
    .array(
      z.strictObject({
        phone: z.string({ message: 'must be a phone number, as a string. Fix: e.g. "phone":"138-0013-8000"' }).max(32, { message: PHONE_TOO_LONG }),
        params: CampaignRequest.shape.templateParam,
      }),
      { message: 'must be a list of {phone, params?}. Fix: e.g. [{"phone":"138-0013-8000","params":{"name":"Li"}}]' },
    )
    .min(1, { message: 'needs at least one recipient. Fix: give one, e.g. [{"phone":"138-0013-8000"}]; a large list goes as a CSV upload' }),
}).meta({
  id: 'CampaignRequest',
  examples: [
    {
      signName: 'smsq沙箱',
      templateCode: 'SMS_900000003',
      name: 'spring-sale',
      recipients: [{ phone: '13800138000', params: { name: 'Li' } }, { phone: '13900139000', params: { name: 'Wang' } }],
    },
  ],
});

/** Parses a JSON object passed as a query-string value. */
const jsonObject = z.string().transform((v, ctx) => {
  // Read before it is parsed, as a JSON body is (json-body.ts).
  const { tooDeep, repeatedKeys } = scanJsonText(v, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    ctx.addIssue({ code: 'custom', path: tooDeep === '' ? [] : tooDeep.split('.'), message: `${TOO_DEEP}. Fix: templateParam={"name":"Li"}, one object of strings (URL-encoded)` });
    return z.NEVER;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(v) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object. Fix: templateParam={"name":"Li"}, one object of strings (URL-encoded)' });
    return z.NEVER;
  }
  // JSON.parse keeps a repeated key's last value, as in a JSON body (see json-body.ts): refused alike.
  if (repeatedKeys !== undefined) {
    for (const repeated of repeatedKeys) ctx.addIssue({ code: 'custom', path: repeated.split('.'), message: 'is given twice; JSON keeps the last, so the first would be dropped. Fix: give it once' });
    return z.NEVER;
  }
  // Refused as in a JSON body (json-body.ts); taken, the key was dropped without a word.
  const prototype = prototypeKey(parsed);
  if (prototype !== undefined) {
    ctx.addIssue({ code: 'custom', path: prototype.split('.'), message: 'is refused in any JSON value: a key that reaches an object\'s prototype (__proto__, or constructor holding prototype), which no template variable is. Fix: remove it' });
    return z.NEVER;
  }
  return parsed;
});

/** `POST /v1/campaigns` with a `text/csv` body: the settings come in the query string. */
export const CampaignQuery = z.strictObject({
  ...campaignSettings,
  signName: campaignSettings.signName.meta({ description: 'File uploads only: the approved signature' }),
  templateCode: campaignSettings.templateCode.meta({ description: 'File uploads only: the template, e.g. SMS_123456789' }),
  templateParam: jsonObject
    .pipe(campaignSettings.templateParam)
    .optional()
    .meta({ description: 'File uploads only: shared template params as a URL-encoded JSON object; file columns override them' }),
  kind: campaignSettings.kind.meta({ description: 'File uploads only: verification, notification or marketing (default marketing)' }),
  /** The CSV's encoding; default: recognised from its bytes. */
  encoding: z
    .string()
    .transform((name, ctx) => {
      const encoding = FILE_ENCODING_NAMES[name.trim().toLowerCase()];
      if (encoding === undefined) ctx.addIssue({ code: 'custom', message: unknownEncoding(name) });
      return encoding ?? z.NEVER;
    })
    .optional()
    .meta({ description: `CSV uploads only: the file's encoding, ${ENCODING_CHOICES} (default: recognised from its bytes)` }),
  /** An .xlsx upload's sheet; default the first. */
  sheet: z
    .string()
    .min(1, { message: 'must not be empty. Fix: the name of a sheet of the workbook, or leave it out for the first' })
    .max(200, { message: 'must be at most 200 characters: no sheet name is longer. Fix: the name of a sheet of the workbook, or leave it out for the first' })
    .optional().meta({ description: '.xlsx uploads only: the sheet to read (default: the first)' }),
});

/** A CSV upload to `POST /v1/campaigns` (documentation: the bytes are read by the CSV reader). */
export const CsvUpload = z.string().meta({
  description: 'UTF-8, UTF-16 with a BOM, or GB18030/GBK; values separated by commas, or by tabs or semicolons when the header is. The first row names the number column (phone, mobile, 手机号, ...) and optional per-recipient template variables; without a header, one number per line',
});

/** An .xlsx workbook upload to `POST /v1/campaigns`, read like a CSV file (its first sheet, or `sheet`). */
export const XlsxUpload = z.string().meta({ format: 'binary', description: 'An .xlsx workbook, read like a CSV file' });

/** `GET /v1/sends/:id`: no query; the recipients are listed by `GET /v1/sends/:id/recipients`. */
export const SendStatusQuery = z.strictObject({});

/** What `GET /v1/sends/:id` took before recipients were paged by cursor: refused with where they went. */
export const MOVED_STATUS_QUERY = ['recipients', 'limit', 'offset'] as const;

/**
 * A `limit` query parameter: a page of 1..max `what`, `fallback` when absent. Read as decimal digits
 * only: a number coerced from any text took `1e1` as 10 and `0x10` as 16, page sizes no client meant.
 */
function pageLimit(max: number, fallback: number, what: string) {
  const message = `must be a whole number from 1 to ${max}. Fix: ?limit=${fallback}, or leave it out for ${fallback}`;
  const digitsOnly = (value: unknown) => (typeof value === 'string' && !/^[0-9]{1,9}$/.test(value) ? Number.NaN : value);
  return z
    .preprocess(digitsOnly, z.coerce.number({ message }).int({ message }).min(1, { message }).max(max, { message }))
    .default(fallback)
    // The digits check is a preprocess, which JSON Schema cannot show: the document says what it takes.
    .meta({ description: `${what} per page, 1..${max} (default ${fallback})`, type: 'integer', minimum: 1, maximum: max, default: fallback });
}

/** What a cursor longer than any `next` is told. */
export const CURSOR_TOO_LONG = 'is longer than any cursor (400 characters at most). Fix: pass the `next` value of the previous page unchanged, or leave the cursor out for the first page';

/** `GET /v1/sends/:id/recipients?limit=1000&cursor=...`: a page of recipients. */
export const RecipientsQuery = z.strictObject({
  limit: pageLimit(MAX_RECIPIENT_PAGE, DEFAULT_RECIPIENT_PAGE, 'Recipients'),
  cursor: z
    .string()
    .max(400, { message: CURSOR_TOO_LONG })
    .optional()
    .meta({ description: 'The `next` of the previous page, unchanged; absent: the first page' }),
});

/** `GET /v1/sends?kind=&state=&cursor=&limit=`: a page of sends, newest first. */
export const SendsQuery = z.strictObject({
  kind: z
    .enum(MESSAGE_KINDS, { message: `must be one of ${MESSAGE_KINDS.join(', ')}. Fix: ?kind=notification, or leave it out for every kind` })
    .optional()
    .meta({ description: 'Only sends of this kind' }),
  state: z
    .enum(SEND_STATES, { message: `must be one of ${SEND_STATES.join(', ')}. Fix: ?state=active, or leave it out for every state` })
    .optional()
    .meta({ description: 'Only sends in this state (`send.state`, the send lifecycle)' }),
  cursor: z.string().max(400, { message: CURSOR_TOO_LONG }).optional().meta({ description: 'The `next` of the previous page, unchanged; absent: the newest send' }),
  limit: pageLimit(MAX_SEND_PAGE, DEFAULT_SEND_PAGE, 'Sends'),
});

export const SendIdParams = z.strictObject({
  id: z
    .string()
    // A BizId with its `^0` is no send id by its shape: told as what it is, as the CLI tells it.
    .regex(SEND_ID_PATTERN, { error: (issue) => notASendId(String(issue.input), 'the sendId of a send (GET /v1/sends lists them)', 'api') })
    .meta({ description: 'The send id an enqueue answered with' }),
});

/** The `Idempotency-Key` header (documentation; {@link idempotencyKeyOf} reads it). */
export const IdempotencyHeaders = z.object({
  'Idempotency-Key': IdempotencyKey.optional().meta({
    description:
      'Makes a retry safe: the same key with the same request within 24 h answers the first request\'s send (`duplicate: true`) and enqueues nothing; with another request, 422',
  }),
});

/**
 * Field issues from zod issues, with unknown fields named one by one; given the `schema`, each with
 * the field it was most likely meant to be.
 */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], root = '', form: ValueForm = 'json', schema?: z.ZodType): FieldIssue[] {
  return fieldIssuesNamingUnknownKeys(
    issues,
    (key, path) => {
      // The key travels as a header: a body field spelt like it (idempotency_key) is meant for the header too.
      const meant = key === 'idempotencyKey' ? [key] : schema ? meantNames(key, [...fieldsAt(schema, path), ...(path.length === 0 ? ['idempotencyKey'] : [])]) : [];
      // Text is a query string here (an upload's settings): "the body" sent its caller looking in the wrong place.
      if (meant.length === 1 && meant[0] === 'idempotencyKey') return `is not accepted in the ${form === 'text' ? 'query string' : 'body'}. Fix: send it as the Idempotency-Key header`;
      if (meant.length > 0) return `is not a field of this request. Fix: write it as ${meant.join(' or ')} (field names must match exactly)`;
      // A recipient's own field: most likely a template param written beside phone rather than under params.
      if (isRecipientPath(path)) return `is not a field of a recipient ({phone, params?}). Fix: a template param goes under params, e.g. ${JSON.stringify({ phone: '138-0013-8000', params: { [key]: '...' } })}; anything else, remove it`;
      return 'is not a field of this request. Fix: remove it or check its spelling (see /openapi.json)';
    },
    root,
    form,
    schema ? (path) => isOptionalAt(schema, path) : undefined,
  );
}

/** The path of one recipient of a JSON campaign body (`recipients[3]`), where its unknown fields are. */
const isRecipientPath = (path: readonly PropertyKey[]) => path.length === 2 && path[0] === 'recipients' && typeof path[1] === 'number';

/** What zod says of a list where one value goes: in text, {@link fieldIssuesFromZod} reads it as a parameter given twice. */
const GIVEN_TWICE = 'Invalid input: expected string, received array';

/**
 * Parses `value` or throws a {@link ValidationError} naming every bad field; `form`: a JSON body, or
 * text (query string, path).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, root = '', form: ValueForm = 'json'): z.output<S> {
  const parsed = schema.safeParse(value);
  // In text, a list is a parameter given twice: said as such, not as what its schema makes of a
  // list (`limit=5&limit=6` coerces to NaN, "must be a whole number").
  const lists = form === 'text' && value !== null && typeof value === 'object' ? Object.keys(value).filter((k) => Array.isArray((value as Record<string, unknown>)[k])) : [];
  if (parsed.success && lists.length === 0) return parsed.data;
  const issues = parsed.success ? [] : parsed.error.issues;
  const unknown = new Set(issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : [])));
  const twice = lists.filter((k) => !unknown.has(k));
  throw new ValidationError([
    ...fieldIssuesFromZod(twice.map((k) => ({ path: [k], message: GIVEN_TWICE })), root, form),
    ...issuesFromZod(issues.filter((i) => !twice.includes(String(i.path[0]))), root, form, schema),
  ]);
}

/**
 * Parses a route's path parameters or throws a {@link ValidationError} whose issues are named
 * `(path)`, as http-api.md names whatever is wrong with a path (the router's refusals, a raw
 * character): a send's status named its id `id`, its controls `params.id`, and neither is a field
 * a caller sent.
 */
export function parsePathOrThrow<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  try {
    return parseOrThrow(schema, params, '', 'text');
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(err.issues.map((issue) => ({ ...issue, field: '(path)' })));
    throw err;
  }
}

/** What a parameter is told on a route whose fields all come in the JSON body. */
export const QUERY_OF_JSON_BODY = 'is not read from the query string: this request takes its fields in the JSON body. Fix: move it into the JSON body, and drop the query string';

/**
 * Refuses a query string on a route that reads none, naming each parameter: unread, it would be
 * dropped silently (`POST /v1/messages?kind=marketing` went out as a notification).
 */
export function refuseQuery(query: unknown, message: string): void {
  const names = query !== null && typeof query === 'object' ? Object.keys(query) : [];
  if (names.length > 0) throw new ValidationError(names.map((name) => ({ field: `query.${name}`, message })));
}

/** The `Idempotency-Key` header, validated; undefined when absent. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  // Node joins a header sent twice into one value ("a, b"), as HTTP reads a comma-separated list;
  // a key has no comma, so one is the second key.
  if (Array.isArray(header) || header.includes(',')) {
    throw new ValidationError([{ field: 'Idempotency-Key', message: 'appears more than once. Fix: send one Idempotency-Key header' }]);
  }
  const parsed = IdempotencyKey.safeParse(header);
  if (!parsed.success) throw new ValidationError(fieldIssuesFromZod(parsed.error.issues, 'Idempotency-Key'));
  return parsed.data;
}
