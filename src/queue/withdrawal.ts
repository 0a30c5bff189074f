/**
 * The withdrawal of an enqueue not confirmed durable (SMSQ_NOT_DURABLE, producers/producer.ts). Its
 * send is held, paused with {@link WITHDRAWN_REASON}, rather than cancelled: the refusal asks the
 * caller to retry under the same idempotency key, and that retry takes the send back (resumes it,
 * once it is confirmed durable) so that it is sent once. A cancelled one was answered to that retry
 * as queued and never sent. The repair sweep cancels a send no retry took back
 * (orphan-rules.ts `decideWithdrawn`), so that a caller who gave up is not sent it minutes later.
 *
 * The reason is the mark: set-control-2.lua moves a send on it only while its `controlReason` is
 * still exactly this, so an operator's pause or resume since (which records its own) takes it over.
 */
import type { SendState } from './lifecycle.js';

/** The `controlReason` of a withdrawn send; a cancelled send whose reason begins with it ended withdrawn. */
export const WITHDRAWN_REASON = 'not confirmed durable at enqueue';

/** What the predicates read of a send. */
export interface WithdrawalView {
  state: SendState;
  controlReason?: string | undefined;
}

/** Held by its withdrawal: a retry of its request takes it back. */
export function isWithdrawn(send: WithdrawalView): boolean {
  return send.state === 'paused' && send.controlReason === WITHDRAWN_REASON;
}

/** Cancelled as withdrawn: by the repair sweep once no retry came in time, or at once (no idempotency key, or an earlier version). */
export function endedWithdrawn(send: WithdrawalView): boolean {
  return send.state === 'cancelled' && (send.controlReason ?? '').startsWith(WITHDRAWN_REASON);
}

/** The reason the repair sweep records when it cancels a withdrawn send after `graceMs`. */
export function lapsedReason(graceMs: number): string {
  return `${WITHDRAWN_REASON}, and no retry of its request took it back within ${Math.round(graceMs / 60_000)} min (SMSQ_REPAIR_ENQUEUE_GRACE_MS): cancelled by the repair sweep`;
}
