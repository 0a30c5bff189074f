/**
 * Sends paused and left so: how many, and since when the longest-paused one is paused, read at
 * scrape time for `/metrics` (`smsq_sends_paused`, `smsq_sends_paused_oldest_age_seconds`). A
 * paused send's recipients wait `queued`, and the repair sweep cancels it unsent at the end of its
 * retention (retention-lapsed), so a pause nobody comes back to must be seen.
 *
 * Read from two indexes, never from the list of sends (a scan of every send kept): the operators'
 * pauses (keys.pausedSends(), written by set-control-5.lua with each pause and each move out of it)
 * and the auto-pauses (the `auto-paused` index the workers write, src/metrics/call-metrics.ts).
 * Cost per scrape: one round trip for both indexes (the operators' read oldest first, at most
 * {@link PAUSED_SCAN}) and one for an HMGET of three fields per indexed send, pipelined. Sends that
 * ended (sent, completed, expired, failed, cancelled) or whose record is gone are dropped from the
 * operators' index here; a send found active or enqueuing is left to set-control-5.lua, which
 * takes it out when it resumes it, so that a pause made during the scrape is never dropped.
 * `judgePausedRecord` is pure, for unit tests.
 */
import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';
import { SEND_END_STATES } from '../queue/lifecycle.js';
import { isWithdrawn } from '../queue/withdrawal.js';
import { pipelineResults } from './pipeline-results.js';

/** Operators' paused sends judged per scrape at most, oldest first; any beyond are counted as paused, unjudged. */
export const PAUSED_SCAN = 1000;

export interface PausedSends {
  /** Sends paused by an operator or by auto-pause, not resumed, cancelled or ended (withdrawn ones excluded: smsq_sends_withdrawn). */
  count: number;
  /** When the longest-paused of them was paused (its record's stateChangedAt, ms); undefined when none. */
  oldestSinceMs: number | undefined;
}

export type PausedJudgement = { paused: true; sinceMs: number } | { paused: false; ended: boolean };

/**
 * One indexed send's record (`[state, control, controlReason, stateChangedAt]`, nulls for a record
 * gone): paused since when, or not paused and whether it can never be paused again (ended, gone,
 * or `sent`: nothing is left to pause).
 */
export function judgePausedRecord([state, control, controlReason, changedAt]: readonly (string | null)[]): PausedJudgement {
  if (state === null || state === undefined) return { paused: false, ended: true };
  // A record written before sends had a `paused` state kept the operator's control apart.
  const paused = state === 'paused' || (state === 'active' && control === 'paused');
  if (paused && !isWithdrawn({ state: 'paused', controlReason: controlReason ?? undefined })) return { paused: true, sinceMs: Number(changedAt) || 0 };
  const ended = state === 'sent' || (SEND_END_STATES as readonly string[]).includes(state);
  return { paused: false, ended };
}


export async function readPausedSends(redis: RedisConnection, keys: Pick<Keys, 'pausedSends' | 'send'>, autoPausedKey: string): Promise<PausedSends> {
  const [byOperator, total, byAutoPause] = pipelineResults(
    await redis.pipeline().zrange(keys.pausedSends(), 0, PAUSED_SCAN - 1).zcard(keys.pausedSends()).zrange(autoPausedKey, 0, -1).exec(),
  ) as [string[], number, string[]];
  const sendIds = [...new Set([...byOperator, ...byAutoPause])];
  if (sendIds.length === 0) return { count: 0, oldestSinceMs: undefined };
  const pipeline = redis.pipeline();
  for (const sendId of sendIds) pipeline.hmget(keys.send(sendId), 'state', 'control', 'controlReason', 'stateChangedAt');
  const records = pipelineResults(await pipeline.exec()) as (string | null)[][];
  const operators = new Set(byOperator);
  const ended: string[] = [];
  let count = Math.max(0, total - byOperator.length);
  let oldestSinceMs: number | undefined;
  records.forEach((record, i) => {
    const sendId = sendIds[i] as string;
    const judged = judgePausedRecord(record);
    if (judged.paused) {
      count++;
      oldestSinceMs = Math.min(oldestSinceMs ?? Infinity, judged.sinceMs);
    } else if (judged.ended && operators.has(sendId)) ended.push(sendId);
  });
  if (ended.length > 0) await redis.zrem(keys.pausedSends(), ...ended);
  return { count, oldestSinceMs };
}
