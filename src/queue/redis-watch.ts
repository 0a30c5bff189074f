/**
 * Watches the connection of a long-running process (`smsq worker`, `smsq server`) and says one
 * line when Redis goes away and one when it is back, however many reconnect attempts lie between.
 */
import type { RedisConnection } from './connection.js';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { describeRedis } from './connection.js';
import { connectionReason } from './redis-errors.js';

export interface RedisWatchOptions {
  redis: RedisConnection;
  logger: Logger;
  /** REDIS_URL, password redacted. Default: derived from the connection. */
  redactedUrl?: string;
  clock?: Clock;
}

export interface RedisWatch {
  /** True while the connection is ready. */
  isUp(): boolean;
  /** Stops watching (before the connection is closed on purpose, so a shutdown is not an outage). */
  stop(): void;
}

export function watchRedis(options: RedisWatchOptions): RedisWatch {
  const { redis } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: 'redis' });
  const url = options.redactedUrl ?? describeRedis(redis);
  let up = redis.status === 'ready';
  let downSince: number | undefined;
  let lastError: unknown;

  const onError = (err: unknown) => {
    lastError = err;
    // The first failed connect of a process that never reached Redis is an outage too.
    if (downSince === undefined && !up) goDown();
  };
  const goDown = () => {
    up = false;
    downSince = clock.now();
    log.warn(
      { redisUrl: url, reason: lastError ? connectionReason(lastError) : 'connection closed' },
      `Redis at REDIS_URL=${url} does not answer; retrying with back-off (work resumes by itself when it is back). Fix: check that Redis is running and reachable`,
    );
  };
  const onClose = () => {
    if (up) goDown();
  };
  const onReady = () => {
    if (downSince !== undefined) log.info({ redisUrl: url, downMs: clock.now() - downSince }, `Redis at REDIS_URL=${url} answers again; resuming`);
    up = true;
    downSince = undefined;
    lastError = undefined;
  };
  redis.on('error', onError);
  redis.on('close', onClose);
  redis.on('ready', onReady);
  return {
    isUp: () => up,
    stop() {
      redis.off('error', onError);
      redis.off('close', onClose);
      redis.off('ready', onReady);
    },
  };
}
