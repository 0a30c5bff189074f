/**
 * A chunk whose record holds an attempt none of our claims make (out-id.ts foreignAttemptOf):
 * versions before the attempt of an OutId was bounded adopted one from a forged pushed report
 * (`1e+20`, `1e+14`, `1000000000`), overwriting the record's own attempt, OutId and sentAt. No
 * look-up job can name such an attempt, so the repair sweep's look-ups of it failed every round
 * and the chunk was never decided.
 *
 * It is ended, never looked up or resent (design invariant 1, no resend without a look-up). A
 * look-up would have to find the chunk's genuine attempts: their OutIds and dates went with the
 * adoption, so one dated from the record could miss one accepted, and "not found" could never
 * license a call; found, it would only turn an end the operator must check into `accepted`. So
 * the chunk is expired as unknown (SMSQ_OUTCOME_UNKNOWN, a final state invariant 2 allows) in each
 * unsent state: `sending` and `unknown` are in doubt, and a `queued` one is too: the adoption made
 * it `unknown`, and a look-up of the forged OutId (found by no call) sent it back to `queued`, so an
 * earlier genuine call may have been accepted; "given up before any call" would not be so. The
 * reason names the attempt and says to check the numbers' delivery before sending again; it is kept
 * on the chunk and read by every kind of caller, so it names no one caller's command.
 */
import type { Logger } from '../logger.js';
import { isUnsent, type ChunkState, type ChunkStore, type TransitionResult } from '../queue/chunk-store.js';
import { MAX_ATTEMPT_DIGITS } from '../queue/out-id.js';
import type { Completion } from '../receipts/completion.js';

export interface ForeignAttemptChunk {
  chunkId: string;
  sendId: string;
  state: ChunkState;
  outId: string | undefined;
  /** The attempt the record holds, as it holds it. */
  foreignAttempt: string;
}

export interface ForeignAttemptDeps {
  chunks: Pick<ChunkStore, 'transition'>;
  completion: Pick<Completion, 'check'>;
  logger: Logger;
}

/** Why such a chunk ended, on its record: the attempt it held and what to do. */
export function foreignAttemptReason(attempt: string): string {
  // The bound in words: a run of nine digits in a log line reads as a phone number and is masked.
  return `its recorded attempt "${attempt}" is none smsq makes (plain digits, at most ${MAX_ATTEMPT_DIGITS} of them: MAX_ATTEMPT; adopted from a forged pushed report by a version before that bound), and the OutId and date of its genuine attempts went with it, so one of them may have been accepted: its outcome unknown, never looked up or resent; check the numbers' delivery before sending again`;
}

/**
 * Ends the chunk as above, in one transition (two for `sending`: marked unknown first, as the
 * sweep marks one without a job), and says so once: only the call that ended it logs, with the
 * chunk, the attempt and the end. `context` goes on that line (the job that found it). True when
 * this call ended it; false when the record had moved on (someone else ended it).
 */
export async function endForeignAttempt(deps: ForeignAttemptDeps, chunk: ForeignAttemptChunk, context: Record<string, unknown> = {}): Promise<boolean> {
  const { chunkId, sendId, outId, foreignAttempt } = chunk;
  // Decided already (an answer or a look-up of an earlier version's moved it on): nothing to end.
  if (!isUnsent(chunk.state)) return false;
  const reason = foreignAttemptReason(foreignAttempt);
  let t: TransitionResult;
  if (chunk.state === 'queued') {
    t = await deps.chunks.transition(chunkId, sendId, { trigger: 'attempt-not-ours', outId, expectState: 'queued', fields: { reason } });
  } else {
    if (chunk.state === 'sending') {
      const marked = await deps.chunks.transition(chunkId, sendId, { trigger: 'orphan-sending', outId, expectState: 'sending' });
      if (!marked.applied) return false;
    }
    t = await deps.chunks.transition(chunkId, sendId, { trigger: 'lookup-gave-up', outId, expectState: 'unknown', fields: { reason } });
  }
  if (!t.applied) return false;
  await deps.completion.check(sendId);
  deps.logger.error({ ...context, sendId, chunkId, attempt: foreignAttempt, state: t.to }, `chunk expired as unknown, without a look-up or any call: ${reason}`);
  return true;
}
