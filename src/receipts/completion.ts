import { isSendEnded, UNSENT_CHUNK_STATES } from '../queue/lifecycle.js';
import type { SendStore } from '../queue/send-store.js';
import type { TransitionResult } from '../queue/chunk-store.js';

/**
 * Recipient states that still wait for an outcome: the unsent (a chunk's recipients share its
 * state), and the accepted awaiting a receipt.
 */
export const PENDING_STATES = [...UNSENT_CHUNK_STATES, 'accepted'] as const;

/** How many recipients of `counts` are in one of `states`. */
export function countIn(counts: Readonly<Record<(typeof PENDING_STATES)[number], number>>, states: readonly (typeof PENDING_STATES)[number][]): number {
  return states.reduce((n, k) => n + counts[k], 0);
}

/**
 * Notices how far a send got once its counts may have reached an end: it records `sent`,
 * `expired` (its deadline left recipients unsent) or `completed` (send lifecycle, lifecycle.ts),
 * and on reaching an end state sends its callback (if it has one). Called after any change to a
 * final state, and whenever a chunk ends without a call.
 */
export interface Completion {
  /**
   * `pending` when the caller already knows it (from the apply script): a send with recipients
   * still pending then costs no Redis call. True when this check found the send in an end state
   * first (its callback, if it has one, is then sent: once per send).
   */
  check(sendId: string, pending?: number): Promise<boolean>;
}

/**
 * Whether a chunk transition ended its send: transition-7.lua moves a send on its last unsent
 * recipients, `expired` when its deadline left some unsent. Its caller then checks the send, as
 * after a claim's end, so that its callback goes at its end, not after its last receipt.
 */
export function endedSend(t: TransitionResult): boolean {
  return t.applied && t.sendTo !== undefined && isSendEnded(t.sendTo);
}

/**
 * `sends.compact`, when given: a send found in an end state is compacted (send-store.ts
 * `compact`) once its end is announced and none of its recipients is pending any more (the script
 * itself refuses while anything may still arrive; asking it only then spares a cancelled campaign
 * one refused script run for each of its chunks still to be claimed).
 */
/** The send store a completion is given: without `compact` when finished sends are kept whole (SMSQ_COMPACT_FINISHED=false). */
export function completionSends(sends: Pick<SendStore, 'settle' | 'markAnnounced' | 'compact'>, compactFinished: boolean): Pick<SendStore, 'settle' | 'markAnnounced'> & Partial<Pick<SendStore, 'compact'>> {
  return compactFinished ? sends : { settle: sends.settle, markAnnounced: sends.markAnnounced };
}

export function createCompletion(options: { sends: Pick<SendStore, 'settle' | 'markAnnounced'> & Partial<Pick<SendStore, 'compact'>>; onEnded: (sendId: string) => Promise<void> }): Completion {
  const compact = async (sendId: string, pending: number | undefined) => {
    if (options.sends.compact && pending === 0) await options.sends.compact(sendId);
  };
  return {
    async check(sendId, pending) {
      if (pending !== undefined && pending > 0) return false;
      const moved = await options.sends.settle(sendId);
      if (!moved || !isSendEnded(moved.to)) return false;
      // Announced before (an operator's cancel, say): its last receipts may have just come in.
      if (!moved.announce) {
        await compact(sendId, moved.pending);
        return false;
      }
      if (moved.callbackUrl) await options.onEnded(sendId);
      // Only now: a check that fails before this point leaves the announcement to the next one.
      await options.sends.markAnnounced(sendId);
      await compact(sendId, moved.pending);
      return true;
    },
  };
}
