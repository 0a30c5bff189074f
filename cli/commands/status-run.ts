/**
 * What `smsq status` runs once its flags are parsed (status.ts defines them): reads the send,
 * follows it with --watch, and prints it. Its action loads this module, and with it the producer
 * (BullMQ, ioredis) and the response schemas: `smsq --help` and a refused flag load none of them.
 */
import { RecipientSchema } from '../../server/response-schemas.js';
import type { SendStatus } from '../../src/queue/send-store.js';
import { attemptsText, type RecipientState } from '../../src/receipts/send-recipients.js';
import { formatTime } from '../../src/china-time.js';
import { waitText } from '../../src/queue/send-wait.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { renderFields, renderTable } from '../format.js';
import { barLine, defaultWatchEnd, jsonLine, plainLine, watchIsOver, type WatchEnd } from '../watch-progress.js';
import { statusJson } from '../status-json.js';
import { rideRedisOutages, WATCH_REDIS_RETRY_MS } from '../watch-redis-outage.js';
import { openProducer } from '../pipeline.js';
import type { StatusFlags } from './status-flags.js';


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

export async function runStatus(ctx: CliContext, flags: StatusFlags): Promise<void> {
  const paged = flags.limit !== undefined || flags.cursor !== undefined;
  if (paged && !flags.recipients) throw new UsageError(`${flags.limit !== undefined ? '--limit' : '--cursor'} pages the recipients. Fix: add --recipients`);
  if (flags.until !== undefined && !flags.watch) throw new UsageError('--until says when --watch stops; without --watch it does nothing. Fix: add --watch, or drop --until');
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
    // The lines carry counts; asked for, the recipients follow as one last line (the document below).
    if (flags.json && !flags.recipients) return;
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
}

/** A recipient's receipt time; one taken from the push (its report's own time unusable) says so. */
function receivedText(r: RecipientState): string {
  const at = formatTime(r.receivedAt);
  return r.receivedAtFromPush ? `${at} (push received; report_time unreadable)` : at;
}
