/**
 * When a look-up is made anew after BullMQ failed its job at the start limit (`maxStartedAttempts`:
 * sustained throttling or account blocks spend a start each). An attempt in doubt is never resent
 * without a look-up, and an accepted recipient's receipt is not left to expire while Dysmsapi holds
 * it, so such a look-up is never dropped; but the limit was reached because the account could not
 * take the call, so each new one waits longer (look-ups take from the same account cap).
 */

/** The first look-up made anew waits this long (ms). */
export const LOOKUP_RESTART_FIRST_MS = 5_000;
/**
 * The longest wait (ms): the repair sweep's default interval, the wait a look-up left without a job
 * had before.
 */
export const LOOKUP_RESTART_MAX_MS = 300_000;

/** How long the `restarts`-th new look-up of an attempt (1 for the first) waits: doubling from the first, at most the longest. */
export function lookupRestartDelayMs(restarts: number): number {
  const n = Math.max(1, Math.floor(restarts));
  // 2^(n-1) overflows to Infinity long after the cap: min keeps it finite.
  return Math.min(LOOKUP_RESTART_MAX_MS, LOOKUP_RESTART_FIRST_MS * 2 ** (n - 1));
}

/**
 * When the `restarts`-th new look-up runs, its wait taken from `now`; undefined when that is not
 * before `endsAt` (a receipt window's end: a look-up then would find its recipients expired, as
 * receipt-policy.ts's `lookAt` schedules none past it either).
 */
export function lookupRestartAt(now: number, restarts: number, endsAt = Number.POSITIVE_INFINITY): number | undefined {
  const at = now + lookupRestartDelayMs(restarts);
  return at < endsAt ? at : undefined;
}
