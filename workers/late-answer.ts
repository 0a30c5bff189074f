/**
 * An accepted answer that finds its chunk gone. A pushed report of the same attempt can settle a
 * chunk while its call is still out, and a finished send is compacted (SMSQ_COMPACT_FINISHED; the
 * report ingest compacts whatever the setting), its chunks deleted: what the compacted record
 * keeps of the chunk says whether the answer only confirms what the report recorded.
 */
import type { Logger } from '../src/logger.js';
import type { CompactedChunk } from '../src/queue/send-store.js';

/** What a compacted send keeps of the chunk, as the answer is compared with it. */
export type KeptChunk = Pick<CompactedChunk, 'state' | 'bizId' | 'wholeOutId'>;

/**
 * `confirms`: kept accepted under the answer's OutId (and its BizId, when the report gave one):
 * the same call, sent once. `other`: kept otherwise (another attempt accepted, or not accepted):
 * the answer's attempt was accepted all the same. `unknown`: nothing kept of it (the send's
 * records expired or were deleted): no record to compare with.
 */
export function lateAnswerVerdict(kept: KeptChunk | undefined, answer: { outId: string; bizId: string }): 'confirms' | 'other' | 'unknown' {
  if (!kept) return 'unknown';
  const sameBizId = kept.bizId === '' || kept.bizId === answer.bizId;
  return kept.state === 'accepted' && kept.wholeOutId === answer.outId && sameBizId ? 'confirms' : 'other';
}

/** Says a late accepted answer whose chunk is gone, by {@link lateAnswerVerdict}. */
export function sayLateAnswerOfGoneChunk(log: Logger, kept: KeptChunk | undefined, answer: { outId: string; bizId: string }): void {
  switch (lateAnswerVerdict(kept, answer)) {
    case 'confirms':
      log.info({ outId: answer.outId, bizId: answer.bizId }, 'accepted answer arrived after a pushed report of this attempt (same OutId) had settled the chunk and its send was compacted: the answer confirms what the report recorded, nothing to do');
      return;
    case 'other':
      log.error(
        { outId: answer.outId, bizId: answer.bizId, state: 'missing', kept: { state: kept?.state, outId: kept?.wholeOutId, bizId: kept?.bizId } },
        'accepted answer arrived after the chunk moved on: its compacted send records another outcome for the chunk (kept); check for a duplicate',
      );
      return;
    case 'unknown':
      log.warn(
        { outId: answer.outId, bizId: answer.bizId, state: 'missing' },
        "accepted answer arrived after the chunk's records were gone (its send's records expired or were deleted): this attempt was accepted (OutId, BizId); nothing is kept to compare it with, and nothing of the chunk is sent again",
      );
  }
}
