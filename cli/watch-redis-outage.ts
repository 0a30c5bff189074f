/**
 * A watch's polls through a Redis that goes away for a moment. `smsq status --watch` follows a
 * send for minutes or hours (`--wait` of the send commands until it is through), and a Redis restart or failover under it is routine: the worker rides
 * it out, and so does the watch. A poll that finds Redis gone is tried again until Redis answers
 * or the bound (SMSQ_REDIS_CONNECT_TIMEOUT_MS) has passed since the first poll failed; one
 * line says that it waits, one that Redis is back. Past the bound the poll's own
 * SMSQ_REDIS_UNAVAILABLE ends the command as any command without Redis ends (exit 3).
 */
import { redisDoesNotAnswer, RedisUnavailableError } from '../src/errors.js';
import { pause } from '../src/pause.js';
import { formatDuration } from './duration.js';

/** Between tries of a watch's poll while Redis is gone (ms): each fails at once until it is back. */
export const WATCH_REDIS_RETRY_MS = 250;

export interface RedisOutageRideOptions {
  /**
   * The longest wait for Redis, from when the first poll failed (ms). A try under way then ends as
   * a poll does: a Redis frozen rather than gone fails it at the connection's command timeout.
   */
  boundMs: number;
  /** Between tries while Redis is gone (ms): a try costs nothing while the connection is down (it fails at once). */
  retryMs: number;
  /** Says a line to the person watching (stderr). */
  note(text: string): void;
  /** What waits, in those lines. Default `the watch` (`smsq status --watch`); `the wait` for `--wait`. */
  what?: string;
  /**
   * What stops the command (`--timeout`, Ctrl-C): aborted while Redis is gone, the ride ends at
   * once with the poll's error instead of waiting out the bound, and the caller says why it stopped.
   */
  signal?: AbortSignal;
  /** Monotonic ms. Default performance.now: a wall clock set back must not stretch the wait. */
  now?: () => number;
  /** Default a timer that {@link RedisOutageRideOptions.signal} cuts short. */
  sleep?: (ms: number) => Promise<void>;
}

/** Runs one poll of a watch, riding out a Redis outage shorter than the bound. */
export type RedisOutageRide = <T>(poll: () => Promise<T>) => Promise<T>;

export function rideRedisOutages(options: RedisOutageRideOptions): RedisOutageRide {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => pause(ms, options.signal));
  const what = options.what ?? 'the watch';
  return async (poll) => {
    let downSince: number | undefined;
    // REDIS_URL (password redacted) as the refusals name it, for the line that says it is back.
    let redactedUrl = '';
    for (;;) {
      try {
        const value = await poll();
        if (downSince !== undefined) options.note(backLine(redactedUrl, now() - downSince, what));
        return value;
      } catch (err) {
        if (!(err instanceof RedisUnavailableError)) throw err;
        redactedUrl = err.redactedUrl;
        if (downSince === undefined) {
          downSince = now();
          options.note(`${redisDoesNotAnswer(err.redactedUrl, err.reason)}: ${what} waits for it up to ${formatDuration(options.boundMs)} (SMSQ_REDIS_CONNECT_TIMEOUT_MS) and goes on once it answers`);
        }
        const left = downSince + options.boundMs - now();
        if (left <= 0 || options.signal?.aborted) throw err;
        await sleep(Math.min(options.retryMs, left));
        if (options.signal?.aborted) throw err;
      }
    }
  };
}

function backLine(redactedUrl: string, downMs: number, what: string): string {
  return `Redis at REDIS_URL=${redactedUrl} answers again after ${(downMs / 1000).toFixed(1)}s: ${what} goes on`;
}
