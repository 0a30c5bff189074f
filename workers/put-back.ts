/**
 * Puts a job back for later without counting the start it was fetched with, while this worker
 * holds its lock (give-back-start-2.lua): for a job whose run made no call, or none that happened.
 *
 * BullMQ counts every start of a job (the job hash's `ats`, raised by moveToActive, whether the job
 * then completes, fails, is delayed or rate-limited) and fails it after `maxStartedAttempts` (200).
 * Counted, a hold that is no fault of the job (an endpoint outage's back-off steps, a throttle pause,
 * a stop, a claim not confirmed durable, a paused send, the quiet hours) failed queued messages with
 * SMSQ_GAVE_UP within hours; how long a message waits is its send's deadline's to say. Each caller
 * bounds how often its job comes back (a delay, a back-off, the hold's end). What still spends a
 * start, and why, is the table in docs/operations.md ("What spends a job's starts").
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
