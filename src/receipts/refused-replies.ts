/**
 * Pushed replies (SmsUp) set aside without changing anything, counted by reason in Redis
 * (`<prefix>:replies-refused`, `smsq_replies_refused_total{reason}`), as set-aside pushed reports
 * are counted (`smsq_receipts_refused_total`): an item that is no reply (`malformed`: a field
 * missing or of another type) was only logged, so a sender pushing broken replies, opt-outs among
 * them, went unseen by any alert; so was an opt-out from a number smsq never sent to (`never-sent`:
 * set aside, as a forged push or another system's replies on the same account would be).
 */
import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';

/** Every reason a reply is counted under; each is exported from 0. */
export const REFUSED_REPLY_REASONS = ['malformed', 'never-sent'] as const;
export type RefusedReplyReason = (typeof REFUSED_REPLY_REASONS)[number];

export interface RefusedReplies {
  /** Adds one push's set-aside replies of a reason (nothing written for 0). */
  count(reason: RefusedReplyReason, n: number): Promise<void>;
}

export function createRefusedReplies(deps: { redis: RedisConnection; keys: Keys }): RefusedReplies {
  const key = deps.keys.refusedReplies();
  return {
    async count(reason, n) {
      if (n > 0) await deps.redis.hincrby(key, reason, n);
    },
  };
}
