/**
 * `--wait` of the send commands: following a send until every recipient is past the API, with its
 * progress and what holds it on stderr. Apart from the flags (send-flags.ts), which a command's
 * definition needs before it runs, so that defining them does not load the send's stores.
 */
import type { Producer } from '../producers/producer.js';
import type { SendStatus } from '../src/queue/send-store.js';
import { UNSENT_CHUNK_STATES } from '../src/queue/lifecycle.js';
import { countIn } from '../src/receipts/completion.js';
import type { RecipientState } from '../src/receipts/send-recipients.js';
import { waitText } from '../src/queue/send-wait.js';
import { heldNote } from './held-recipients.js';
import type { CliContext } from './context.js';
import { pause } from './wait-stop.js';
import type { RedisOutageRide } from './watch-redis-outage.js';

const readOnce: RedisOutageRide = (poll) => poll();

/** A wait whose line has not changed for this long is explained; each later look waits twice as long. */
const EXPLAIN_AFTER_MS = 5000;
/** The longest gap between two looks at a wait that does not move (quiet hours hold all night). */
const EXPLAIN_AT_MOST_EVERY_MS = 60_000;
/** Sends larger than this are not read to explain a wait (a campaign's rows; its status says enough). */
const EXPLAIN_MAX_RECIPIENTS = 10_000;

/** How {@link waitForSend} polls; tests shorten the explanation delay. */
export interface WaitOptions {
  /** Default {@link EXPLAIN_AFTER_MS}. */
  explainAfterMs?: number;
  /** Stops the wait (`--timeout`, Ctrl-C): it returns after one more look at the status. Default: none. */
  signal?: AbortSignal;
  /** Called with each status read: a wait that fails (Redis lost) still has the last one to show. */
  onStatus?: (status: SendStatus) => void;
  /**
   * Runs each status read: rideRedisOutages (watch-redis-outage.ts), so that a Redis restarted or failed over under
   * the wait is waited for (up to its bound) as `status --watch` waits for it. Default: read once.
   */
  poll?: RedisOutageRide;
}

/** The status a wait ended on, and whether the send was through (false: the wait was stopped first). */
export interface WaitResult {
  status: SendStatus;
  done: boolean;
}

/**
 * Polls a send's status (every 250 ms) until every recipient is sent (accepted or final: none
 * queued, sending or unknown; receipts are not waited for); shows progress on stderr: the counts,
 * why the send waits (quiet hours, throttling, a pause), and, when nothing has moved for
 * `explainAfterMs` (then twice as long each time, up to a minute), what holds it when the status
 * gives no reason: the pending recipients' own codes (per-number flow control, a lost answer
 * being looked up). Intervals are the process's monotonic time, not the CLI's clock. When
 * `opts.signal` aborts it returns at once with the status as it is then (as last read, when Redis
 * is gone and waited for).
 */
export async function waitForSend(ctx: CliContext, producer: Producer, sendId: string, quiet: boolean, opts: WaitOptions = {}): Promise<WaitResult> {
  const firstLookMs = opts.explainAfterMs ?? EXPLAIN_AFTER_MS;
  let last = '';
  let lookEveryMs = firstLookMs;
  let nextLookAt = performance.now() + firstLookMs;
  let lastExplained = '';
  let lastRead: SendStatus | undefined;
  for (;;) {
    let s: SendStatus;
    try {
      s = await (opts.poll ?? readOnce)(() => producer.getStatus(sendId));
    } catch (err) {
      // Stopped (--timeout, Ctrl-C) while a read failed (Redis gone, waited for): the stop is why it ends, with the status last read.
      if (opts.signal?.aborted && lastRead !== undefined) return { status: lastRead, done: false };
      throw err;
    }
    lastRead = s;
    opts.onStatus?.(s);
    const pending = countIn(s.counts, UNSENT_CHUNK_STATES);
    const why = whyItWaits(s);
    const line = `${sendId}: ${s.counts.accepted} accepted, ${s.counts.failed} failed, ${pending} pending${why === undefined ? '' : ` (${why})`}`;
    const now = performance.now();
    if (line !== last) {
      if (!quiet) ctx.note(line);
      last = line;
      lookEveryMs = firstLookMs;
      nextLookAt = now + lookEveryMs;
    } else if (!quiet && now >= nextLookAt) {
      lookEveryMs = Math.min(lookEveryMs * 2, EXPLAIN_AT_MOST_EVERY_MS);
      nextLookAt = now + lookEveryMs;
      const held = await whatHolds(producer, s);
      if (held !== undefined && held !== lastExplained) ctx.note(`${sendId}: ${held}`);
      lastExplained = held ?? '';
    }
    if (pending === 0 && s.send.state !== 'enqueuing') return { status: s, done: true };
    if (opts.signal?.aborted) return { status: s, done: false };
    await pause(250, opts.signal);
  }
}

/** Why a send waits, in words, when its status says: quiet hours, a pause, throttling, no worker. */
export function whyItWaits(s: SendStatus): string | undefined {
  // Receipts are not what --wait waits for: that reason would be the last word as it exits.
  return s.wait && s.wait.reason !== 'receipts' ? waitText(s.wait, s.send.sendId) : undefined;
}

/** What holds a send that does not move, beyond the wait its status gives; undefined when nothing more is known. */
async function whatHolds(producer: Producer, s: SendStatus): Promise<string | undefined> {
  // The line already says why (quiet hours, a pause, throttling, no worker); a large send is not read through.
  if (s.wait !== undefined || s.send.recipients > EXPLAIN_MAX_RECIPIENTS) return undefined;
  const recipients: RecipientState[] = [];
  for await (const r of producer.recipients(s.send.sendId)) recipients.push(r);
  return heldNote(recipients);
}
