/**
 * The durability check of a long-running writer that is not a worker (a producer, the report
 * ingest): on its first write, then again on the first write {@link DURABILITY_RECHECK_MS} after
 * the last check or after a reconnect. Redis's settings can change under a running process (CONFIG
 * SET, a restart, a failover to a server configured otherwise); a worker watches them itself
 * (watch.ts). A check that refused is not kept: the operator may fix Redis meanwhile.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../queue/connection.js';
import { checkRedisDurability } from './check.js';
import { DURABILITY_RECHECK_MS, type DurabilityOptions } from './mode.js';

export interface DurabilityRecheck {
  /** Resolves when Redis keeps the mode (checked lately, or now); rejects with RedisNotDurableError naming the fix. */
  ensure(): Promise<unknown>;
  /** Stops listening to the connection. */
  close(): void;
}

export function createDurabilityRecheck(options: {
  /** The connection whose reconnects make the next write wait for a check. */
  redis: RedisConnection;
  /** The server holding the deployment's keys (connection.ts createNodeResolver). */
  server: () => Promise<Redis>;
  durability: DurabilityOptions;
  clock: Clock;
  logger?: Logger;
}): DurabilityRecheck {
  let checked: { check: Promise<unknown>; at: number } | undefined;
  const warned = new Set<string>();
  // The server may be another after a reconnect (a restart, a failover): its first write waits for a check.
  const forget = () => void (checked = undefined);
  options.redis.on('close', forget);
  return {
    ensure() {
      if (checked && options.clock.now() - checked.at >= DURABILITY_RECHECK_MS) checked = undefined;
      if (!checked) {
        const check = options
          .server()
          .then((node) => checkRedisDurability(node, options.durability, options.logger, warned))
          .catch((err: unknown) => {
            if (checked?.check === check) checked = undefined;
            throw err;
          });
        checked = { check, at: options.clock.now() };
      }
      return checked.check;
    },
    close() {
      options.redis.off('close', forget);
    },
  };
}
