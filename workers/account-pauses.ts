import { DelayedError, Worker, type Job, type Queue } from 'bullmq';
import type { CallMetricsRecorder } from '../src/metrics/call-metrics.js';
import type { RedisConnection } from '../src/queue/connection.js';
import type { ThrottleLog } from '../src/queue/throttle-log.js';
import type { AccountGuard } from './account-guard.js';
import type { PauseNotice } from './pause-notice.js';

/** What pausing every worker needs. */
export interface PauseDeps {
  /** The calls queue, whose rate limit every worker obeys. */
  queue: Queue;
  /** Redis, to wake a worker blocked waiting for a job (see {@link pauseEveryWorker}). */
  redis: RedisConnection;
  guard: AccountGuard;
  metrics?: Pick<CallMetricsRecorder, 'recordLimiterWait'>;
  /** Where throttle answers are logged for `status`, which keeps naming them between pauses. Optional. */
  throttles?: ThrottleLog;
  /** Tells every worker's claims and look-ups waiting for their pacer slots of the pause (pause-notice.ts). Optional. */
  pauses?: Pick<PauseNotice, 'announce'>;
}

/**
 * Dysmsapi throttled the account's call of `action` (SendSms, SendBatchSms, QuerySendDetails): every
 * worker pauses for `ms` (BullMQ's queue-wide rate limit), then the job runs again. Always throws BullMQ's RateLimitError, which the processor must let out.
 *
 * BullMQ puts the job back without its marker, because every smsq job has a priority (it adds the
 * marker only for jobs without one). A worker blocked waiting for a job, as any worker with a free
 * slot is, was then woken by nothing: it slept out its block, up to 10 s when a job is delayed
 * ahead (every accepted send leaves a receipt look-up 30 s or more ahead), before it saw the job
 * again, so sending stopped ~9 s longer than a 1 s pause (docs/rate-limiting.md). The marker added
 * here, after the limit is set, wakes one: its fetch answers with the limit, it waits that out and
 * fetches when it ends, and each fetch adds the marker that wakes the next.
 *
 * The limit holds job starts, not jobs already started: a send claim or a look-up waiting for its
 * pacer slot would still call. The notice (pause-notice.ts) keeps those from calling: published
 * here alongside the limit, unless `announced` says the caller published it already (a throttled
 * send does, before it records the answer, so that the other workers hear it one write sooner).
 */
export async function pauseEveryWorker(deps: PauseDeps, ms: number, action: string, { announced = false }: { announced?: boolean } = {}): Promise<never> {
  await Promise.all([deps.queue.rateLimit(ms), announced ? undefined : deps.pauses?.announce(ms)]);
  // BullMQ's own base marker (addBaseMarkerIfNeeded.lua). Without it the pause still holds, only
  // longer: a failed write must not keep the job from its pause.
  await deps.redis.zadd(deps.queue.keys.marker as string, 0, '0').catch(() => {});
  deps.metrics?.recordLimiterWait('throttled', ms / 1000);
  // Only what status says depends on it: a failed write must not keep the job from its pause.
  await deps.throttles?.record(ms, action).catch(() => {});
  throw Worker.RateLimitError();
}

/**
 * An account or configuration error: sending stops for every worker until the account guard
 * resumes it, and the job is kept (delayed a second, then parked by the paused queue). Always throws
 * DelayedError, which the processor must let out.
 */
export async function blockAccount(deps: PauseDeps, job: Job, token: string | undefined, code: string, message: string): Promise<never> {
  await deps.guard.block(code, message);
  deps.metrics?.recordLimiterWait('account', 0);
  await job.moveToDelayed(Date.now() + 1000, token);
  throw new DelayedError();
}
