import type { Job } from 'bullmq';
import type { RedisConnection } from '../src/queue/connection.js';
import { canAdopt, canFire, CHUNK_LIFECYCLE, type ChunkState, type ChunkTrigger } from '../src/queue/lifecycle.js';
import { retriedByWorkers } from '../src/sms/error-codes.js';
import { parseCstDateTime } from '../src/sms/dates.js';
import type { SmsError } from '../src/sms/errors.js';
import type { ErrorClass } from '../src/sms/error-codes.js';
import { blockAccount, pauseEveryWorker, type PauseDeps } from './account-pauses.js';
import { DEFAULT_THROTTLE_BACKOFF_MS } from './send-decision.js';
import { SMS_CLIENT_ACTIONS } from '../src/sms/actions.js';
import { putBackUncounted } from './put-back.js';

/** QuerySendDetails page size (its maximum). */
export const LOOKUP_PAGE_SIZE = 50;

/** The triggers a look-up's answer fires: found, or provably not accepted (reconcile-processor.ts). */
const LOOKUP_ANSWERS = ['lookup-found', 'lookup-not-found'] as const satisfies readonly ChunkTrigger[];

/** Whether a look-up of the record's own attempt can settle a chunk in `state`: either answer still moves it. */
export function lookupSettles(state: ChunkState): boolean {
  return LOOKUP_ANSWERS.every((trigger) => canFire(CHUNK_LIFECYCLE, trigger, state));
}

/** Whether a look-up of an attempt newer than the record's (its claim lost) can settle a chunk in `state`: either answer adopts it. */
export function lookupAdopts(state: ChunkState): boolean {
  return LOOKUP_ANSWERS.every((trigger) => canAdopt(trigger, state));
}

/**
 * QuerySendDetails failed in an ordinary way (retried with the job's back-off): its code and class,
 * so that what follows a job whose tries all failed can tell an answer that repeats (permanent,
 * sign_template) from one that passes (lookup-start-limit.ts).
 */
export class LookupRefusedError extends Error {
  constructor(
    readonly code: string,
    detail: string,
    readonly errorClass: ErrorClass,
  ) {
    super(`QuerySendDetails failed: ${code} ${detail}`);
    this.name = 'LookupRefusedError';
  }
}

/** Whether {@link failLookup} fails a look-up with `e` in the ordinary way, retried with its job's back-off. */
export function retriedWithBackoff(e: SmsError): boolean {
  return !retriedByWorkers(e) && e.errorClass !== 'throttled' && e.errorClass !== 'account';
}

/**
 * What a look-up job (reconcile, receipt) does when QuerySendDetails fails. It always throws:
 * an endpoint this worker cannot reach, or a request its own setup cannot build (`retriedByWorkers`)
 * → the job goes back uncounted, and this worker backs off by itself (DelayedError;
 * endpoint-backoff.ts), as a send does; throttled → every worker slows down and the job runs
 * again (RateLimitError); account → sending
 * stops for every worker and the job is kept (DelayedError); anything else → an ordinary failure,
 * retried with the job's back-off. A look-up is read-only, so retrying it is always safe.
 */
export async function failLookup(
  e: SmsError,
  job: Job,
  token: string | undefined,
  deps: PauseDeps & { redis: RedisConnection },
): Promise<never> {
  // A fault of this worker's own: put back for any worker without it; this one backs off by itself.
  if (retriedByWorkers(e)) return putBackUncounted(deps.redis, job, token);
  if (e.errorClass === 'throttled') return pauseEveryWorker(deps, e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : DEFAULT_THROTTLE_BACKOFF_MS, SMS_CLIENT_ACTIONS.querySendDetails);
  if (e.errorClass === 'account') return blockAccount(deps, job, token, e.code, e.message);
  throw new LookupRefusedError(e.code, e.message, e.errorClass);
}

/** A time QuerySendDetails gives (`SendDate`, `ReceiveDate`: `yyyy-MM-dd HH:mm:ss`, UTC+8) in ms; undefined when it does not read as one. */
export function detailTime(text: string): number | undefined {
  try {
    return parseCstDateTime(text);
  } catch {
    return undefined;
  }
}
