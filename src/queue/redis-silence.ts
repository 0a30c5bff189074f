/**
 * When a connection's Redis stops answering, told without waiting for a command to time out: a
 * Redis frozen (SIGSTOP, a VM paused) or cut off without a reset leaves the connection `ready`,
 * and every command on it waits out the connection's command timeout (5 s by default) before it
 * fails. A producer closing within a grace (producer.ts closeWithin) waits for the writes that stop
 * its campaigns; with Redis silent it waited that timeout past the grace it was given.
 */
import { isHeldByBlockingCommand } from './blocking-commands.js';
import type { RedisConnection } from './connection.js';
import { pingWithin, type TimedPing } from './ping-within.js';

/**
 * How long a PING may go unanswered before Redis counts as silent (ms): longer than the stalls a
 * live Redis under `appendfsync always` shows (an fsync behind an AOF rewrite, docs/benchmarks.md),
 * short against a shutdown's grace.
 */
export const SILENCE_AFTER_GRACE_MS = 1000;

export interface RedisSilence {
  /** Resolves once the connection is not ready, or a PING on it went unanswered for `windowMs`. */
  promise: Promise<void>;
  /** Stops asking (the wait it served is over). */
  dispose(): void;
}

/**
 * Asks `redis` (PING) every `windowMs` (after each answer) until disposed, and resolves once one goes unanswered for
 * `windowMs`, or the connection is not ready (now, or once it closes). A connection held by a
 * blocking command (a WAIT for a lagging replica) is not asked meanwhile: a PING behind it is late
 * because of the replica, not because Redis stopped answering (blocking-commands.ts).
 */
export function whenRedisSilent(redis: RedisConnection, windowMs = SILENCE_AFTER_GRACE_MS): RedisSilence {
  let disposed = false;
  let timer: NodeJS.Timeout | undefined;
  let ping: TimedPing | undefined;
  let onClose = () => {};
  const promise = new Promise<void>((resolve) => {
    onClose = () => resolve();
    if (redis.status !== 'ready') return resolve();
    redis.once('close', onClose);
    const ask = () => {
      if (disposed) return;
      if (redis.status !== 'ready') return resolve();
      if (isHeldByBlockingCommand(redis)) {
        timer = setTimeout(ask, windowMs);
        return;
      }
      ping = pingWithin(redis, windowMs);
      void ping.within.then((outcome) => {
        if (disposed) return;
        if (outcome !== 'answered') return resolve();
        timer = setTimeout(ask, windowMs);
      });
    };
    ask();
  });
  return {
    promise,
    dispose() {
      disposed = true;
      clearTimeout(timer);
      ping?.cancel();
      redis.off('close', onClose);
    },
  };
}
