/**
 * When a look-up is made anew after BullMQ failed its job at the start limit (`maxStartedAttempts`:
 * sustained throttling or account blocks spend a start each). An attempt in doubt is never resent
 * without a look-up, so its look-up is never dropped; but the limit was reached because the account
 * could not take the call, so each new one waits longer (look-ups take from the same account cap).
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
