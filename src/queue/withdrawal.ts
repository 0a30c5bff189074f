/**
 * The withdrawal of an enqueue not confirmed durable (SMSQ_NOT_DURABLE, producers/producer.ts). Its
 * send is held, paused with {@link WITHDRAWN_REASON}, rather than cancelled: the refusal asks the
 * caller to retry under the same idempotency key, and that retry takes the send back (resumes it,
 * once it is confirmed durable) so that it is sent once. A cancelled one was answered to that retry
 * as queued and never sent. The repair sweep cancels a send no retry took back
 * (orphan-rules.ts `decideWithdrawn`), so that a caller who gave up is not sent it minutes later.
 *
 * The reason is the mark: set-control-5.lua moves a send on it only while its `controlReason` is
 * still exactly this, so an operator's pause or resume since (which records its own) takes it over.
 * The same script keeps what `/metrics` says of withdrawals (src/metrics/alert-state.ts): the index
 * of sends held ({@link WITHDRAWN_INDEX_KEEP}) and the counter of {@link WITHDRAWAL_OUTCOMES}.
 */
import type { SendControlMove, SendState } from './lifecycle.js';

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

/**
 * The reason the repair sweep records when it cancels a withdrawn send after `graceMs`. It is kept
 * in Redis and read later by whoever reads the send: `smsq status`, a REST client, a Node caller's
 * `producer.getStatus` (and a retry's SendWithdrawnError quotes it). None of them need be the one
 * whose worker swept it, so it names neither spelling of the grace (SMSQ_REPAIR_ENQUEUE_GRACE_MS of
 * `smsq worker`, `repair.enqueueGraceMs` of createSmsWorker): it says what happened and how long,
 * a record rather than a fix, and docs/operations.md names both settings.
 */
export function lapsedReason(graceMs: number): string {
  return `${WITHDRAWN_REASON}, and no retry of its request took it back within ${Math.round(graceMs / 60_000)} min (the repair sweep's enqueue grace): cancelled by the repair sweep`;
}

/**
 * What the withdrawals counter counts (`smsq_send_withdrawals_total{outcome}`): `held`, a send
 * withdrawn by holding it (a request with an idempotency key); `cancelled`, one withdrawn by
 * cancelling it at once (no key, or a campaign held part-way); and how a held one ended:
 * `taken-back` by a retry of its request, `lapsed` when the repair sweep cancelled it (no retry
 * came: its caller, if it gave up, lost the message).
 */
export const WITHDRAWAL_OUTCOMES = ['held', 'cancelled', 'taken-back', 'lapsed'] as const;
export type WithdrawalOutcome = (typeof WITHDRAWAL_OUTCOMES)[number];

/**
 * The withdrawals counted when a control move of a send is made: `reason` is the one it records,
 * `onlyIfReason` the mark it must bear. Undefined: the move is not a withdrawal's (an operator's).
 */
export function withdrawalOutcome(trigger: SendControlMove, reason: string, onlyIfReason: string): WithdrawalOutcome | undefined {
  if (trigger === 'withdraw') return 'held';
  if (trigger === 'withdrawal-lapsed') return 'lapsed';
  if (trigger === 'resume' && onlyIfReason === WITHDRAWN_REASON) return 'taken-back';
  if (trigger === 'cancel' && reason === WITHDRAWN_REASON) return 'cancelled';
  return undefined;
}

/**
 * The index of withdrawn sends keeps this many of the newest: held sends end within
 * SMSQ_REPAIR_ENQUEUE_GRACE_MS (a retry, or the sweep), so more than this at once means every
 * enqueue is refused, and the gauge saying 1000 says that well enough.
 */
export const WITHDRAWN_INDEX_KEEP = 1000;
