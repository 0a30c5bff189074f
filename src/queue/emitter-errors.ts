/**
 * The 'error' listener of every emitter that can fail (BullMQ Queue, Worker, QueueEvents, ioredis
 * clients): one JSON log line per distinct error per quiet period, never a raw multi-line stack on
 * stderr. Connection errors are left out: the Redis watch says "gone" and "back" once each, and
 * callers get SMSQ_REDIS_UNAVAILABLE. So is Redis refusing REDIS_URL's database: the database
 * check says it as the one configuration error; and Redis refusing the credentials, which a start
 * refused for it (SMSQ_REDIS_AUTH) or the Redis watch says once.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { createQuietLines } from '../quiet-lines.js';
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
  const log = options.logger;
  /** Per source and message. */
  const lines = createQuietLines({ clock: options.clock, quietMs: options.quietMs });
  return (source) => (err) => {
    if (isRedisConnectionError(err) || isDatabaseRefusal(err) || isCredentialRefusal(err)) return;
    const message = connectionReason(err);
    const repeats = lines.say(`${source}\n${message}`);
    if (repeats === undefined) return;
    const code = (err as { code?: unknown } | null)?.code;
    log.error({ source, err: message, ...(typeof code === 'string' ? { code } : {}), ...(repeats ? { repeatsSinceLast: repeats } : {}) }, `${source} error`);
  };
}
