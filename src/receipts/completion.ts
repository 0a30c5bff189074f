import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';

/** Recipient states not yet handed to Dysmsapi for good (an `unknown` attempt may still be resent). */
export const UNSENT_STATES = ['queued', 'sending', 'unknown'] as const;

/** Recipient states that still wait for an outcome: the unsent, and the accepted awaiting a receipt. */
export const PENDING_STATES = [...UNSENT_STATES, 'accepted'] as const;

/** How many recipients of `counts` are in one of `states`. */
export function countIn(counts: Readonly<Record<(typeof PENDING_STATES)[number], number>>, states: readonly (typeof PENDING_STATES)[number][]): number {
  return states.reduce((n, k) => n + counts[k], 0);
}

/**
 * Notices when a send has no recipient left without an outcome, so its callback (if it has one)
 * can be sent. Called after any change to a final state.
 */
export interface Completion {
  /** `pending` when the caller already knows it (from the apply script). */
  check(sendId: string, pending?: number): Promise<boolean>;
}

export function createCompletion(options: { redis: RedisConnection; keys: Keys; onComplete: (sendId: string) => Promise<void> }): Completion {
  return {
    async check(sendId, pending) {
      let left = pending;
      if (left === undefined) {
        const counts = await options.redis.hmget(options.keys.sendCounts(sendId), ...PENDING_STATES);
        left = counts.reduce((n, v) => n + Number(v ?? 0), 0);
      }
      if (left > 0) return false;
      const [state, callbackUrl] = await options.redis.hmget(options.keys.send(sendId), 'state', 'callbackUrl');
      if (state === 'enqueuing' || !callbackUrl) return false;
      await options.onComplete(sendId);
      return true;
    },
  };
}
