/**
 * What the HTTP API accepts, as zod schemas built from the producer's own request schemas (so the
 * two never disagree). The HTTP forms are strict: an unknown field is refused by name rather than
 * silently dropped, because a misspelt field (`phone` for `phones`) would otherwise send something
 * other than what was meant. The idempotency key travels in the `Idempotency-Key` header.
 */
import { z } from 'zod';
import { ENCODING_CHOICES, FILE_ENCODING_NAMES } from '../producers/text-encoding.js';
import { CampaignRequest, IdempotencyKey, SendBatchRequest, SendRequest } from '../producers/schemas.js';
import { fieldIssuesFromZod, ValidationError, type FieldIssue } from '../src/errors.js';

/** `POST /v1/messages`: one message to many numbers. */
export const SendBody = z.strictObject(SendRequest.omit({ idempotencyKey: true }).shape);

/** `POST /v1/batches`: personalised messages, one template. */
export const SendBatchBody = z.strictObject({
  ...SendBatchRequest.omit({ idempotencyKey: true, messages: true }).shape,
  messages: z
    .array(z.strictObject(SendBatchRequest.shape.messages.element.shape), { message: 'must be a list of {phone, signName, templateParam}' })
    .min(1, { message: 'needs at least one message' }),
});

const campaignSettings = CampaignRequest.omit({ idempotencyKey: true }).shape;

/** `POST /v1/campaigns` with a JSON body. Large lists belong in a CSV upload. */
export const CampaignBody = z.strictObject({
  ...campaignSettings,
  recipients: z
    .array(
      z.strictObject({
        phone: z.string({ message: 'must be a phone number' }).max(32, { message: 'is too long to be a phone number' }),
        params: CampaignRequest.shape.templateParam,
      }),
      { message: 'must be a list of {phone, params?}' },
    )
    .min(1, { message: 'needs at least one recipient' }),
});

/** Parses a JSON object passed as a query-string value. */
const jsonObject = z.string().transform((v, ctx) => {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. templateParam={"name":"Li"} (URL-encoded)' });
    return z.NEVER;
  }
});

/** `POST /v1/campaigns` with a `text/csv` body: the settings come in the query string. */
export const CampaignQuery = z.strictObject({
  ...campaignSettings,
  templateParam: jsonObject.pipe(campaignSettings.templateParam).optional(),
  /** The CSV's encoding; default: recognised from its bytes. */
  encoding: z
    .string()
    .transform((name, ctx) => {
      const encoding = FILE_ENCODING_NAMES[name.trim().toLowerCase()];
      if (encoding === undefined) ctx.addIssue({ code: 'custom', message: `unknown encoding "${name}". Fix: one of ${ENCODING_CHOICES}` });
      return encoding ?? z.NEVER;
    })
    .optional(),
  /** An .xlsx upload's sheet; default the first. */
  sheet: z.string().min(1).max(200).optional(),
});

/** `GET /v1/sends/:id?recipients=true&limit=1000&offset=0`: per-recipient states, a page at a time. */
export const SendStatusQuery = z.strictObject({
  recipients: z.enum(['true', 'false'], { message: 'must be true or false' }).optional().transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1, { message: 'must be 1 or more' }).max(10_000, { message: 'must be at most 10000' }).default(1000),
  offset: z.coerce.number().int().min(0, { message: 'must be 0 or more' }).default(0),
});

export const SendIdParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'is not a send id (letters, digits, . _ - only)' }),
});

/** Field issues from zod issues, with unknown fields named one by one. */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], root = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const [field] = fieldIssuesFromZod([{ path: [...issue.path, key], message: '' }], root);
        out.push({
          field: field?.field ?? key,
          message:
            key === 'idempotencyKey'
              ? 'is not accepted in the body. Fix: send it as the Idempotency-Key header'
              : 'is not a field of this request. Fix: remove it or check its spelling (see /openapi.json)',
        });
      }
    } else out.push(...fieldIssuesFromZod([issue], root));
  }
  return out;
}

/** Parses `value` or throws a {@link ValidationError} naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, root = ''): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error.issues, root));
  return parsed.data;
}

/** The `Idempotency-Key` header, validated; undefined when absent. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    throw new ValidationError([{ field: 'Idempotency-Key', message: 'appears more than once. Fix: send one Idempotency-Key header' }]);
  }
  const parsed = IdempotencyKey.safeParse(header);
  if (!parsed.success) throw new ValidationError(fieldIssuesFromZod(parsed.error.issues, 'Idempotency-Key'));
  return parsed.data;
}
