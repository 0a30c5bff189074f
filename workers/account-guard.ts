import type { Queue } from 'bullmq';
import type { RedisConnection } from '../src/queue/connection.js';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import type { Keys } from '../src/queue/keys.js';
import { blockFields, parseAccountBlock, thisWorker, workerText, type AccountBlock, type BlockingWorker } from '../src/queue/account-block.js';

export type { AccountBlock } from '../src/queue/account-block.js';

export interface AccountGuardOptions {
  redis: RedisConnection;
  keys: Keys;
  queue: Queue;
  clock: Clock;
  logger: Logger;
  /**
   * After this long blocked, resume by itself and let the next call be the check (an account
   * error answers before anything is sent, so the check costs nothing but one refused call per
   * worker slot). 0 = only `smsq resume` resumes. Default 5 minutes.
   */
  recheckMs: number;
  /** The process a block it writes names. Default: this host and pid. */
  worker?: BlockingWorker;
}

/**
 * Stops all sending, across every worker, when the account itself is unusable (bad key, no
 * balance, product not subscribed...): the calls queue is paused and every job is kept.
 */
export interface AccountGuard {
  block(code: string, message: string): Promise<void>;
  resume(by: 'operator' | 'auto'): Promise<AccountBlock | undefined>;
  current(): Promise<AccountBlock | undefined>;
  /** Starts the periodic automatic re-check; returns a stop function. */
  startAutoResume(): () => void;
}

export function createAccountGuard(options: AccountGuardOptions): AccountGuard {
  const key = options.keys.account();
  const log = options.logger.child({ component: 'account-guard' });
  const worker = options.worker ?? thisWorker();

  async function current(): Promise<AccountBlock | undefined> {
    return parseAccountBlock(await options.redis.hgetall(key));
  }

  return {
    async block(code, message) {
      // The whole record at once, and only by the first worker: a reader between a code and the
      // fields naming the worker would see a block by nobody. RENAMENX sets the key only if absent
      // (the draft shares the prefix's hash tag, so one slot).
      const draft = `${key}:draft:${worker.host}:${worker.pid}`;
      const replies = await options.redis
        .multi()
        .del(draft)
        .hset(draft, 'code', code, ...blockFields(message, options.clock.now(), worker))
        .renamenx(draft, key)
        .del(draft)
        .exec();
      const renamed = replies?.[2];
      if (!renamed || renamed[0]) throw renamed?.[0] ?? new Error('account block: the transaction was discarded');
      const first = renamed[1] as number;
      await options.queue.pause();
      if (first === 1) {
        log.error(
          { code, message, worker },
          `ACCOUNT BLOCKED (${code}) by ${workerText(worker)}: all sending is paused and every job is kept. ` +
            `Fix the account, or this worker's environment if the others send with it (its AccessKey, SMS_ENDPOINT), then run \`smsq resume\`` +
            (options.recheckMs > 0 ? ` (or wait: smsq retries by itself every ${Math.round(options.recheckMs / 1000)} s)` : ''),
        );
      }
    },

    async resume(by) {
      const block = await current();
      await options.redis.del(key);
      await options.queue.resume();
      if (block) log.warn({ code: block.code, by, ...(block.worker ? { blockedBy: block.worker } : {}) }, 'account unblocked: sending resumes');
      return block;
    },

    current,

    startAutoResume() {
      if (options.recheckMs <= 0) return () => {};
      const timer = setInterval(
        () => {
          void (async () => {
            const block = await current();
            if (block && options.clock.now() - block.since >= options.recheckMs) await this.resume('auto');
          })().catch((err: unknown) => log.warn({ err }, 'account re-check failed'));
        },
        Math.min(options.recheckMs, 5000),
      );
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
