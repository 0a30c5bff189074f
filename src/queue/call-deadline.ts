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
 *
 * The deadline has a floor too. Between its claim and its call a claim waits, by design, for its
 * durability confirmation (WAIT / WAITAOF, up to SMSQ_DURABILITY_TIMEOUT_MS) and for its pacer slot
 * (up to the pacer's reach; after a confirmation that outlasted the slot, a new slot up to that far
 * again). A deadline shorter than those waits undoes claims that nothing held up, and the job that
 * is put back claims and waits again: every undo spends one of its starts, and the message fails
 * SMSQ_GAVE_UP with nothing sent. Settings that allow it are refused at start.
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

/**
 * How far a claiming worker's clock may be behind a reconciling worker's before the proof of "not
 * accepted" can come while a call of the attempt is still on its way: the claim's time is the
 * claimer's, the window's end the reconciler's (docs/operations.md, Clocks). 24 s by default.
 */
export function clockSkewMarginMs(t: CallDeadlineTiming): number {
  return t.settleMs - minimumSettleMs(t);
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

/** What keeps a claim from its call by design, in ms. */
export interface ClaimHold {
  /** How far ahead the pacer may reserve the call's slot (PACER_REACH_MS); 0 without the pacer. */
  pacerReachMs: number;
  /** How long the claim's durability confirmation may take (durability/mode.ts confirmationWaitMs). */
  confirmationMs: number;
}

/**
 * What the deadline allows beyond the waits: the claim's own round trip, and the lateness of the
 * timer that wakes the caller for its slot (the pacer lets it wake 20 ms late).
 */
export const CLAIM_HOLD_SLACK_MS = 100;

/** The shortest call deadline that a claim held as long as `hold` allows still meets. */
export function shortestCallDeadlineMs(hold: ClaimHold): number {
  return hold.pacerReachMs + hold.confirmationMs + CLAIM_HOLD_SLACK_MS;
}

/** The settings behind the numbers, as the caller set them (the environment, or the worker's options). */
export interface ClaimHoldWords {
  /** The deadline, with the setting that gives it and its value. */
  deadline: string;
  /** The confirmation's timeout, with its value and mode. */
  confirmation: string;
  /** The fix that raises the deadline to at least `minDeadlineMs`. */
  longerDeadline(minDeadlineMs: number): string;
  /** The fix that lowers the confirmation's timeout to at most `maxTimeoutMs`. */
  shorterConfirmation(maxTimeoutMs: number): string;
  /** The least timeout the confirmation's setting takes. */
  leastTimeoutMs: number;
}

/** Undefined when every claim nothing held up meets the deadline; otherwise what is wrong, with the numbers and the fix. */
export function claimHoldProblem(callDeadlineMs: number, hold: ClaimHold, words: ClaimHoldWords): string | undefined {
  const shortest = shortestCallDeadlineMs(hold);
  if (callDeadlineMs >= shortest) return undefined;
  const waits = [
    ...(hold.confirmationMs > 0 ? [`${words.confirmation} for its durability confirmation`] : []),
    ...(hold.pacerReachMs > 0 ? [`the call pacer's reach (${hold.pacerReachMs} ms, how far ahead it reserves a call's slot) for its slot`] : []),
  ];
  const maxTimeoutMs = callDeadlineMs - hold.pacerReachMs - CLAIM_HOLD_SLACK_MS;
  const fixes = [words.longerDeadline(shortest), ...(hold.confirmationMs > 0 && maxTimeoutMs >= words.leastTimeoutMs ? [words.shorterConfirmation(maxTimeoutMs)] : [])];
  return (
    `${words.deadline} is shorter than what a claim waits before its call by design: ${waits.join(', then ')}, + ${CLAIM_HOLD_SLACK_MS} ms = ${shortest} ms. ` +
    "Claims would pass their call deadline with nothing holding them up, be undone (SMSQ_CLAIM_EXPIRED) and made again, each undo spending one of the job's starts, " +
    `until the message fails SMSQ_GAVE_UP with nothing sent. Fix: ${fixes.join(', or ')}`
  );
}
