/** `smsq send-batch --file F`: personalised messages (each number with its own signature and params). */
import type { Command } from 'commander';
import { maskPhonesInText } from '../../src/sms/phone-mask.js';
import { z } from 'zod';
import { recipientColumnsOf } from '../../producers/recipient-source.js';
import { MESSAGES_NOT_A_LIST, SendBatchRequest } from '../../producers/schemas.js';
import { repeatedKeysOf } from '../../src/duplicate-keys.js';
import { fieldIssuesNamingUnknownKeys, ValidationError } from '../../src/errors.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { batchFileTerms, type FilePlaces } from '../batch-file-terms.js';
import { enumFlag, textFlag } from '../flags.js';
import { refuseConflictingSendFlags, SEND_COMMAND_FLAGS, withSendOptions } from '../send-flags.js';

const schema = z.object({
  file: textFlag('--file messages.json (or .csv with columns phone,sign,<params...>)', 4096),
  template: textFlag('--template SMS_123456789', 50).optional(),
  kind: enumFlag(MESSAGE_KINDS, '--kind notification').optional(),
  idempotencyKey: textFlag('--idempotency-key batch-7', 128).optional(),
  ...SEND_COMMAND_FLAGS,
});

/** How the file readers name this command in a refusal (it reads JSON or CSV, no workbooks). */
const READER = 'send-batch';
const SIGN_COLUMNS = ['sign', 'signname', 'sign_name'];
/** A CSV column that holds each message's SmsUpExtendCode, not a template param; an empty cell is none (a cell of spaces is refused: a code is never trimmed). */
const EXTEND_CODE_COLUMNS = ['extend_code', 'extendcode', 'smsupextendcode', 'sms_up_extend_code'];

/**
 * A JSON messages file's object form: the batch request's fields, each message's too, and no
 * other. A field the request does not have was dropped silently: `idempotencyKey` in the file
 * was ignored, so a retry sent the batch again.
 */
const MessagesFile = z.strictObject({
  ...SendBatchRequest.shape,
  templateCode: SendBatchRequest.shape.templateCode.optional(),
  messages: z.array(z.strictObject(SendBatchRequest.shape.messages.element.shape), { message: MESSAGES_NOT_A_LIST }),
});
type MessagesFile = z.output<typeof MessagesFile>;
const FILE_FIELDS = Object.keys(MessagesFile.shape).join(', ');
const MESSAGE_FIELDS = Object.keys(SendBatchRequest.shape.messages.element.shape).join(', ');

/** The file's issues, each under `file` and the field's path; a field it does not know named one by one. */
function fileIssues(issues: readonly z.core.$ZodIssue[]): ValidationError {
  return new ValidationError(
    fieldIssuesNamingUnknownKeys(
      issues,
      (_key, path) => `is not a field of a messages file (nothing was enqueued). Fix: remove it or check its spelling (${path.length ? `a message has ${MESSAGE_FIELDS}` : `the file has ${FILE_FIELDS}`})`,
      'file',
    ),
  );
}

/** A flag and the file's field: one value, or a refusal when they differ. */
function oneOf<T>(flag: string, flagValue: T | undefined, field: string, fileValue: T | undefined): T | undefined {
  if (flagValue !== undefined && fileValue !== undefined && flagValue !== fileValue) {
    throw new UsageError(`${flag} ${String(flagValue)} and the file's ${field} ${String(fileValue)} differ; nothing was enqueued. Fix: drop ${flag} (the file's is used), or give the same value`);
  }
  return flagValue ?? fileValue;
}

/**
 * Reads the messages file: JSON (an array of {phone, signName, templateParam}, or an object with
 * `templateCode` and `messages`) or CSV (a header with `phone`, `sign` and one column per param).
 */
/** A messages file as read: the request's fields, and where in the file each message is. */
type ReadMessages = Partial<Omit<MessagesFile, 'messages'>> & { messages: unknown; places: FilePlaces };

async function readMessagesFile(path: string): Promise<ReadMessages> {
  if (path.toLowerCase().endsWith('.csv')) {
    const messages = [];
    const lines: number[] = [];
    let signColumn = 'sign';
    let extendCodeColumn: string | undefined;
    const { readRecipientsCsv } = await import('../../producers/csv-recipients.js');
    const rows = readRecipientsCsv(path, { textOnlyReader: READER });
    for await (const row of rows) {
      if (row.error) throw new ValidationError([{ field: `file:${row.line ?? 1}`, message: `line ${row.line ?? 1}: ${row.error}` }]);
      const params = { ...(row.params ?? {}) };
      const signKey = Object.keys(params).find((k) => SIGN_COLUMNS.includes(k.toLowerCase()));
      if (!signKey) throw new ValidationError([{ field: 'file:1', message: 'no sign column. Fix: add a column named sign with the signature of each message' }]);
      const signName = params[signKey];
      delete params[signKey];
      signColumn = signKey;
      const codeKey = Object.keys(params).find((k) => EXTEND_CODE_COLUMNS.includes(k.toLowerCase()));
      const smsUpExtendCode = codeKey === undefined ? undefined : params[codeKey];
      if (codeKey !== undefined) {
        delete params[codeKey];
        extendCodeColumn = codeKey;
      }
      lines.push(row.line ?? messages.length + 2);
      messages.push({
        phone: row.phone,
        signName,
        ...(Object.keys(params).length ? { templateParam: params } : {}),
        // An empty cell: this message has no code (a CSV cell cannot be left out).
        ...(smsUpExtendCode ? { smsUpExtendCode } : {}),
      });
    }
    const header = recipientColumnsOf(rows);
    const paramColumns = (header?.params ?? []).filter((c) => c !== signColumn && c !== extendCodeColumn);
    return { messages, places: { csv: { lines, headerField: header?.field ?? 'file:1', paramColumns, signColumn, ...(extendCodeColumn === undefined ? {} : { extendCodeColumn }) } } };
  }
  const { readJsonFileText } = await import('../json-file-text.js');
  const text = await readJsonFileText(path, 'file', READER);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([{ field: 'file', message: `is not valid JSON (${maskPhonesInText((err as Error).message)}). Fix: an array of {"phone","signName","templateParam"}` }]);
  }
  // JSON.parse keeps a repeated key's last value: a message's second "phone" replaced its first.
  const repeated = repeatedKeysOf(text);
  if (repeated.length > 0) {
    throw new ValidationError(repeated.map((key) => ({ field: key.startsWith('[') ? `file${key}` : `file.${key}`, message: 'is given twice in one object of the file; JSON keeps the last, so the first would be dropped (nothing was enqueued). Fix: give it once' })));
  }
  if (Array.isArray(data) || (typeof data === 'object' && data !== null)) {
    const parsed = MessagesFile.safeParse(Array.isArray(data) ? { messages: data } : data);
    if (!parsed.success) {
      const refusal = fileIssues(parsed.error.issues);
      // A list file has no `messages`: its items are `file[0]`, ...
      if (Array.isArray(data)) throw new ValidationError(refusal.issues.map((i) => ({ ...i, field: i.field.replace(/^file\.messages\[/, 'file[') })));
      throw refusal;
    }
    return { ...parsed.data, places: { list: Array.isArray(data) } };
  }
  throw new ValidationError([{ field: 'file', message: 'must hold an array of messages or {"templateCode", "messages"}' }]);
}

export function register(program: Command, ctx: CliContext): void {
  withSendOptions(
    program
      .command('send-batch')
      .description('enqueue personalised messages (each with its own number, signature and params); SendBatchSms, 100 per call')
      .option('--file <path>', '(required) JSON: [{"phone","signName","templateParam","smsUpExtendCode"}] (smsUpExtendCode optional: 1-12 digits appended to the sender number, to tell replies apart), or an object with "messages" and the request\'s other fields ("templateCode", "kind", "idempotencyKey", "name", "callbackUrl", "deadline"; a flag that gives another value is refused); or CSV: phone,sign,<param columns>, and optionally extend_code (empty: none)')
      .option('--template <code>', '(required unless the JSON file names templateCode) template code')
      .option('--kind <kind>', 'verification | notification | marketing (default: the template\'s: verification for a verification template, marketing for a marketing one, else notification)')
      .option('--idempotency-key <key>', 'repeat-safe key: the same key returns the first send id for 24 h'),
  ).action(
      ctx.action(schema, async (flags) => {
        refuseConflictingSendFlags(flags);
        const { places, ...file } = await readMessagesFile(flags.file);
        const templateCode = oneOf('--template', flags.template, 'templateCode', file.templateCode);
        if (templateCode === undefined) throw new UsageError('--template is required: the file does not name templateCode. Fix: --template SMS_123456789');
        const kind = oneOf('--kind', flags.kind, 'kind', file.kind);
        const idempotencyKey = oneOf('--idempotency-key', flags.idempotencyKey, 'idempotencyKey', file.idempotencyKey);
        const { openProducer, runSendCommand } = await import('../pipeline.js');
        const { producer, templateContent, workersSeen } = openProducer(ctx);
        // The messages as read (a CSV file's are not checked yet): the producer checks them, as it does a JavaScript caller's.
        const request = { ...file, templateCode, messages: file.messages as SendBatchRequest['messages'], kind, idempotencyKey };
        // Planned twice (the plan shown, then again at enqueue): both said in the file's terms.
        const terms = batchFileTerms(places);
        // A retry of a batch that went out is answered before the plan, as smsq send's.
        const repeat = flags.dryRun
          ? undefined
          : await producer.repeatOf('sendBatch', request).catch((err: unknown) => {
              throw terms.refusal(err);
            });
        if (repeat) return runSendCommand(ctx, flags, { producer, repeat: { ...repeat, rejected: terms.rejected(repeat.rejected) }, workersSeen });
        const planned = await producer.planSendBatch(request).catch((err: unknown) => {
          throw terms.refusal(err);
        });
        const plan = { ...planned, rejected: terms.rejected(planned.rejected) };
        return runSendCommand(ctx, flags, {
          producer,
          plan,
          content: await templateContent(templateCode),
          enqueue: () =>
            producer.sendBatch(request).then(
              (res) => ({ ...res, rejected: terms.rejected(res.rejected) }),
              (err: unknown) => {
                throw terms.refusal(err);
              },
            ),
          question: `Send ${plan.recipients} personalised message(s) in ${plan.apiCalls} API call(s)?`,
          workersSeen,
        });
      }),
    );
}
