/** `smsq send-batch --file F`: personalised messages (each number with its own signature and params). */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { maskPhonesInText } from '../../src/sms/phone-mask.js';
import { z } from 'zod';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import { ValidationError } from '../../src/errors.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { textFlag } from '../flags.js';
import { openProducer, runSendCommand } from '../pipeline.js';
import { refuseConflictingSendFlags, SEND_COMMAND_FLAGS, withSendOptions } from '../send-flags.js';

const schema = z.object({
  file: textFlag('--file messages.json (or .csv with columns phone,sign,<params...>)', 4096),
  template: textFlag('--template SMS_123456789', 50).optional(),
  kind: z.enum(MESSAGE_KINDS, { message: `must be one of ${MESSAGE_KINDS.join(', ')}. Fix: --kind notification` }).optional(),
  idempotencyKey: textFlag('--idempotency-key batch-7', 128).optional(),
  ...SEND_COMMAND_FLAGS,
});

const SIGN_COLUMNS = ['sign', 'signname', 'sign_name'];

/**
 * Reads the messages file: JSON (an array of {phone, signName, templateParam}, or an object with
 * `templateCode` and `messages`) or CSV (a header with `phone`, `sign` and one column per param).
 */
async function readMessagesFile(path: string): Promise<{ templateCode?: unknown; messages: unknown }> {
  if (path.toLowerCase().endsWith('.csv')) {
    const messages = [];
    for await (const row of readRecipientsCsv(path)) {
      if (row.error) throw new ValidationError([{ field: `file:${row.line ?? 1}`, message: `line ${row.line ?? 1}: ${row.error}` }]);
      const params = { ...(row.params ?? {}) };
      const signKey = Object.keys(params).find((k) => SIGN_COLUMNS.includes(k.toLowerCase()));
      if (!signKey) throw new ValidationError([{ field: 'file:1', message: 'no sign column. Fix: add a column named sign with the signature of each message' }]);
      const signName = params[signKey];
      delete params[signKey];
      messages.push({ phone: row.phone, signName, ...(Object.keys(params).length ? { templateParam: params } : {}) });
    }
    return { messages };
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Fix: give the path of a JSON or CSV file`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([{ field: 'file', message: `is not valid JSON (${maskPhonesInText((err as Error).message)}). Fix: an array of {"phone","signName","templateParam"}` }]);
  }
  if (Array.isArray(data)) return { messages: data };
  if (typeof data === 'object' && data !== null) return data as { templateCode?: unknown; messages: unknown };
  throw new ValidationError([{ field: 'file', message: 'must hold an array of messages or {"templateCode", "messages"}' }]);
}

export function register(program: Command, ctx: CliContext): void {
  withSendOptions(
    program
      .command('send-batch')
      .description('enqueue personalised messages (each with its own number, signature and params); SendBatchSms, 100 per call')
      .option('--file <path>', 'JSON: [{"phone","signName","templateParam"}] or {"templateCode","messages"}; or CSV: phone,sign,<param columns>')
      .option('--template <code>', 'template code (required unless the JSON file names templateCode)')
      .option('--kind <kind>', 'verification | notification | marketing (default: the template\'s: verification for a verification template, marketing for a marketing one, else notification)')
      .option('--idempotency-key <key>', 'repeat-safe key: the same key returns the first send id for 24 h'),
  ).action(
      ctx.action(schema, async (flags) => {
        refuseConflictingSendFlags(flags);
        const file = await readMessagesFile(flags.file);
        const templateCode = flags.template ?? file.templateCode;
        if (typeof templateCode !== 'string') throw new UsageError('--template is required: the file does not name templateCode. Fix: --template SMS_123456789');
        const { producer, templateContent, workersSeen } = openProducer(ctx);
        const request = { templateCode, messages: file.messages, kind: flags.kind, idempotencyKey: flags.idempotencyKey };
        const plan = await producer.planSendBatch(request);
        return runSendCommand(ctx, flags, {
          producer,
          plan,
          content: await templateContent(templateCode),
          enqueue: () => producer.sendBatch(request),
          question: `Send ${plan.recipients} personalised message(s) in ${plan.apiCalls} API call(s)?`,
          workersSeen,
        });
      }),
    );
}
