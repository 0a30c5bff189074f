/**
 * Chunks of a send left `sending` by a worker that stopped mid-call (killed, or held up past its
 * lock), for `status` (send-wait.ts, `worker-lost`). Read-only.
 *
 * The link from a chunk to a live call is BullMQ's job lock: a worker takes a job by setting
 * `<prefix>:calls:<jobId>:lock` (its token, living `lockDuration`) and renews it while the job runs
 * (about every half of it). A job in the active list without its lock is what BullMQ itself calls
 * stalled: its worker stopped renewing. A live worker's stalled-job check moves such a job back to
 * the queue; the worker that takes it again finds the chunk `sending`, marks it `unknown` and looks
 * the attempt up with QuerySendDetails before any resend (claim-6.lua, design invariant 1).
 *
 * A `sending` chunk is claimed inside a job that holds its lock, so a `sending` chunk none of whose
 * send jobs (`s.<chunk>.a1 .. a<attempt+1>`, orphan-rules.ts) holds a lock has no call in flight
 * that a worker still answers for. The chunk and the locks are read in one MULTI, so a call that
 * ends meanwhile (its outcome written, then the job and its lock gone) is not taken for lost.
 */
import type { RedisConnection } from './connection.js';
import { CALLS_QUEUE, type Keys } from './keys.js';
import { DEFAULT_JOB_SEARCH, sendJobCandidates } from '../repair/orphan-rules.js';
import { chunkOfJob } from './job-schemas.js';

/** How often `smsq worker` runs BullMQ's stalled-job check (ms): its default `stalledInterval`. */
export const STALLED_CHECK_MS = 30_000;

/** Active jobs read at most: the active list holds one id per job in flight across every worker. */
const MAX_ACTIVE_READ = 10_000;

/** What a send has lost mid-call. */
export interface LostCalls {
  /** Chunks left `sending` with no worker holding their job. */
  chunks: number;
  /** Their recipients. */
  recipients: number;
}

/**
 * The chunks of `sendId` whose job is active and unlocked and that are still `sending` with no
 * job of theirs locked; undefined when there are none. A job already moved back to the queue
 * (not active) is not looked for: the next worker to take it resolves its chunk.
 */
export async function readLostCalls(redis: RedisConnection, keys: Keys, sendId: string): Promise<LostCalls | undefined> {
  const queue = `${keys.prefix}:${CALLS_QUEUE}`;
  const lock = (jobId: string) => `${queue}:${jobId}:lock`;
  const mine = `s.${sendId}.`;
  const active = (await redis.lrange(`${queue}:active`, 0, MAX_ACTIVE_READ - 1)).filter((id) => id.startsWith(mine));
  if (active.length === 0) return undefined;

  const first = redis.pipeline();
  for (const jobId of active) first.exists(lock(jobId)).hmget(keys.chunk(chunkOfJob(jobId)), 'state', 'attempt');
  const read = (await first.exec()) ?? [];
  const suspects = new Map<string, number>();
  active.forEach((jobId, i) => {
    const [lockErr, locked] = read[2 * i] ?? [];
    const [chunkErr, fields] = read[2 * i + 1] ?? [];
    if (lockErr || chunkErr || locked !== 0) return;
    const [state, attempt] = fields as (string | null)[];
    if (state === 'sending') suspects.set(chunkOfJob(jobId), Number(attempt ?? 0));
  });
  if (suspects.size === 0) return undefined;

  // Confirmed in one MULTI: still `sending` at the same attempt, and no send job of the chunk locked.
  const confirm = redis.multi();
  const reads = [...suspects].map(([chunkId, attempt]) => {
    const candidates = sendJobCandidates(chunkId, attempt, DEFAULT_JOB_SEARCH);
    confirm.hmget(keys.chunk(chunkId), 'state', 'attempt', 'n');
    for (const jobId of candidates) confirm.exists(lock(jobId));
    return { attempt, locks: candidates.length };
  });
  const replies = ((await confirm.exec()) ?? []).map(([err, value]) => (err ? undefined : value));
  let at = 0;
  let chunks = 0;
  let recipients = 0;
  for (const { attempt, locks } of reads) {
    const [state, nowAttempt, n] = (replies[at] as (string | null)[] | undefined) ?? [];
    const held = replies.slice(at + 1, at + 1 + locks).some((locked) => locked !== 0);
    at += 1 + locks;
    if (state !== 'sending' || Number(nowAttempt ?? 0) !== attempt || held) continue;
    chunks++;
    recipients += Number(n ?? 0);
  }
  return chunks > 0 ? { chunks, recipients } : undefined;
}
