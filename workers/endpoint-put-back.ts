/**
 * Puts back a job whose call met an endpoint fault the worker backs off from (endpoint-backoff.ts):
 * ready again at once, for any worker whose endpoint answers, and its start not counted.
 *
 * BullMQ counts every start of a job (the job hash's `ats`, raised by moveToActive, whether the job
 * then completes, fails, is delayed or rate-limited) and fails it after `maxStartedAttempts` (200).
 * Counted, each back-off step of a worker that cannot reach its endpoint costs a start of every job
 * it took: an outage of 30 minutes is ~35 steps per such worker, so a few such workers failed
 * queued messages with SMSQ_GAVE_UP within it. The call made nothing happen (no connection), so the
 * start is given back: how long a message waits is the send's deadline's to say, not the outage's.
 * A claim or a look-up that reached its slot while the account was paused by a throttle answer is
 * put back the same way, ready again when the pause ends (`delayMs`), for the same reason; so is a
 * job a stopping worker hands back (held-jobs.ts, send-processor.ts), and a claim not confirmed
 * durable (after its back-off, claim-durability-backoff.ts), and a job held back without a claim
 * (its send paused, marketing inside the quiet hours: send-processor.ts), after the re-check delay,
 * which bounds how often it comes back. A claim held past its call deadline is not: see
 * SMSQ_CLAIM_EXPIRED in send-processor.ts.
 */
import { DelayedError, type Job } from 'bullmq';
import type { RedisConnection } from '../src/queue/connection.js';
import { luaScript } from '../src/queue/lua.js';

export async function putBackUncounted(redis: RedisConnection, job: Job, token: string | undefined, delayMs = 0): Promise<never> {
  await moveBackUncounted(redis, job, token, delayMs);
  throw new DelayedError();
}

/**
 * {@link putBackUncounted} for a caller with more to do once the job is delayed (a parked job that
 * must see a resume it may have missed): it then throws DelayedError itself.
 */
export async function moveBackUncounted(redis: RedisConnection, job: Job, token: string | undefined, delayMs: number): Promise<void> {
  // Only while this worker holds the job's lock (give-back-start-2.lua): a graceful stop puts back
  // every job it holds, and one whose lock lapsed in a slow close may be another worker's by now.
  if (token !== undefined) {
    const jobKey = `${job.queueQualifiedName}:${job.id}`;
    await luaScript(redis, 'give-back-start-2')(jobKey, `${jobKey}:lock`, token);
  }
  await job.moveToDelayed(Date.now() + delayMs, token);
}
