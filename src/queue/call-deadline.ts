/**
 * How long a claimed attempt may wait before its call, and why that bounds the settling window.
 *
 * Reconcile proves "not accepted" by not finding an attempt once its settling window has passed
 * (reconcile-processor.ts), and then resends. That proof needs every call of the attempt to have
 * reached Dysmsapi by then. A worker that claimed the attempt but was held up before calling (a
 * Redis outage that stalls its job so that another worker reconciles the attempt, a paused VM, a
 * long GC) could otherwise call after the proof, and the recipients would get the SMS twice. So a
 * claim older than the call deadline is never called (send-processor.ts), and the settling window
 * must cover the deadline plus the longest a call can take to reach Dysmsapi (connect + read
 * timeout).
 */

/** What the rule needs, in ms. */
export interface CallDeadlineTiming {
  /** Reconcile's settling window, from the claim. */
  settleMs: number;
  /** The latest a claim's call may start, from the claim. */
  callDeadlineMs: number;
  /** The SMS client's connect timeout. */
  connectTimeoutMs: number;
  /** The SMS client's read timeout. */
  readTimeoutMs: number;
}

/** The default call deadline: half the settling window (30 s of the default 60 s). */
export function defaultCallDeadlineMs(settleMs: number): number {
  return Math.floor(settleMs / 2);
}

/** The shortest settling window that keeps the proof sound with this deadline and these timeouts. */
export function minimumSettleMs(t: Omit<CallDeadlineTiming, 'settleMs'>): number {
  return t.callDeadlineMs + t.connectTimeoutMs + t.readTimeoutMs;
}

/** Undefined when the timing is sound; otherwise what is wrong, with the numbers. */
export function callDeadlineProblem(t: CallDeadlineTiming): string | undefined {
  if (t.callDeadlineMs <= 0) return `the call deadline (${t.callDeadlineMs} ms) must be positive`;
  const min = minimumSettleMs(t);
  if (t.settleMs >= min) return undefined;
  return (
    `the reconcile settling window (${t.settleMs} ms) is shorter than the call deadline (${t.callDeadlineMs} ms) ` +
    `+ connect timeout (${t.connectTimeoutMs} ms) + read timeout (${t.readTimeoutMs} ms) = ${min} ms: ` +
    'a look-up could prove "not accepted" before a held-up call reaches Dysmsapi, and the resend would reach the recipients twice'
  );
}
