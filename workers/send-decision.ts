import { REQUEST_NOT_BUILT, retriedByWorkers } from '../src/sms/error-codes.js';
import type { ErrorClass, SendResponse, SmsOutcome } from '../src/sms/types.js';

/** What the send processor does with the answer to one send call. */
export type SendDecision =
  | { type: 'accepted'; bizId: string; requestId: string }
  | { type: 'fail-recipients'; code: string; message: string }
  /** A value of the send cannot be put into a request: nothing was written, and it fails the same way every time. */
  | { type: 'not-built'; code: string; message: string }
  | { type: 'fail-send'; code: string; message: string }
  | { type: 'block-account'; code: string; message: string }
  | { type: 'flow-control'; code: string; message: string }
  | { type: 'throttle'; code: string; retryAfterMs: number }
  /**
   * A fault of this worker's own (nothing was written): its endpoint out of reach, or its setup
   * unable to build a request. It backs off by itself (endpoint-backoff.ts); the others go on.
   */
  | { type: 'back-off'; code: string; message: string }
  | { type: 'unknown'; code: string; message: string };

/** Default pause when a throttle answer does not say how long to wait. */
export const DEFAULT_THROTTLE_BACKOFF_MS = 1000;

const BY_CLASS: Record<Exclude<ErrorClass, 'accepted' | 'throttled'>, SendDecision['type']> = {
  permanent: 'fail-recipients',
  sign_template: 'fail-send',
  account: 'block-account',
  flow_control: 'flow-control',
  unknown: 'unknown',
};

/** Maps an outcome to the action the error classes of docs/dysmsapi.md prescribe. */
export function decideSend(outcome: SmsOutcome<SendResponse>): SendDecision {
  if (outcome.ok) return { type: 'accepted', bizId: outcome.data.bizId, requestId: outcome.requestId };
  const e = outcome.error;
  // Told as a setup fault, but it may have come after the request was written: looked up first.
  if (e.mayFollowRequest) return { type: 'unknown', code: e.code, message: e.message };
  if (retriedByWorkers(e)) return { type: 'back-off', code: e.code, message: e.message };
  // Failed before a byte was written: no look-up is owed, and resending would only fail again.
  if (e.code === REQUEST_NOT_BUILT) return { type: 'not-built', code: e.code, message: e.message };
  if (e.errorClass === 'throttled') {
    const ms = e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : DEFAULT_THROTTLE_BACKOFF_MS;
    return { type: 'throttle', code: e.code, retryAfterMs: Math.min(Math.max(ms, 50), 60_000) };
  }
  return { type: BY_CLASS[e.errorClass], code: e.code, message: e.message } as SendDecision;
}
