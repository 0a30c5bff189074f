/**
 * Rate-window maths for BullMQ's fixed-window limiter.
 *
 * BullMQ counts job starts in a window that opens with the first start and lasts `duration` ms
 * (INCR + PEXPIRE in moveToActive). Windows never overlap, so a sliding second of API calls can
 * touch at most `1000 / duration + 1` windows, and one more when a call leaves a few ms after its
 * job started (the jitter between start and request, always smaller than a window). To keep every
 * sliding second under the cap we allow `max` starts per window with
 *   max * (ceil(1000 / duration) + 2) <= cap
 * and pick the duration that leaves the highest guaranteed average rate. Short windows make it
 * precise: a long window lets a sliding second straddle two full windows (docs/benchmarks.md,
 * "Figures behind the code").
 */
export interface RateWindow {
  /** Job starts allowed per window. */
  max: number;
  /** Window length in milliseconds. */
  duration: number;
  /** Guaranteed ceiling for any sliding second: `max * (ceil(1000 / duration) + 2)`. */
  worstSlidingSecond: number;
  /** Average rate when the backlog keeps every window full: `max * 1000 / duration`. */
  sustainedPerSecond: number;
}

/** Upper bound assumed for the delay between a job's start and its HTTP request. */
export const MAX_START_JITTER_MS = 50;

/** Window lengths that divide a second; shorter first, so ties favour precision. */
const CANDIDATE_DURATIONS = [10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000] as const;

/** Chooses the limiter window for an account-wide cap of `qps` calls per sliding second. */
export function planRateWindow(qps: number): RateWindow {
  if (!Number.isInteger(qps) || qps < 1) throw new RangeError(`qps must be a positive integer, got ${qps}`);
  let best: RateWindow | undefined;
  for (const duration of CANDIDATE_DURATIONS) {
    const windowsPerSecondWorstCase = Math.ceil(1000 / duration) + 2;
    const max = Math.floor(qps / windowsPerSecondWorstCase);
    if (max < 1) continue;
    const candidate: RateWindow = {
      max,
      duration,
      worstSlidingSecond: max * windowsPerSecondWorstCase,
      sustainedPerSecond: (max * 1000) / duration,
    };
    if (!best || candidate.sustainedPerSecond > best.sustainedPerSecond) best = candidate;
  }
  if (best) return best;
  // Tiny caps (1 or 2): one start per window, and windows a jitter margin longer than
  // 1000 / qps, so consecutive calls are always at least 1000 / qps apart.
  const duration = Math.ceil(1000 / qps) + MAX_START_JITTER_MS;
  return { max: 1, duration, worstSlidingSecond: qps, sustainedPerSecond: 1000 / duration };
}

/** Largest number of events inside any half-open window of `windowMs` (events sorted or not). */
export function maxInSlidingWindow(times: readonly number[], windowMs = 1000): number {
  return busiestSlidingWindow(times, windowMs).count;
}

/** The busiest half-open window of `windowMs`: how many events, and the time of its first (0 when none). */
export function busiestSlidingWindow(times: readonly number[], windowMs = 1000): { count: number; start: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let count = 0;
  let start = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    if (hi - lo + 1 > count) [count, start] = [hi - lo + 1, sorted[lo] as number];
  }
  return { count, start };
}
