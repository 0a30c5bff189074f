/**
 * The 'error' listener of every emitter that can fail (BullMQ Queue, Worker, QueueEvents, ioredis
 * clients): one JSON log line per distinct error per quiet period, never a raw multi-line stack on
 * stderr. Connection errors are left out: the Redis watch says "gone" and "back" once each, and
 * callers get SMSQ_REDIS_UNAVAILABLE. So is Redis refusing REDIS_URL's database: the database
 * check says it as the one configuration error; and Redis refusing the credentials, which a start
 * refused for it (SMSQ_REDIS_AUTH) or the Redis watch says once.
 */
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { connectionReason, isCredentialRefusal, isDatabaseRefusal, isRedisConnectionError } from './redis-errors.js';

export interface EmitterErrorLogOptions {
  logger: Logger;
  clock?: Clock;
  /** The same error from the same source is logged at most once this often (ms). Default 60000. */
  quietMs?: number;
}

/** Gives the listener for one named source: `queue.on('error', errorsOf('calls queue'))`. */
export type EmitterErrorLog = (source: string) => (err: unknown) => void;

export function createEmitterErrorLog(options: EmitterErrorLogOptions): EmitterErrorLog {
  const clock = options.clock ?? systemClock;
  const quietMs = options.quietMs ?? 60_000;
  const log = options.logger;
  /** Per source and message: when it was last logged and how often it came since. */
  const seen = new Map<string, { loggedAt: number; repeats: number }>();
  return (source) => (err) => {
    if (isRedisConnectionError(err) || isDatabaseRefusal(err) || isCredentialRefusal(err)) return;
    const message = connectionReason(err);
    const key = `${source}\n${message}`;
    const now = clock.now();
    const entry = seen.get(key);
    if (entry && now - entry.loggedAt < quietMs) {
      entry.repeats++;
      return;
    }
    if (seen.size > 1000) seen.clear(); // bounded: messages with ids in them must not grow it for ever
    seen.set(key, { loggedAt: now, repeats: 0 });
    const code = (err as { code?: unknown } | null)?.code;
    log.error({ source, err: message, ...(typeof code === 'string' ? { code } : {}), ...(entry?.repeats ? { repeatsSinceLast: entry.repeats } : {}) }, `${source} error`);
  };
}
