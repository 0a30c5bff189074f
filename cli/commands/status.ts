/** `smsq status SEND_ID [--recipients] [--watch [--until sent|final]]`: counts by state, and per-recipient states. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { SendStatus } from '../../src/queue/send-store.js';
import type { RecipientState } from '../../src/receipts/send-recipients.js';
import { countIn, PENDING_STATES, UNSENT_STATES } from '../../src/receipts/completion.js';
import type { CliContext } from '../context.js';
import { switchFlag, textFlag } from '../flags.js';
import { formatCounts, renderFields, renderTable } from '../format.js';
import { openProducer } from '../pipeline.js';

const schema = z.object({
  sendId: textFlag('smsq status s1a2b3c4d5e6f', 100),
  recipients: switchFlag,
  watch: switchFlag,
  until: z.enum(['sent', 'final'], { message: 'must be sent or final. Fix: --until sent' }).optional().default('final'),
  json: switchFlag,
});

const time = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : '-');

function renderStatus(status: SendStatus): string {
  const s = status.send;
  return renderFields([
    ['send id', s.sendId],
    ['state', s.state + (s.code ? ` (${s.code}${s.reason ? `: ${s.reason}` : ''})` : '')],
    ['kind', s.kind],
    ['signature / template', `${s.signName} / ${s.templateCode}`],
    ['recipients', `${s.recipients} queued, ${s.rejected} rejected at the door, ${s.duplicates} duplicates dropped`],
    ['created', time(s.createdAt)],
    ...Object.entries(status.counts)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => [k, v] as const),
  ]);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('counts by state for a send; every recipient with --recipients; follow it with --watch')
    .argument('<send-id>', 'the id printed by send, send-batch or campaign')
    .option('--recipients', 'list every recipient: state, code, BizId, sent and received times, attempts')
    .option('--watch', 'refresh every second until every recipient is final (or sent, with --until sent)')
    .option('--until <sent|final>', 'with --watch: stop once every recipient is sent (accepted or final), or only when every one is final (receipts included; up to SMSQ_RECEIPT_WINDOW_HOURS)', 'final')
    .option('--json', 'print JSON on stdout (with --watch: one JSON line per change)')
    .action(
      ctx.action(schema, async (flags) => {
        const { producer } = openProducer(ctx);
        let status = await producer.getStatus(flags.sendId);
        if (flags.watch) {
          let last = '';
          for (;;) {
            const line = JSON.stringify(status.counts);
            if (line !== last) {
              if (flags.json) ctx.deps.stdout.write(`${JSON.stringify({ at: Date.now(), sendId: flags.sendId, state: status.send.state, counts: status.counts })}\n`);
              else ctx.print(`${new Date().toISOString()}  ${formatCounts(status.counts)}`);
              last = line;
            }
            const left = countIn(status.counts, flags.until === 'sent' ? UNSENT_STATES : PENDING_STATES);
            if (left === 0 && status.send.state !== 'enqueuing') break;
            await new Promise((r) => setTimeout(r, 1000));
            status = await producer.getStatus(flags.sendId);
          }
          if (flags.json) return;
        }
        const recipients: RecipientState[] = [];
        if (flags.recipients) for await (const r of producer.recipients(flags.sendId)) recipients.push(r);
        if (flags.json) {
          ctx.printJson({ ...status, ...(flags.recipients ? { recipients } : {}) });
          return;
        }
        ctx.print(renderStatus(status));
        if (flags.recipients) {
          ctx.print(
            renderTable(
              [{ header: 'phone' }, { header: 'state' }, { header: 'code' }, { header: 'biz id' }, { header: 'sent' }, { header: 'received' }, { header: 'attempts' }],
              recipients.map((r) => [r.phone, r.state, r.code ?? '-', r.bizId ?? '-', time(r.sentAt), time(r.receivedAt), r.attempts]),
            ),
          );
        }
      }),
    );
}
