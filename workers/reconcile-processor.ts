import type { Logger } from '../src/logger.js';
import { UnrecoverableError, type Job } from 'bullmq';
import type { CallJobDeps } from './call-job-deps.js';
import type { ChunkRecord } from '../src/queue/chunk-store.js';
import { jobIds, RECONCILE_LAST_DATE_INDEX, ReconcileJobData } from '../src/queue/job-schemas.js';
import { parseJobData } from './job-data.js';
import { isAdoptableAttempt, isOutIdOf, parseOutId } from '../src/queue/out-id.js';
import { reconcileSendDates } from '../src/sms/dates.js';
import { reconcileRetryDelayMs, type ReconcileTiming } from '../src/queue/follow-ups.js';
import type { SmsError } from '../src/sms/errors.js';
import { createLookupFailureWarnings } from './lookup-failure-warnings.js';
import { rankingKind } from '../src/queue/kinds.js';
import { failLookup, retriedWithBackoff, LOOKUP_PAGE_SIZE as PAGE_SIZE, lookupAdopts, lookupSettles, detailTime } from './lookups.js';
import { awaitLookupSlot, type LookupSlotDeps } from './lookup-slot.js';
import { endedSend } from '../src/receipts/completion.js';
import { canFire, CHUNK_LIFECYCLE } from '../src/queue/lifecycle.js';

export interface ReconcileProcessorDeps extends CallJobDeps, LookupSlotDeps {
  timing: ReconcileTiming;
}

export type ReconcileJobResult =
  | { outcome: 'found'; attempt: number; adopted?: number }
  | { outcome: 'not-accepted'; attempt: number; resendAttempt: number }
  | { outcome: 'next-page' | 'look-again'; at: number }
  | { outcome: 'obsolete'; state: string }
  | { outcome: 'gave-up'; code: 'SMSQ_OUTCOME_UNKNOWN'; applied: boolean };


/**
 * Whether this job's attempt is still in doubt, and how the record stands to it. `behind`: the
 * record is at an older attempt than the job (Redis lost the claim, or more): the job's attempt
 * was made all the same, and only a look-up can say whether it was accepted.
 */
function standing(chunk: ChunkRecord, job: ReconcileJobData): 'current' | 'behind' | undefined {
  if (chunk.attempt === job.attempt) return lookupSettles(chunk.state) ? 'current' : undefined;
  if (chunk.attempt < job.attempt && lookupAdopts(chunk.state) && job.outId) return 'behind';
  return undefined;
}

/**
 * Since when the chunk's earlier attempts are in doubt, when they are: an adoption dates the
 * record's attempt by its own time, and the attempts before it, each found only on the day it was
 * sent, are still to be looked up, so every day from the first of them is asked (never fewer than
 * before the adoption), back to the oldest QuerySendDetails answers for. So is the record's own
 * attempt when it is behind the job's (it lost the adoption again), unless it was decided (a
 * state a claim leaves). The job's time (a pushed report's send_time, the sender's word) narrows
 * nothing; the record's times, not now, so that every job of the chain reads the same list.
 */
function inDoubtSince(chunk: ChunkRecord, stand: 'current' | 'behind' | undefined): number | undefined {
  if (stand === 'current') return chunk.priorSentAt;
  if (canFire(CHUNK_LIFECYCLE, 'claim', chunk.state)) return undefined;
  return chunk.priorSentAt ?? chunk.sentAt;
}

/**
 * What becomes of a reconcile look-up whose QuerySendDetails failed with `e`: tried again by BullMQ
 * with its back-off (`retryInMs`, as {@link reconcileRetryDelayMs} computes it), or its tries spent (`lastTry`); neither when {@link failLookup} does otherwise (a throttle
 * or account answer, a fault of this worker's own), which says so itself.
 */
function lookupRetry(e: SmsError, job: Job): { retryInMs?: number; lastTry?: true } {
  if (!retriedWithBackoff(e)) return {};
  // BullMQ retries while attemptsMade + 1 < attempts (job.js, shouldRetryJob), attemptsMade then counting this try.
  if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) return { lastTry: true };
  return { retryInMs: reconcileRetryDelayMs(job.attemptsMade + 1) };
}

/**
 * Resolves an attempt whose outcome is unknown: QuerySendDetails for the chunk's first number on
 * the attempt's SendDate(s) (UTC+8). One SendSms/SendBatchSms is accepted or refused as a whole,
 * so one number answers for the chunk. ANY attempt of this chunk found at Alibaba means the chunk
 * was accepted (the record may have lost that attempt to a Redis rollback): it is adopted, never
 * resent. Not found once the settling window has passed → provably not accepted → resent with a
 * new attempt. Each job makes one call; more pages or the second date are follow-up jobs.
 */
export function createReconcileProcessor(deps: ReconcileProcessorDeps) {
  const baseLog = deps.logger.child({ component: 'reconcile' });
  const failures = createLookupFailureWarnings({ logger: baseLog, clock: deps.clock });

  return async function processReconcile(job: Job, token?: string): Promise<ReconcileJobResult> {
    const data = parseJobData(ReconcileJobData, job, 'reconcile');
    const { sendId, chunkId, attempt } = data;
    // Built only when this job logs: a child logger per job costs CPU on every call otherwise.
    let jobLog: Logger | undefined;
    const log = () => (jobLog ??= baseLog.child({ sendId, chunkId, attempt, look: data.look }));

    const chunk = await deps.chunks.get(chunkId);
    if (!chunk) return { outcome: 'obsolete', state: 'missing' };
    if (chunk.attempt === attempt && chunk.state === 'queued' && chunk.code === 'SMSQ_NOT_ACCEPTED') {
      // A re-run after a crash between "not accepted" and scheduling the resend. This reads the mark
      // lookup-not-found left (state and code), not whether a trigger may fire: not the table's question.
      await deps.followUps.send(sendId, chunkId, rankingKind(chunk.kind), attempt + 1);
      return { outcome: 'not-accepted', attempt, resendAttempt: attempt + 1 };
    }
    if (chunk.state === 'accepted' && chunk.resolvedBy === 'reconcile' && chunk.attempt >= attempt) {
      // A re-run after a crash between lookup-found and asking for the receipts (BullMQ runs a
      // stalled job again): found by a look-up at this attempt or one it adopted (never older).
      // Asked as the first run would have, under the same job id (once while that job is kept):
      // otherwise nobody asks, and its recipients end `expired` at the window's end though delivered.
      if (chunk.kind) await deps.followUps.firstReceiptLook(sendId, chunkId, chunk.kind, chunk.acceptedAt ?? chunk.sentAt ?? job.timestamp);
      await deps.completion.check(sendId);
      return { outcome: 'found', attempt };
    }
    const stand = standing(chunk, data);
    if (!stand) return { outcome: 'obsolete', state: chunk.attempt === attempt ? chunk.state : `attempt ${chunk.attempt}` };
    const sentAt = (stand === 'current' ? chunk.sentAt : undefined) ?? data.sentAt ?? job.timestamp;
    // The OutId this job resolves: the record's, or (behind) the lost attempt's from the job.
    const outId = stand === 'current' ? (chunk.outId ?? data.outId ?? '') : (data.outId as string);

    const { payload, kind } = chunk;
    if (!payload || !kind) {
      // No number to look the attempt up by (or no kind to rank the look-ups and resend by: a record
      // altered as much), and an attempt in doubt is never resent without a look-up: its recipients
      // expire as unknown, the reason naming what is wrong with the record.
      const t = await deps.chunks.transition(chunkId, sendId, { trigger: 'lookup-gave-up', outId, fields: { reason: chunk.problem ?? '' } });
      if (t.applied) await deps.metrics?.recordReconcileResult('gave-up');
      if (t.applied) await deps.completion.check(sendId);
      log().error(
        { code: 'SMSQ_OUTCOME_UNKNOWN', reason: chunk.problem, state: t.applied ? t.to : t.state },
        "the chunk's stored payload or kind does not parse: its attempt cannot be looked up, and is not resent (expired as unknown)",
      );
      return { outcome: 'gave-up', code: 'SMSQ_OUTCOME_UNKNOWN', applied: t.applied };
    }
    const dates = reconcileSendDates(sentAt, inDoubtSince(chunk, stand));
    const sendDate = dates[data.dateIndex];
    const phone = payload.phones[0] as string;
    if (sendDate === undefined) throw new UnrecoverableError(`no SendDate #${data.dateIndex} for this attempt`);

    // The account paused while this look-up waited for its slot: put back as it is, for after the
    // pause (the attempt stays in doubt meanwhile, and nothing is resent without its look-up).
    await awaitLookupSlot(deps, job, token);
    const res = await deps.client.querySendDetails({ phoneNumber: phone, sendDate, pageSize: PAGE_SIZE, currentPage: data.page });
    if (!res.ok) {
      failures.failed({ sendId, chunkId, attempt, look: data.look, code: res.error.code, errorClass: res.error.errorClass, ...lookupRetry(res.error, job) });
      return failLookup(res.error, job, token, deps);
    }
    failures.answered(chunkId);

    const found = res.data.details.find((r) => isOutIdOf(r.outId, chunkId));
    if (found) {
      const foundAttempt = parseOutId(found.outId)?.attempt ?? 0;
      // A newer attempt than the record's is adopted by the transition (attempt, OutId); an older
      // or equal one, or one further ahead than lost writes explain (the transition would refuse
      // it), is recorded as the accepted OutId, which the receipt look-ups match.
      const adopt = isAdoptableAttempt(foundAttempt, chunk.attempt);
      // Another attempt than the record's was sent when Alibaba says (an adopted record's sentAt is
      // the adoption's time): its receipts are looked up on that day.
      const foundSentAt = found.outId === chunk.outId ? undefined : detailTime(found.sendDate);
      const named = adopt ? found.outId : (chunk.outId ?? '');
      const t = await deps.chunks.transition(chunkId, sendId, {
        trigger: 'lookup-found',
        outId: named,
        fields: {
          code: 'OK',
          resolvedBy: 'reconcile',
          acceptedAt: sentAt,
          ...(adopt || found.outId === chunk.outId ? {} : { outId: found.outId }),
          ...(foundSentAt === undefined ? {} : { sentAt: foundSentAt }),
        },
        windowEndsAt: deps.followUps.windowEndsAt(sentAt),
      });
      // Counted once per decision: a re-run of this job finds the chunk moved and moves nothing.
      if (t.applied) await deps.metrics?.recordReconcileResult('found');
      // Refused as accepted at the attempt found (recorded as the OutId when not adopted): another
      // move accepted it since this job read the chunk (the worker's answer, a pushed report), and
      // asks for its receipts itself when it applies; asked here too, under the same job id
      // (once), for one that died between the two. The same transition run twice (its answer
      // lost, sent again by ioredis's Cluster client) is no refusal: transition-7.lua answers it as
      // it applied (cluster-resend.test.ts).
      if (t.applied || (t.state === 'accepted' && (t.outId === named || t.outId === found.outId))) await deps.followUps.firstReceiptLook(sendId, chunkId, kind, sentAt);
      if (endedSend(t)) await deps.completion.check(sendId);
      if (found.outId !== outId) log().warn({ found: found.outId, lookedFor: outId }, 'another attempt of this chunk was found accepted: adopted it, nothing resent');
      else log().info({ applied: t.applied }, 'unknown attempt found at Alibaba: accepted, not resent');
      return { outcome: 'found', attempt, ...(t.applied && t.adoptedAttempt !== undefined ? { adopted: t.adoptedAttempt } : {}) };
    }
    const now = deps.clock.now();
    if (data.page * PAGE_SIZE < res.data.totalCount) {
      await deps.followUps.reconcile({ ...data, page: data.page + 1 }, kind, now);
      return { outcome: 'next-page', at: now };
    }
    if (data.dateIndex + 1 < dates.length) {
      await deps.followUps.reconcile({ ...data, dateIndex: data.dateIndex + 1, page: 1 }, kind, now);
      return { outcome: 'next-page', at: now };
    }
    const settledAt = sentAt + deps.timing.settleMs;
    if (now < settledAt) {
      const at = Math.min(now + deps.timing.lookIntervalMs, settledAt);
      await deps.followUps.reconcile({ ...data, look: data.look + 1, dateIndex: 0, page: 1 }, kind, at);
      return { outcome: 'look-again', at };
    }
    // Not accepted: back to queued at this attempt (a record that was behind adopts it), so the
    // resend makes the next attempt with a new OutId.
    const t = await deps.chunks.transition(chunkId, sendId, { trigger: 'lookup-not-found', outId, fields: { resolvedBy: 'reconcile' } });
    if (t.applied) {
      await deps.metrics?.recordReconcileResult('not-found');
      await deps.followUps.send(sendId, chunkId, kind, attempt + 1);
      log().warn('unknown attempt not found after the settling window: resending with a new OutId');
    }
    return { outcome: 'not-accepted', attempt, resendAttempt: attempt + 1 };
  };
}

/**
 * The ids of every reconcile job the look-up of `data` could have added as its follow-up when it
 * ran, by the branches of {@link createReconcileProcessor}: the next page, the other date, the next
 * look. Its other ends add none that carries the look-ups on: found, the chunk is accepted (and its
 * receipt look-up is another chain); not accepted, the attempt is decided and a send job follows
 * (a look-up made anew beside it only schedules that send again, a no-op, or ends as obsolete).
 */
export function reconcileFollowUpIds(data: ReconcileJobData): string[] {
  const ids = [jobIds.reconcilePage({ ...data, page: data.page + 1 })];
  // How many dates its chunk's record gave it is not kept: the next one's id, if it had one.
  if (data.dateIndex < RECONCILE_LAST_DATE_INDEX) ids.push(jobIds.reconcilePage({ ...data, dateIndex: data.dateIndex + 1, page: 1 }));
  ids.push(jobIds.reconcilePage({ ...data, look: data.look + 1, dateIndex: 0, page: 1 }));
  return ids;
}
