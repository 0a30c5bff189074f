/** `smsq send`: one message to many numbers (SendSms chunks of ≤ 1000; verification codes one by one). */
import type { Command } from 'commander';
import { z } from 'zod';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import type { CliContext } from '../context.js';
import { deadlineFlag, enumFlag, textFlag } from '../flags.js';
import { LONG_LIST_HINT } from '../../src/sms/phone-list.js';
import { extendCodeFlag, jsonParamsFlag, refuseConflictingSendFlags, SEND_COMMAND_FLAGS, withSendOptions } from '../send-flags.js';

const schema = z.object({
  phones: textFlag(`--phones 13800138000,13900139000; ${LONG_LIST_HINT}`, 100_000).transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  ),
  sign: textFlag('--sign <approved signature> (see `smsq signs`)', 100),
  template: textFlag('--template SMS_123456789 (see `smsq templates`)', 50),
  param: jsonParamsFlag('--param \'{"code":"123456"}\'').optional(),
  kind: enumFlag(MESSAGE_KINDS, '--kind verification').optional(),
  idempotencyKey: textFlag('--idempotency-key order-42', 128).optional(),
  deadline: deadlineFlag().optional(),
  extendCode: extendCodeFlag,
  ...SEND_COMMAND_FLAGS,
});

export function register(program: Command, ctx: CliContext): void {
  withSendOptions(
    program
      .command('send')
      .description('enqueue one message to many numbers; prints the send id')
      .option('--phones <list>', '(required) comma-separated numbers (mainland bare, +86/0086/86, or international with country code)')
      .option('--sign <name>', '(required) approved signature')
      .option('--template <code>', '(required) approved template code, e.g. SMS_123456789')
      .option('--param <json>', 'template params as a JSON object of strings, e.g. {"code":"123456"}')
      .option('--kind <kind>', 'verification | notification | marketing (default: the template\'s: verification for a verification template, marketing for a marketing one, else notification)')
      .option('--idempotency-key <key>', 'repeat-safe key: the same key returns the first send id for 24 h')
      .option('--deadline <time>', 'ISO time with zone, or epoch ms; recipients not sent by then are expired, not sent late')
      .option('--extend-code <digits>', 'SmsUpExtendCode: 1-12 digits appended to the sender number, to tell replies (SmsUp) apart'),
  ).action(
      ctx.action(schema, async (flags) => {
        refuseConflictingSendFlags(flags);
        const { openProducer, runSendCommand } = await import('../pipeline.js');
        const { producer, templateContent, workersSeen } = openProducer(ctx);
        const request = {
          phones: flags.phones,
          signName: flags.sign,
          templateCode: flags.template,
          templateParam: flags.param,
          kind: flags.kind,
          idempotencyKey: flags.idempotencyKey,
          deadline: flags.deadline,
          smsUpExtendCode: flags.extendCode,
        };
        // A retry of a send that went out is answered before the plan, whose checks depend on the time and on Redis (a deadline past, numbers opted out since).
        const repeat = flags.dryRun ? undefined : await producer.repeatOf('send', request);
        if (repeat) return runSendCommand(ctx, flags, { producer, repeat, workersSeen });
        const plan = await producer.planSend(request);
        return runSendCommand(ctx, flags, {
          producer,
          plan,
          content: await templateContent(flags.template),
          enqueue: () => producer.send(request),
          question: `Send ${plan.recipients} message(s) in ${plan.apiCalls} API call(s)?`,
          workersSeen,
        });
      }),
    );
}
