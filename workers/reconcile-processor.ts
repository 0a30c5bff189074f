import type { Logger } from '../src/logger.js';
import { UnrecoverableError, type Job } from 'bullmq';
import type { CallJobDeps } from './call-job-deps.js';
import { ReconcileJobData } from '../src/queue/job-schemas.js';
import { sendDatesAround } from '../src/sms/dates.js';
import type { ReconcileTiming } from '../src/queue/follow-ups.js';
import { failLookup, LOOKUP_PAGE_SIZE as PAGE_SIZE, MIDNIGHT_MARGIN_MS } from './lookups.js';

export interface ReconcileProcessorDeps extends CallJobDeps {
  timing: ReconcileTiming;
}

export type ReconcileJobResult =
  | { outcome: 'found'; attempt: number }
  | { outcome: 'not-accepted'; attempt: number; resendAttempt: number }
  | { outcome: 'next-page' | 'look-again'; at: number }
  | { outcome: 'obsolete'; state: string };


/**
 * Resolves an attempt whose outcome is unknown: QuerySendDetails for the chunk's first number on
 * the attempt's SendDate(s) (UTC+8), matching the attempt's OutId. One SendSms/SendBatchSms is
 * accepted or refused as a whole, so one number answers for the chunk. Found → accepted. Not
 * found once the settling window has passed → provably not accepted → resent with a new attempt.
 * Each job makes one call; more pages or the second date are follow-up jobs.
 */
export function createReconcileProcessor(d: ReconcileProcessorDeps) {
  const baseLog = d.logger.child({ component: 'reconcile' });

  return async function processReconcile(job: Job, token?: string): Promise<ReconcileJobResult> {
    const parsed = ReconcileJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`reconcile job ${job.id} has invalid data: ${parsed.error.message}`);
    const data = parsed.data;
    const { sendId, chunkId, attempt } = data;
    // Built only when this job logs: a child logger per job costs CPU on every call otherwise.
    let jobLog: Logger | undefined;
    const log = () => (jobLog ??= baseLog.child({ sendId, chunkId, attempt, look: data.look }));

    const chunk = await d.chunks.get(chunkId);
    if (!chunk) return { outcome: 'obsolete', state: 'missing' };
    if (chunk.attempt !== attempt) return { outcome: 'obsolete', state: `attempt ${chunk.attempt}` };
    if (chunk.state === 'queued' && chunk.code === 'SMSQ_NOT_ACCEPTED') {
      // A re-run after a crash between "not accepted" and scheduling the resend.
      await d.followUps.send(sendId, chunkId, chunk.kind, attempt + 1);
      return { outcome: 'not-accepted', attempt, resendAttempt: attempt + 1 };
    }
    if (chunk.state !== 'unknown' || !chunk.outId || chunk.sentAt === undefined) return { outcome: 'obsolete', state: chunk.state };

    const dates = sendDatesAround(chunk.sentAt, MIDNIGHT_MARGIN_MS);
    const sendDate = dates[data.dateIndex];
    const phone = chunk.payload.phones[0] as string;
    if (sendDate === undefined) throw new UnrecoverableError(`no SendDate #${data.dateIndex} for this attempt`);

    const res = await d.client.querySendDetails({ phoneNumber: phone, sendDate, pageSize: PAGE_SIZE, currentPage: data.page });
    if (!res.ok) {
      log().warn({ code: res.error.code, errorClass: res.error.errorClass }, 'look-up failed');
      return failLookup(res.error, job, token, d);
    }

    const found = res.data.details.some((r) => r.outId === chunk.outId);
    if (found) {
      const acceptedAt = chunk.sentAt;
      const t = await d.chunks.transition(chunkId, sendId, {
        outId: chunk.outId,
        from: ['unknown'],
        to: 'accepted',
        fields: { code: 'OK', resolvedBy: 'reconcile', acceptedAt },
        windowEndsAt: d.followUps.windowEndsAt(acceptedAt),
      });
      if (t.applied) await d.followUps.firstReceiptLook(sendId, chunkId, chunk.kind, acceptedAt);
      log().info({ applied: t.applied }, 'unknown attempt found at Alibaba: accepted, not resent');
      return { outcome: 'found', attempt };
    }
    const now = d.clock.now();
    if (data.page * PAGE_SIZE < res.data.totalCount) {
      await d.followUps.reconcile({ ...data, page: data.page + 1 }, chunk.kind, now);
      return { outcome: 'next-page', at: now };
    }
    if (data.dateIndex + 1 < dates.length) {
      await d.followUps.reconcile({ ...data, dateIndex: data.dateIndex + 1, page: 1 }, chunk.kind, now);
      return { outcome: 'next-page', at: now };
    }
    const settledAt = chunk.sentAt + d.timing.settleMs;
    if (now < settledAt) {
      const at = Math.min(now + d.timing.lookIntervalMs, settledAt);
      await d.followUps.reconcile({ ...data, look: data.look + 1, dateIndex: 0, page: 1 }, chunk.kind, at);
      return { outcome: 'look-again', at };
    }
    const t = await d.chunks.transition(chunkId, sendId, {
      outId: chunk.outId,
      from: ['unknown'],
      to: 'queued',
      fields: { code: 'SMSQ_NOT_ACCEPTED', resolvedBy: 'reconcile' },
    });
    if (t.applied) {
      await d.followUps.send(sendId, chunkId, chunk.kind, attempt + 1);
      log().warn('unknown attempt not found after the settling window: resending with a new OutId');
    }
    return { outcome: 'not-accepted', attempt, resendAttempt: attempt + 1 };
  };
}
