/**
 * `smsq status SEND_ID [--recipients [--limit N] [--cursor C]] [--watch [--until sent|final]]`:
 * counts by state, and per-recipient states (all of them, or one page by cursor).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { SendStatus } from '../../src/queue/send-store.js';
import type { RecipientState } from '../../src/receipts/send-recipients.js';
import { decodeRecipientCursor } from '../../src/queue/recipient-cursor.js';
import { MAX_RECIPIENT_PAGE } from '../../producers/producer.js';
import { countIn, PENDING_STATES, UNSENT_STATES } from '../../src/receipts/completion.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { intFlag, switchFlag, textFlag } from '../flags.js';
import { formatCounts, renderFields, renderTable } from '../format.js';
import { openProducer } from '../pipeline.js';

const schema = z.object({
  sendId: textFlag('smsq status s1a2b3c4d5e6f', 100),
  recipients: switchFlag,
  limit: intFlag(1, MAX_RECIPIENT_PAGE, '--limit 1000').optional(),
  cursor: textFlag('pass the cursor the previous page printed, unchanged', 400).optional(),
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
    .option('--limit <n>', `with --recipients: one page of at most n recipients (1-${MAX_RECIPIENT_PAGE}) and the cursor of the next`)
    .option('--cursor <c>', 'with --recipients: the page that starts where the previous one printed (its "next" cursor)')
    .option('--watch', 'refresh every second until every recipient is final (or sent, with --until sent)')
    .option('--until <sent|final>', 'with --watch: stop once every recipient is sent (accepted or final), or only when every one is final (receipts included; up to SMSQ_RECEIPT_WINDOW_HOURS)', 'final')
    .option('--json', 'print JSON on stdout (with --watch: one JSON line per change)')
    .action(
      ctx.action(schema, async (flags) => {
        const paged = flags.limit !== undefined || flags.cursor !== undefined;
        if (paged && !flags.recipients) throw new UsageError(`${flags.limit !== undefined ? '--limit' : '--cursor'} pages the recipients. Fix: add --recipients`);
        // Checked before anything is read, so that a bad cursor is named as the flag it came in.
        if (flags.cursor !== undefined) decodeRecipientCursor(flags.sendId, flags.cursor, '--cursor');
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
        let next: string | null = null;
        if (paged) {
          const page = await producer.recipientPage(flags.sendId, { limit: flags.limit, cursor: flags.cursor });
          recipients.push(...page.recipients);
          next = page.next;
        } else if (flags.recipients) for await (const r of producer.recipients(flags.sendId)) recipients.push(r);
        if (flags.json) {
          ctx.printJson({ ...status, ...(flags.recipients ? { recipients } : {}), ...(paged ? { next } : {}) });
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
          if (paged) {
            const limit = flags.limit ? ` --limit ${flags.limit}` : '';
            ctx.print(next === null ? `${recipients.length} shown; the last page.` : `${recipients.length} shown. Next page: smsq status ${flags.sendId} --recipients${limit} --cursor ${next}`);
          }
        }
      }),
    );
}
