/**
 * `smsq status SEND_ID [--recipients [--limit N] [--cursor C]] [--watch [--until sent|final|auto]]`:
 * the send's state and why it waits, counts by state, and per-recipient states (all of them, or
 * one page by cursor).
 */
import { RecipientSchema } from '../../server/response-schemas.js';
import type { Command } from 'commander';
import { z } from 'zod';
import type { SendStatus } from '../../src/queue/send-store.js';
import { attemptsText, type RecipientState } from '../../src/receipts/send-recipients.js';
import { decodeRecipientCursor, MAX_RECIPIENT_PAGE } from '../../src/queue/recipient-cursor.js';
import { formatTime } from '../../src/china-time.js';
import { waitText } from '../../src/queue/send-wait.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { enumFlag, intFlag, sendIdFlag, switchFlag, textFlag } from '../flags.js';
import { renderFields, renderTable } from '../format.js';
import { barLine, defaultWatchEnd, jsonLine, plainLine, watchIsOver, type WatchEnd } from '../watch-progress.js';
import { openProducer } from '../pipeline.js';
import { statusJson } from '../status-json.js';
import { rideRedisOutages } from '../watch-redis-outage.js';

/** Between tries of a watch's poll while Redis is gone (ms): each fails at once until it is back. */
const WATCH_REDIS_RETRY_MS = 250;

const schema = z.object({
  sendId: sendIdFlag('smsq status smx8raea837d634fdfd72 (the id send printed; smsq sends lists them)'),
  recipients: switchFlag,
  limit: intFlag(1, MAX_RECIPIENT_PAGE, '--limit 1000').optional(),
  cursor: textFlag('pass the cursor the previous page printed, unchanged', 400).optional(),
  watch: switchFlag,
  until: enumFlag(['sent', 'final', 'auto'], '--until sent', 'must be sent, final or auto').optional(),
  json: switchFlag,
});

function renderStatus(status: SendStatus): string {
  const s = status.send;
  const pace = status.pace;
  return renderFields([
    ['send id', s.sendId],
    ['state', `${s.state} since ${formatTime(s.stateChangedAt)}${s.code ? ` (${s.code}${s.reason ? `: ${s.reason}` : ''})` : ''}`],
    ...(status.wait ? [['waiting', waitText(status.wait, s.sendId)] as const] : []),
    ...(pace && (pace.rate > 0 || pace.estimatedSentAt) ? [['rate', `${pace.rate} recipients/s${pace.estimatedSentAt ? `; sent by ${formatTime(pace.estimatedSentAt)} at that rate` : ''}`] as const] : []),
    ['kind', s.kind],
    ['signature / template', `${s.signName} / ${s.templateCode}`],
    // Only when recorded: a send enqueued before smsq recorded it had one or not, unknown.
    ...(s.smsUpExtendCode === undefined ? [] : [['extension code', s.smsUpExtendCode] as const]),
    ['recipients', recipientsText(s)],
    ['created', formatTime(s.createdAt)],
    ...(s.deadline ? [['deadline', formatTime(s.deadline)] as const] : []),
    ['history', s.history.map((c) => `${c.state} ${formatTime(c.at)}`).join(', ')],
    ...Object.entries(status.counts)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => [k, v] as const),
  ]);
}

/** Its recipients as its record knows them: so far while it enqueues; those written by then when its enqueue was ended there. */
function recipientsText(s: SendStatus['send']): string {
  if (s.recipientsSoFar) return `${s.recipients} enqueued so far (still enqueuing; the rest of its counts once it ends)`;
  const ended = s.code === 'SMSQ_ENQUEUE_CUT_SHORT' ? 'before its enqueue was cut short' : s.code === 'SMSQ_ENQUEUE_ABANDONED' ? 'before its producer abandoned the enqueue' : undefined;
  // Its producer died before recording what it refused or dropped: unknown, not 0.
  const refused = s.rejected === null || s.duplicates === null ? ' (rows refused at the door or dropped as duplicates were not recorded)' : `, ${s.rejected} rejected at the door, ${s.duplicates} duplicates dropped`;
  return `${s.recipients} enqueued${ended ? ` ${ended}` : ''}${refused}`;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('counts by state for a send; every recipient with --recipients; follow it with --watch')
    .argument('<send-id>', 'the id printed by send, send-batch or campaign')
    .option('--recipients', 'list every recipient: state, code, BizId, sent and received times, attempts')
    .option('--limit <n>', `with --recipients: one page of at most n recipients (1-${MAX_RECIPIENT_PAGE}) and the cursor of the next`)
    .option('--cursor <c>', 'with --recipients: the page that starts where the previous one printed (its "next" cursor)')
    .option('--watch', 'follow it every second until it is sent or completed (see --until), or ends otherwise; a progress bar on a terminal')
    .option('--until <sent|final|auto>', 'with --watch: stop once it is sent (every recipient past the API), final (completed: every receipt in, or the receipt window over), or auto: sent for kinds whose receipts are sampled or not looked up (SMSQ_RECEIPT_LOOKUPS), final otherwise (default: auto)')
    .option('--json', 'print JSON on stdout (with --watch: one JSON line per change, and an error as one line)')
    .action(
      ctx.action(schema, async (flags) => {
        const paged = flags.limit !== undefined || flags.cursor !== undefined;
        if (paged && !flags.recipients) throw new UsageError(`${flags.limit !== undefined ? '--limit' : '--cursor'} pages the recipients. Fix: add --recipients`);
        if (flags.until !== undefined && !flags.watch) throw new UsageError('--until says when --watch stops; without --watch it does nothing. Fix: add --watch, or drop --until');
        // Checked before anything is read, so that a bad cursor is named as the flag it came in.
        if (flags.cursor !== undefined) decodeRecipientCursor(flags.sendId, flags.cursor, '--cursor');
        const { producer } = openProducer(ctx);
        let status = await producer.getStatus(flags.sendId);
        if (flags.watch) {
          const until = flags.until ?? 'auto';
          const end: WatchEnd = until === 'auto' ? defaultWatchEnd(ctx.config.receiptLookups[status.send.kind].mode) : until === 'sent' ? 'sent' : 'completed';
          const tty = ctx.deps.isTTY === true && !flags.json;
          // A Redis restarted or failed over under a long watch is waited for, not a reason to stop.
          const poll = rideRedisOutages({
            boundMs: ctx.config.redisConnectTimeoutMs,
            retryMs: WATCH_REDIS_RETRY_MS,
            // The bar is drawn without a line end: cleared first, so the line does not run on from it.
            note: (text) => {
              if (tty) ctx.deps.stdout.write('\r\x1b[2K');
              ctx.note(text);
            },
          });
          let last = '';
          for (;;) {
            const seen = JSON.stringify([status.send.state, status.counts, status.wait]);
            if (tty) ctx.deps.stdout.write(`\r\x1b[2K${barLine(status, end)}`);
            else if (seen !== last) ctx.deps.stdout.write(`${flags.json ? jsonLine(status, ctx.now()) : plainLine(status, ctx.now())}\n`);
            last = seen;
            if (watchIsOver(status.send.state, end)) break;
            await new Promise((r) => setTimeout(r, 1000));
            status = await poll(() => producer.getStatus(flags.sendId));
          }
          if (tty) ctx.deps.stdout.write('\n');
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
          // The REST answers' schemas give the JSON form: times as ISO 8601 in China time with the offset.
          ctx.printJson({ ...statusJson(status), ...(flags.recipients ? { recipients: recipients.map((r) => RecipientSchema.parse(r)) } : {}), ...(paged ? { next } : {}) });
          return;
        }
        ctx.print(renderStatus(status));
        if (flags.recipients) {
          ctx.print(
            renderTable(
              [{ header: 'phone' }, { header: 'state' }, { header: 'code' }, { header: 'biz id' }, { header: 'sent' }, { header: 'received' }, { header: 'attempts' }],
              recipients.map((r) => [r.phone, r.state, r.code ?? '-', r.bizId ?? '-', formatTime(r.sentAt), receivedText(r), attemptsText(r)]),
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

/** A recipient's receipt time; one taken from the push (its report's own time unusable) says so. */
function receivedText(r: RecipientState): string {
  const at = formatTime(r.receivedAt);
  return r.receivedAtFromPush ? `${at} (push received; report_time unreadable)` : at;
}
