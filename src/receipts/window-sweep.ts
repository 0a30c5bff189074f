import type { RedisConnection } from '../queue/connection.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';
import type { ExpireChunk } from './window-expiry.js';

export interface WindowSweepOptions {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  expireChunk: ExpireChunk;
  /** Between sweeps while nothing is due. */
  intervalMs: number;
  /** Chunk ids taken per sweep. Default 200. */
  batch?: number;
  /** How long a taken id stays with its sweeper before another may take it. Default 5 min. */
  leaseMs?: number;
}

export interface WindowSweep {
  /** Expires every chunk due now (in batches); returns how many chunks it handled. */
  sweep(): Promise<number>;
  /** Sweeps every `intervalMs` until {@link stop}. */
  start(): void;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Receipt windows end by a sweep over one sorted set, not by a delayed job per chunk: the
 * accepting transition adds the chunk id (one ZADD inside a script that runs anyway), where a
 * delayed BullMQ job cost a Redis round trip and a job hash on every accepted call, which showed in
 * Redis CPU per call (bench/pipeline-overhead.ts; docs/benchmarks.md, "Figures behind the code").
 */
export function createWindowSweep(options: WindowSweepOptions): WindowSweep {
  const batch = options.batch ?? 200;
  const leaseMs = options.leaseMs ?? 300_000;
  const takeDue = luaScript(options.redis, 'take-due-windows-1');
  const log = options.logger.child({ component: 'receipt-window' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  /** Between start() and stop(): ticks reschedule themselves. */
  let started = false;
  /** While stop() waits: a sweep in progress ends after its batch (a direct sweep() call too). */
  let closing = false;

  async function sweep(): Promise<number> {
    let handled = 0;
    for (;;) {
      const now = options.clock.now();
      const due = (await takeDue(options.keys.receiptWindow(), now, batch, now + leaseMs)) as string[];
      for (const chunkId of due) await options.expireChunk(chunkId);
      // One ZREM for the batch: if this sweeper fails before it, the ids come back when their lease
      // runs out, and expiring a chunk again changes nothing (see ExpireChunk).
      if (due.length > 0) await options.redis.zrem(options.keys.receiptWindow(), ...due);
      handled += due.length;
      if (due.length < batch || closing) return handled;
    }
  }

  const tick = () => {
    running = sweep()
      .catch((err: unknown) => log.error({ err }, 'receipt window sweep failed; retrying at the next interval'))
      .finally(() => {
        running = undefined;
        if (started) timer = setTimeout(tick, options.intervalMs);
      });
  };

  return {
    sweep,
    start() {
      if (started) return;
      started = true;
      closing = false;
      timer = setTimeout(tick, options.intervalMs);
    },
    async stop() {
      closing = true;
      started = false;
      clearTimeout(timer);
      await running;
      closing = false;
    },
  };
}
