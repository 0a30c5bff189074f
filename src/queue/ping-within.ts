/**
 * One PING on a connection, judged against a window: the probe the Redis watch (redis-watch.ts)
 * and a producer's close (redis-silence.ts) both use to tell a Redis that stopped answering (frozen,
 * cut off without a reset: the connection stays `ready`) from one that is merely slow.
 */
import type { RedisConnection } from './connection.js';

/** How a PING ended: answered, failed by the connection's own command timeout (`late`), or failed otherwise. */
export type PingOutcome = 'answered' | 'late' | 'failed';

export interface TimedPing {
  /** How the PING ended, once it did. */
  settled: Promise<PingOutcome>;
  /** How it had ended when `windowMs` ran out (`late` if it had not), or how it ended, if sooner. */
  within: Promise<PingOutcome>;
  /** Stops the window's timer (the wait it served is over); `settled` still settles. */
  cancel(): void;
}

export function pingWithin(redis: RedisConnection, windowMs: number): TimedPing {
  let outcome: PingOutcome | undefined;
  const settled = redis.ping().then(
    (): PingOutcome => (outcome = 'answered'),
    (err: unknown): PingOutcome => (outcome = /timed out/i.test(String((err as Error | undefined)?.message)) ? 'late' : 'failed'),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<PingOutcome>((resolve) => {
    // Timers run before I/O in an event-loop turn: after a turn blocked past the window (a busy
    // process), an answer already in the socket is read first, by one turn of I/O.
    timer = setTimeout(() => setImmediate(() => resolve(outcome ?? 'late')), windowMs);
    timer.unref();
  });
  return {
    settled,
    within: Promise.race([settled, late]),
    cancel: () => clearTimeout(timer),
  };
}
