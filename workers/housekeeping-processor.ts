import { createHmac } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import { CallbackJobData, ExpireJobData, JOB } from '../src/queue/job-schemas.js';
import type { SendStore } from '../src/queue/send-store.js';
import type { ExpireChunk } from '../src/receipts/window-expiry.js';
import type { CallbackPoster } from './callback-post.js';

export interface HousekeepingDeps {
  sends: SendStore;
  /** Ends a chunk's receipt window (the sweep's work; also done for receipt-expire jobs). */
  expireChunk: ExpireChunk;
  clock: Clock;
  logger: Logger;
  /**
   * Signs callback bodies (HMAC-SHA256). Without it a callback fails and is retried with back-off,
   * so a worker with the secret (or this one restarted with it) delivers it within its attempts.
   */
  callbackSecret: string | undefined;
  /** Makes the callback POSTs, refusing addresses callbacks may not reach. */
  callbacks: CallbackPoster;
}

/** Why a worker without the secret fails a callback, in its log and as the job's failure. */
export const NO_CALLBACK_SECRET =
  'SMSQ_CALLBACK_SECRET is not set on this worker: the callback cannot be signed and is retried with back-off (a worker with the secret delivers it). ' +
  'Fix: set SMSQ_CALLBACK_SECRET on every worker, the same value as on the producers and smsq server, and restart it';

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
 *   to its callback URL, signed, retried with back-off.
 */
export function createHousekeepingProcessor(deps: HousekeepingDeps) {
  const log = deps.logger.child({ component: 'housekeeping' });

  async function expire(job: Job) {
    const parsed = ExpireJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`expire job ${job.id} has invalid data`);
    return { expired: await deps.expireChunk(parsed.data.chunkId) };
  }

  async function callback(job: Job) {
    const parsed = CallbackJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`callback job ${job.id} has invalid data`);
    const status = await deps.sends.status(parsed.data.sendId);
    const url = status?.send.callbackUrl;
    if (!status || !url) return { sent: false };
    if (!deps.callbackSecret) {
      // Not unrecoverable: the producer that accepted the URL had the secret, so this worker's
      // environment is what is wrong, and another worker (or this one, fixed) can still sign it.
      log.error({ sendId: status.send.sendId, attempt: job.attemptsMade + 1, attempts: job.opts.attempts }, NO_CALLBACK_SECRET);
      throw new Error(NO_CALLBACK_SECRET);
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

  return async function processHousekeeping(job: Job) {
    if (job.name === JOB.expire) return expire(job);
    if (job.name === JOB.callback) return callback(job);
    throw new UnrecoverableError(`unknown housekeeping job "${job.name}"`);
  };
}
