/**
 * How far a process's clock is from Redis's, from one `TIME` asked between two readings of the
 * process clock. Lua scripts take the time in ARGV from the process that runs them. An offset of
 * one worker's clock cancels out where it is compared with itself (a claim's call deadline); it
 * counts where one worker's time meets another's: the reconciling worker ends the settling window
 * on its clock from the claiming worker's stamp, so a claimer behind the reconciler by more than the
 * window's margin (settling window − call deadline − connect and read timeouts) could see its attempt
 * proved "not accepted" and resent while it still calls. A send's deadline and the quiet hours are
 * judged against the calendar on the claimer's clock alone. Redis's clock is the one every process
 * shares, so each worker measures itself against it: two workers within w of it are within 2w of
 * each other (docs/operations.md, Clocks).
 */
import type { RedisConnection } from './queue/connection.js';

/** The default of SMSQ_CLOCK_SKEW_WARN_MS (ms): NTP keeps a clock within a few ms; a second off is a clock not kept. */
export const DEFAULT_CLOCK_SKEW_WARN_MS = 1000;
/**
 * The thresholds SMSQ_CLOCK_SKEW_WARN_MS and the worker option take (ms): below 100 a busy Redis's
 * round trips would warn; past an hour a clock that far off has already broken every deadline.
 */
export const CLOCK_SKEW_WARN_MIN_MS = 100;
export const CLOCK_SKEW_WARN_MAX_MS = 3_600_000;

/** One measure: `skewMs` > 0 when the process clock is ahead of Redis's, < 0 when behind. */
export interface ClockSkew {
  skewMs: number;
  /** The round trip of the `TIME` (ms on the process clock): the skew is known to ± half of it. */
  roundTripMs: number;
}

/** A `TIME` reply (`[seconds, microseconds]`) in ms. */
export function redisTimeMs(time: readonly (string | number)[]): number {
  return Number(time[0]) * 1000 + Math.floor(Number(time[1] ?? 0) / 1000);
}

/**
 * Redis's clock now, from one `TIME`: what a process judges the age of another's stamp against.
 * Workers stamp on their own clocks, each kept near Redis's (the clock-skew check); the reader's
 * clock is not checked, and one off by a minute would move every age it reads by as much.
 */
export async function redisNowMs(redis: Pick<RedisConnection, 'time'>): Promise<number> {
  return redisTimeMs(await redis.time());
}

/**
 * The skew from the process clock read before (`sentAtMs`) and after (`receivedAtMs`) a `TIME`
 * whose reply was `[seconds, microseconds]`: Redis read its clock somewhere within the round trip,
 * taken as its middle.
 */
export function clockSkewOf(sentAtMs: number, time: readonly (string | number)[], receivedAtMs: number): ClockSkew {
  const redisMs = redisTimeMs(time);
  const roundTripMs = Math.max(0, receivedAtMs - sentAtMs);
  return { skewMs: sentAtMs + roundTripMs / 2 - redisMs, roundTripMs };
}

/** True when the skew is past `thresholdMs` even at the end of its uncertainty nearest to 0 (a slow round trip is not a skew). */
export function skewPastThreshold({ skewMs, roundTripMs }: ClockSkew, thresholdMs: number): boolean {
  return Math.abs(skewMs) - roundTripMs / 2 > thresholdMs;
}

/** `1.2 s ahead of`, `250 ms behind`: how a skew is said in a log line. */
export function skewText(skewMs: number): string {
  return `${durationText(Math.abs(skewMs))} ${skewMs >= 0 ? 'ahead of' : 'behind'}`;
}

/** `1.2 s`, `250 ms`: a length of time as the clock-skew lines say it. */
export function durationText(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
