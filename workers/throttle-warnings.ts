/**
 * The worker's log lines for Dysmsapi's throttle answers: one when throttling starts, then at most
 * one summary every `everyMs` while it goes on, and one when calls go through again after
 * `everyMs` without a throttle. One line per answer flooded the log (188 warn lines in 20 s with
 * the account's cap below SMS_QPS), none of them saying what to change.
 */
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';

export interface ThrottleWarnings {
  /** A throttle answer that pauses every worker for `pauseMs`, to the call of `chunk` (named in the line that says it). */
  throttled(code: string, pauseMs: number, chunk?: { sendId: string; chunkId: string }): void;
  /** A call went through (accepted): ends a throttling that has been quiet for `everyMs`. */
  accepted(): void;
}

export interface ThrottleWarningsOptions {
  logger: Logger;
  clock: Clock;
  /** SMS_QPS of this worker, named in the fix. */
  qps: number;
  /** At most one summary this often (ms). Default 10 s. */
  everyMs?: number;
}

export function createThrottleWarnings(options: ThrottleWarningsOptions): ThrottleWarnings {
  const everyMs = options.everyMs ?? 10_000;
  const fix = `if it goes on, the account's cap is below SMS_QPS=${options.qps}: lower SMS_QPS to what the account allows, or have the cap raised`;
  // One throttling: when it began, when the last answer came, what the last line said up to.
  let since: number | undefined;
  let lastAt = 0;
  let saidAt = 0;
  let unsaid = 0;
  let total = 0;
  return {
    throttled(code, pauseMs, chunk) {
      const now = options.clock.now();
      lastAt = now;
      total++;
      if (since === undefined) {
        since = saidAt = now;
        unsaid = 0;
        options.logger.warn({ code, pauseMs, ...chunk }, `throttled by Dysmsapi: all workers pause; ${fix}`);
        return;
      }
      unsaid++;
      if (now - saidAt < everyMs) return;
      options.logger.warn({ code, throttled: unsaid, overMs: now - saidAt, sinceMs: now - since, total, ...(chunk ? { lastSendId: chunk.sendId, lastChunkId: chunk.chunkId } : {}) }, `throttled by Dysmsapi ${unsaid} more times in the last ${Math.round((now - saidAt) / 1000)} s; ${fix}`);
      saidAt = now;
      unsaid = 0;
    },
    accepted() {
      if (since === undefined) return;
      const now = options.clock.now();
      if (now - lastAt < everyMs) return;
      options.logger.info({ throttled: total, forMs: lastAt - since }, `throttling over: ${total} throttle answers in ${Math.round((lastAt - since) / 1000)} s, none in the last ${Math.round((now - lastAt) / 1000)} s`);
      since = undefined;
      total = 0;
    },
  };
}
