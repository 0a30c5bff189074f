import { createHmac } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import type { CallMetricsRecorder } from '../src/metrics/call-metrics.js';
import { CallbackJobData, ExpireJobData, JOB } from '../src/queue/job-schemas.js';
import type { SendStore } from '../src/queue/send-store.js';
import { isSendEnded } from '../src/queue/lifecycle.js';
import type { ExpireChunk } from '../src/receipts/window-expiry.js';
import type { CallbackPoster } from './callback-post.js';
import { parseJobData } from './job-data.js';

export interface HousekeepingDeps {
  sends: SendStore;
  /** Ends a chunk's receipt window (the sweep's work; also done for receipt-expire jobs). */
  expireChunk: ExpireChunk;
  clock: Clock;
  logger: Logger;
  /**
   * Signs callback bodies (HMAC-SHA256). Without it a callback is moved back for
   * {@link NO_SECRET_RECHECK_MS} without using an attempt, however long that lasts, so that a
   * worker with the secret (or this one restarted with it) delivers it.
   */
  callbackSecret: string | undefined;
  /** Makes the callback POSTs, refusing addresses callbacks may not reach. */
  callbacks: CallbackPoster;
  /** Counts callbacks moved back for want of the secret (`smsq_housekeeping_failures_total`). Optional. */
  metrics?: Pick<CallMetricsRecorder, 'recordHousekeepingFailure'>;
}

/**
 * How long a callback taken by a worker without the secret waits before a worker takes it again.
 * Each such take is counted (`deferred`), so SmsqCallbacksFailing fires while one waits.
 */
export const NO_SECRET_RECHECK_MS = 60_000;

/** How the failed reason of a callback given up for want of the secret starts (versions that spent its attempts on it), and the log line below. */
const NO_SECRET_REASON = 'SMSQ_CALLBACK_SECRET is not set on this worker';

/** Why a worker without the secret does not send a callback, in its log. */
export const NO_CALLBACK_SECRET =
  `${NO_SECRET_REASON}: the callback cannot be signed; it waits, without using an attempt, and is taken again in a minute (a worker with the secret delivers it). ` +
  'Fix: set SMSQ_CALLBACK_SECRET on every worker, the same value as on the producers and smsq server, and restart it';

/** Failed housekeeping jobs looked at for callbacks given up for want of the secret, at most. */
const FAILED_SAMPLED = 1000;

/**
 * Callbacks an earlier version gave up because its workers lacked the secret (it spent their
 * attempts, and their failed jobs keep their ids for a week): retried, so that a worker that has
 * the secret sends them. The newest {@link FAILED_SAMPLED} failed jobs are looked at; returns how
 * many were retried (another worker starting at the same time may take some first).
 */
export async function retryCallbacksFailedForSecret(housekeeping: Queue): Promise<number> {
  const failed = await housekeeping.getJobs(['failed'], 0, FAILED_SAMPLED - 1);
  let retried = 0;
  for (const job of failed) {
    if (job?.name !== JOB.callback || !job.failedReason?.startsWith(NO_SECRET_REASON)) continue;
    try {
      // Its 10 attempts were spent on the fault: the receiver gets them all again.
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      retried++;
    } catch {
      // No longer failed: retried by another worker meanwhile.
    }
  }
  return retried;
}

/** A URL for a log or a job's reason: its query and credentials may carry tokens. */
function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(an unreadable Location)';
  }
}

/** The header carrying `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export const SIGNATURE_HEADER = 'x-smsq-signature';
export const TIMESTAMP_HEADER = 'x-smsq-timestamp';

/** Signs a callback body the way receivers verify it (see docs/receipts-and-controls.md, "Callbacks"). */
export function signCallback(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Jobs that make no Dysmsapi call, on their own queue outside the account limiter:
 * - receipt-expire: recipients of an accepted chunk still without a final receipt when the window
 *   ends become `expired` (SMSQ_RECEIPT_WINDOW). Windows now end by the workers' sweep
 *   (src/receipts/window-sweep.ts); this job only serves jobs queued by earlier versions;
 * - callback: POST the end state a send reached (completed, cancelled, expired, failed) and its counts
 *   to its callback URL, signed, retried with back-off; on a worker without the secret it waits.
 */
export function createHousekeepingProcessor(deps: HousekeepingDeps) {
  const log = deps.logger.child({ component: 'housekeeping' });

  async function expire(job: Job) {
    return { expired: await deps.expireChunk(parseJobData(ExpireJobData, job, 'expire').chunkId) };
  }

  async function callback(job: Job, token: string | undefined) {
    const { sendId } = parseJobData(CallbackJobData, job, 'callback');
    const status = await deps.sends.status(sendId);
    const url = status?.send.callbackUrl;
    if (!status || !url) {
      if (!status) log.warn({ sendId }, 'callback not sent: its send record is gone (expired after its retention)');
      return { sent: false };
    }
    if (!deps.callbackSecret) {
      // The producer that accepted the URL had the secret: this worker's environment is at fault,
      // not the receiver. Spending the job's attempts would lose the callback after them (and
      // leave its id taken by a failed job); it waits instead, for as long as the fault lasts.
      log.error({ sendId: status.send.sendId, recheckInMs: NO_SECRET_RECHECK_MS }, NO_CALLBACK_SECRET);
      await deps.metrics?.recordHousekeepingFailure(JOB.callback, 'deferred');
      await job.moveToDelayed(Date.now() + NO_SECRET_RECHECK_MS, token);
      throw new DelayedError();
    }
    if (!isSendEnded(status.send.state)) {
      // smsq adds a send's callback job once the send has ended; one found earlier was added by
      // something else (by hand, a foreign program) under the callback's id, which the real one
      // would then find taken. It posts nothing now and looks again, and so posts the real end.
      log.warn({ sendId, state: status.send.state, recheckInMs: NO_SECRET_RECHECK_MS }, 'callback job for a send that has not ended: nothing posted; it looks again until the send ends');
      await job.moveToDelayed(Date.now() + NO_SECRET_RECHECK_MS, token);
      throw new DelayedError();
    }
    const timestamp = String(deps.clock.now());
    // The end state it reached first (the job's id is the send's: one callback per send).
    const { state, stateChangedAt } = status.send;
    const body = JSON.stringify({ event: `send.${state}`, state, stateChangedAt, sendId: status.send.sendId, kind: status.send.kind, counts: status.counts, at: Number(timestamp) });
    const res = await deps.callbacks.post(
      url,
      {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signCallback(deps.callbackSecret, timestamp, body),
        [TIMESTAMP_HEADER]: timestamp,
        'user-agent': 'smsq-callback',
      },
      body,
    );
    if (res.location !== undefined && res.status >= 300 && res.status < 400) {
      throw new Error(`callback answered HTTP ${res.status}, a redirect to ${withoutQuery(res.location)}, which is not followed (only the URL checked at the door is asked); retrying with back-off. Fix: the receiver's final URL as callbackUrl in later sends`);
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`callback answered HTTP ${res.status}; retrying with back-off`);
    log.info({ sendId: status.send.sendId, status: res.status }, 'callback delivered');
    return { sent: true, status: res.status };
  }

  return async function processHousekeeping(job: Job, token?: string) {
    if (job.name === JOB.expire) return expire(job);
    if (job.name === JOB.callback) return callback(job, token);
    throw new UnrecoverableError(`unknown housekeeping job "${job.name}"`);
  };
}
