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
 * put back the same way, ready again when the pause ends (`delayMs`), for the same reason.
 */
import { DelayedError, type Job } from 'bullmq';
import type { RedisConnection } from '../src/queue/connection.js';

export async function putBackUncounted(redis: RedisConnection, job: Job, token: string | undefined, delayMs = 0): Promise<never> {
  // While this worker holds the job's lock: the hash exists (an active locked job is not removed).
  await redis.hincrby(`${job.queueQualifiedName}:${job.id}`, 'ats', -1);
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}
