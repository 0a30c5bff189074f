/**
 * What ending a send's control does to its chunks and jobs, for whoever cancels it (an operator
 * through the producer; the repair sweep ending a withdrawn send) and whoever resumes it.
 */
import { ErrorCode, type Queue } from 'bullmq';
import { apiOfMost, type ChunkPayload } from './chunk-payload.js';
import type { ChunkStore } from './chunk-store.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua.js';
import type { SendState } from './lifecycle.js';
import type { SendStore } from './send-store.js';

/**
 * Chunks a cancel marks per round trip. Redis runs a client's pipelined scripts back to back, so a
 * batch holds other clients (a verification code's claim) for about this many scripts' time.
 */
const CANCEL_BATCH = 64;

/**
 * Marks the queued chunks of a cancelled send `cancelled` now rather than when each job comes up,
 * CANCEL_BATCH chunks a round trip: one at a time, each reply waited for its own fsync
 * (docs/benchmarks.md, session 17). A chunk past `queued` is left as it is (the table has no move).
 */
export async function cancelQueuedChunks(chunks: ChunkStore, sendId: string, total: number): Promise<void> {
  await endQueuedChunks(chunks, sendId, total, { trigger: 'cancel' });
}

/**
 * Marks the queued chunks of a send failed as a whole `failed` with its code now, as their claims
 * would (send-failed): a send failed as abandoned has chunks its dead producer wrote without their
 * jobs, which no claim would ever end. Batched as {@link cancelQueuedChunks}.
 */
async function failQueuedChunks(chunks: ChunkStore, sendId: string, total: number, code: string): Promise<void> {
  await endQueuedChunks(chunks, sendId, total, { trigger: 'send-failed', fields: { code } });
}

async function endQueuedChunks(chunks: ChunkStore, sendId: string, total: number, req: { trigger: 'cancel' | 'send-failed'; fields?: Record<string, string> }): Promise<void> {
  for (let start = 0; start < total; start += CANCEL_BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(total, start + CANCEL_BATCH); i++) batch.push(chunks.transition(`${sendId}.${i}`, sendId, req));
    await Promise.all(batch);
  }
}

/** A chunk's state that no call has been made from, nor will be by the attempt it holds. */
const NOT_CALLED: ReadonlySet<string> = new Set(['queued', 'cancelled', 'expired']);

/**
 * The recipients of a send's first `total` chunks that a worker has taken, or may be taking, to the
 * API: every chunk past `queued` but one ended without a call or `sending` with its call's gate
 * still shut (claim-6.lua, open-call-gate-2.lua). Read after the send was cancelled or paused, it is
 * what goes out regardless: a gate shut then never opens. A chunk that failed as a whole
 * before a call is counted too (the state does not say): "may" is the word. CANCEL_BATCH a round trip.
 */
export async function recipientsTakenToApi(deps: { redis: RedisConnection; keys: Keys }, sendId: string, total: number): Promise<number> {
  let taken = 0;
  for (let start = 0; start < total; start += CANCEL_BATCH) {
    const batch: Promise<(string | null)[]>[] = [];
    for (let i = start; i < Math.min(total, start + CANCEL_BATCH); i++) batch.push(deps.redis.hmget(deps.keys.chunk(`${sendId}.${i}`), 'state', 'callGate', 'n'));
    for (const [state, gate, n] of await Promise.all(batch)) {
      if (state === null || state === undefined || NOT_CALLED.has(state) || (state === 'sending' && gate === '1')) continue;
      taken += Number(n) || 0;
    }
  }
  return taken;
}

/** Chunks one tally script reads at most: each decodes a payload, so a batch holds other clients about as long as a cancel's. */
const TALLY_BATCH = CANCEL_BATCH;

/** What Redis holds of a send whose enqueue did not end: its chunks from 0 and their recipients. */
export interface WrittenChunks {
  chunks: number;
  recipients: number;
  /** The API most of those recipients go by. */
  api: ChunkPayload['api'];
}

/**
 * The chunks of a send written from index 0 on, read TALLY_BATCH a round trip (tally-chunks.lua, each chunk key named):
 * a producer writes them in order, so the first missing index ends them.
 */
export async function writtenChunks(deps: { redis: RedisConnection; keys: Keys }, sendId: string): Promise<WrittenChunks> {
  const tally = luaScript(deps.redis, 'tally-chunks');
  const recipients: Record<ChunkPayload['api'], number> = { SendSms: 0, SendBatchSms: 0 };
  let chunks = 0;
  for (;;) {
    const chunkKeys = Array.from({ length: TALLY_BATCH }, (_, i) => deps.keys.chunk(`${sendId}.${chunks + i}`));
    const [found, sms, batch] = (await tally(1 + TALLY_BATCH, deps.keys.send(sendId), ...chunkKeys)) as [number, number, number];
    chunks += found;
    recipients.SendSms += sms;
    recipients.SendBatchSms += batch;
    if (found < TALLY_BATCH) break;
  }
  return { chunks, recipients: recipients.SendSms + recipients.SendBatchSms, api: apiOfMost(recipients) };
}

/**
 * Whether a send is cancelled with its enqueue unended: its producer was killed mid-list (or was
 * still writing) when it was cancelled, and its record lacks the totals a campaign writes last.
 */
export function isCutShort(state: SendState, enqueued: boolean): boolean {
  return state === 'cancelled' && !enqueued;
}

/**
 * Whether a send the repair sweep failed as abandoned (SMSQ_ENQUEUE_ABANDONED: its producer died
 * mid-list) has its enqueue unended: the sweep was cut off before it ended it, or an older smsq
 * failed it without ending it.
 */
export function isAbandonedUnended(state: SendState, enqueued: boolean, code: string | undefined): boolean {
  return state === 'failed' && !enqueued && code === 'SMSQ_ENQUEUE_ABANDONED';
}

/** How a send whose producer never ended its enqueue is ended: by a cancel, or by the repair sweep's abandon. */
export type UnendedEnqueueEnd = 'cancelled' | 'abandoned';

const NOT_RECORDED = 'the rest of its list was never enqueued, and rows refused at the door or dropped as duplicates before then were not recorded';

/**
 * Ends an enqueue its producer never ended, at what Redis holds: a cut-short send ({@link isCutShort})
 * as its cancel must, or one the repair sweep failed as abandoned ({@link isAbandonedUnended}).
 * Its chunks written are counted (no more can come: create-chunks.lua refuses a cancelled send's,
 * and an abandoned one's producer wrote nothing for the sweep's grace), the queued ones among
 * them cancelled, or for an abandoned send failed with its code (some have no job whose claim
 * would: its producer died between writing them and adding their jobs), and then its enqueue is
 * ended at those totals (SMSQ_ENQUEUE_CUT_SHORT or SMSQ_ENQUEUE_ABANDONED, send-store.ts
 * endCutShort), last, so that one cut off before that is found again by the repair sweep. Its
 * callback is the caller's. Returns what it holds; undefined (nothing done) for `abandoned` when the
 * send is not, or no longer, a send failed as abandoned with its enqueue unended.
 */
export async function endCutShortEnqueue(
  deps: { redis: RedisConnection; keys: Keys; chunks: ChunkStore; sends: SendStore },
  sendId: string,
  how: UnendedEnqueueEnd = 'cancelled',
): Promise<WrittenChunks | undefined> {
  if (how === 'abandoned') {
    // Only a send failed as abandoned whose enqueue is not ended: one its producer ended meanwhile
    // is alive, and failing its queued chunks would lose what it acknowledged.
    const [state, enqueuedAt, code] = await deps.redis.hmget(deps.keys.send(sendId), 'state', 'enqueuedAt', 'code');
    if (!isAbandonedUnended(state as SendState, enqueuedAt !== null, code ?? undefined)) return undefined;
  }
  const written = await writtenChunks(deps, sendId);
  const holds = `it holds the ${written.recipients} recipients in the ${written.chunks} chunks written by then`;
  if (how === 'abandoned') {
    await failQueuedChunks(deps.chunks, sendId, written.chunks, 'SMSQ_ENQUEUE_ABANDONED');
    const reason = `abandoned by its producer (it died before ending its enqueue; the repair sweep failed it): ${holds}, and those not sent by then are never sent; ${NOT_RECORDED}`;
    await deps.sends.endCutShort(sendId, written, reason, 'SMSQ_ENQUEUE_ABANDONED');
    return written;
  }
  await cancelQueuedChunks(deps.chunks, sendId, written.chunks);
  await deps.sends.endCutShort(sendId, written, `cancelled before its enqueue ended: ${holds}; ${NOT_RECORDED}`);
  return written;
}

/** A job that is not delayed any more runs, or has run, anyway: nothing to wake. */
function notDelayedAnyMore(err: unknown): void {
  if ((err as { code?: unknown } | null)?.code !== ErrorCode.JobNotInState) throw err;
}

/** Parked jobs woken per round trip: each is a promote script, which holds other clients as a cancel's batch does. */
const WAKE_BATCH = CANCEL_BATCH;

/**
 * Wakes the jobs parked while a send was paused (they claim again at once: send-processor.ts),
 * WAKE_BATCH a round trip, by BullMQ's own promote: one at a time, each read first (Job.fromId),
 * a campaign of 10,000 chunks took 20,000 round trips. A job no longer delayed (it woke itself, or
 * ran at its park's end) is left as it is. Each batch leaves the set before it is promoted: a job
 * woken that finds its send paused again parks itself anew, and must stay in the set.
 */
export async function wakeParked(deps: WakeDeps, sendId: string): Promise<void> {
  const ids = await deps.redis.smembers(deps.keys.sendParked(sendId));
  for (let start = 0; start < ids.length; start += WAKE_BATCH) await wakeParkedJobs(deps, sendId, ids.slice(start, start + WAKE_BATCH));
}

type WakeDeps = { redis: RedisConnection; keys: Keys; queue: Queue };

/**
 * Wakes these parked jobs of a send in one round trip: out of the set first (a job woken that
 * parks itself again at once must stay in it), promoted, and back in the set if a promote fails
 * otherwise than for a job no longer delayed, so that the next wake finds them (when Redis takes the
 * write). wakeParked's batches, and a job that wakes itself after its park (send-processor.ts).
 */
export async function wakeParkedJobs(deps: WakeDeps, sendId: string, ids: string[]): Promise<void> {
  await deps.redis.srem(deps.keys.sendParked(sendId), ...ids);
  try {
    await Promise.all(ids.map((id) => deps.queue.backend.promote(id).catch(notDelayedAnyMore)));
  } catch (err) {
    await parkJobs(deps, sendId, ids).catch(() => undefined);
    throw err;
  }
}

/**
 * Puts jobs of a paused send in its parked set, which then lives as long as the send record
 * (park-jobs-2.lua): whatever is left in it once the send is forgotten goes with the send.
 */
export async function parkJobs(deps: Pick<WakeDeps, 'redis' | 'keys'>, sendId: string, ids: string[]): Promise<void> {
  await luaScript(deps.redis, 'park-jobs-2')(deps.keys.sendParked(sendId), deps.keys.send(sendId), ...ids);
}
