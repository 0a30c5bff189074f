import { DelayedError, Worker, type Job, type Queue } from 'bullmq';
import type { CallMetricsRecorder } from '../src/metrics/call-metrics.js';
import type { ThrottleLog } from '../src/queue/throttle-log.js';
import type { AccountGuard } from './account-guard.js';

/** What pausing every worker needs. */
export interface PauseDeps {
  /** The calls queue, whose rate limit every worker obeys. */
  queue: Queue;
  guard: AccountGuard;
  metrics?: Pick<CallMetricsRecorder, 'recordLimiterWait'>;
  /** Where throttle answers are logged for `status`, which keeps naming them between pauses. Optional. */
  throttles?: ThrottleLog;
}

/**
 * Dysmsapi throttled the account: every worker pauses for `ms` (BullMQ's queue-wide rate limit),
 * then the job runs again. Always throws BullMQ's RateLimitError, which the processor must let out.
 */
export async function pauseEveryWorker(deps: PauseDeps, ms: number): Promise<never> {
  await deps.queue.rateLimit(ms);
  deps.metrics?.recordLimiterWait('throttled', ms / 1000);
  // Only what status says depends on it: a failed write must not keep the job from its pause.
  await deps.throttles?.record(ms).catch(() => {});
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
