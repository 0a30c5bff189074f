import type { Job } from 'bullmq';
import type { CallJobDeps } from './call-job-deps.js';
import { jobIds, ReceiptJobData } from '../src/queue/job-schemas.js';
import { parseJobData } from './job-data.js';
import { isLookedUp, lookAt, type ReceiptPolicies, type ReceiptSchedule } from '../src/queue/receipt-policy.js';
import type { ChunkRecord } from '../src/queue/chunk-store.js';
import type { RecipientStore } from '../src/receipts/recipient-store.js';
import { MIDNIGHT_MARGIN_MS, sendDatesOwnFirst } from '../src/sms/dates.js';
import { failLookup, LOOKUP_PAGE_SIZE as PAGE_SIZE, detailTime } from './lookups.js';
import { receiptLatencySeconds } from '../src/metrics/call-aggregate.js';
import { awaitLookupSlot, type LookupSlotDeps } from './lookup-slot.js';

export interface ReceiptProcessorDeps extends CallJobDeps, LookupSlotDeps {
  recipients: RecipientStore;
  policies: ReceiptPolicies;
  schedule: ReceiptSchedule;
}

export type ReceiptJobResult =
  | { outcome: 'looked-up'; phoneIndex: number; status: 'delivered' | 'failed' | 'waiting' | 'not-visible' | 'known' }
  | { outcome: 'look-done'; nextLookAt: number | undefined; waiting: number }
  | { outcome: 'obsolete'; state: string };

/** Receipts read from Redis per round trip while skipping recipients that need no look-up. */
const SCAN_BATCH = 200;

/**
 * One receipt look-up: QuerySendDetails (phone + SendDate in UTC+8 + BizId) for the next recipient
 * of an accepted chunk that the policy looks up and that has no final receipt yet (a pushed
 * report makes the query unnecessary). Then the job for the next recipient follows; after the last
 * one, if any recipient was still waiting, the next look is scheduled on the back-off schedule.
 * Only one job per chunk exists at a time, so look-ups in flight are bounded by chunks, not
 * recipients.
 */
export function createReceiptProcessor(deps: ReceiptProcessorDeps) {
  const baseLog = deps.logger.child({ component: 'receipts' });

  return async function processReceipt(job: Job, token?: string): Promise<ReceiptJobResult> {
    const data = parseJobData(ReceiptJobData, job, 'receipt');
    const chunk = await deps.chunks.get(data.chunkId);
    if (!chunk || chunk.state !== 'accepted') return { outcome: 'obsolete', state: chunk?.state ?? 'missing' };
    if (!chunk.payload || !chunk.kind) {
      // Accepted, then its record was altered: no number to look up (or no kind to choose the policy
      // by). Said once, not retried; those still without a receipt expire when the window ends
      // (window-expiry.ts, by chunk when the numbers are what cannot be read).
      baseLog.error(
        { sendId: data.sendId, chunkId: data.chunkId, code: 'SMSQ_PAYLOAD_UNREADABLE', reason: chunk.problem },
        "the chunk's stored payload or kind does not parse: its receipts cannot be looked up; those missing expire when its receipt window ends",
      );
      return { outcome: 'obsolete', state: 'unreadable' };
    }
    const policy = deps.policies[chunk.kind];
    const phones = chunk.payload.phones;

    // Find the next recipient that needs a look-up.
    let i = data.cursor;
    let next: number | undefined;
    while (next === undefined && i < phones.length) {
      const slice = phones.slice(i, i + SCAN_BATCH);
      const receipts = await deps.recipients.getMany(data.sendId, slice);
      for (let k = 0; k < slice.length; k++) {
        if (!receipts[k] && isLookedUp(policy, data.sendId, slice[k] as string)) {
          next = i + k;
          break;
        }
      }
      i += slice.length;
    }
    const acceptedAt = acceptedAtOf(chunk, deps.clock.now());
    if (next === undefined) {
      const nextLookAt = data.waiting > 0 ? lookAt(deps.schedule, acceptedAt, data.look + 1) : undefined;
      if (nextLookAt !== undefined) {
        await deps.followUps.receipt({ ...data, look: data.look + 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0 }, nextLookAt);
      }
      return { outcome: 'look-done', nextLookAt, waiting: data.waiting };
    }

    const phone = phones[next] as string;
    // The day of the send first: near midnight the other day is asked only when it is not found there.
    const dates = sendDatesOwnFirst(chunk.sentAt ?? acceptedAt, MIDNIGHT_MARGIN_MS);
    const sendDate = dates[data.dateIndex] ?? (dates[0] as string);
    // The account paused while this look-up waited for its slot: put back as it is, for after the pause.
    await awaitLookupSlot(deps, job, token);
    const res = await deps.client.querySendDetails({
      phoneNumber: phone,
      sendDate,
      ...(chunk.bizId ? { bizId: chunk.bizId } : {}),
      pageSize: PAGE_SIZE,
      currentPage: data.page,
    });
    if (!res.ok) return failLookup(res.error, job, token, deps);
    const record = res.data.details.find((r) => r.outId === chunk.outId) ?? (chunk.bizId && !chunk.outId ? res.data.details[0] : undefined);
    const after = { ...data, cursor: next + 1, dateIndex: 0, page: 1 };
    if (!record) {
      if (data.page * PAGE_SIZE < res.data.totalCount) {
        await deps.followUps.receipt({ ...data, cursor: next, page: data.page + 1 }, deps.clock.now());
      } else if (data.dateIndex + 1 < dates.length) {
        await deps.followUps.receipt({ ...data, cursor: next, dateIndex: data.dateIndex + 1, page: 1 }, deps.clock.now());
      } else {
        // Not visible yet: count it as waiting so that another look follows.
        await deps.followUps.receipt({ ...after, waiting: data.waiting + 1 }, deps.clock.now());
      }
      return { outcome: 'looked-up', phoneIndex: next, status: 'not-visible' };
    }
    if (record.sendStatus === 1) {
      await deps.followUps.receipt({ ...after, waiting: data.waiting + 1 }, deps.clock.now());
      return { outcome: 'looked-up', phoneIndex: next, status: 'waiting' };
    }
    const state = record.sendStatus === 3 ? 'delivered' : 'failed';
    const receivedAt = record.receiveDate ? detailTime(record.receiveDate) : undefined;
    const applied = await deps.recipients.apply(data.sendId, data.chunkId, phone, { state, code: record.errCode, receivedAt, source: 'query' });
    if (applied.status === 'applied') {
      await deps.completion.check(data.sendId, applied.pending);
      const latency = receiptLatencySeconds(acceptedAt, receivedAt);
      if (latency !== undefined) deps.metrics?.recordReceipt('query', latency);
    }
    baseLog.debug({ sendId: data.sendId, chunkId: data.chunkId, phone, state, code: record.errCode }, 'receipt');
    await deps.followUps.receipt(after, deps.clock.now());
    return { outcome: 'looked-up', phoneIndex: next, status: applied.status === 'applied' ? state : 'known' };
  };
}

/**
 * The ids of every job the receipt look-up of `data` could have added as its follow-up when it ran,
 * by the branches of {@link createReceiptProcessor}: the next look; or, for a recipient `n` it could
 * have looked up, the next page, the other date, or the recipient after. Which recipient it looked
 * up is not kept: any from `data.cursor` that the policy looks up and that has a receipt now (it may
 * have had none then: the look-up itself applies one), up to the first that still has none (the job
 * stopped there at the latest, as receipts are only added). Unreadable chunk: the next look only (such
 * a job added nothing).
 */
export async function receiptFollowUpIds(recipients: RecipientStore, policies: ReceiptPolicies, chunk: ChunkRecord, data: ReceiptJobData): Promise<string[]> {
  const ids = [jobIds.receipt({ ...data, look: data.look + 1, cursor: 0, dateIndex: 0, page: 1 })];
  if (!chunk.payload || !chunk.kind) return ids;
  const policy = policies[chunk.kind];
  const phones = chunk.payload.phones;
  for (let i = data.cursor; i < phones.length; i += SCAN_BATCH) {
    const slice = phones.slice(i, i + SCAN_BATCH);
    const receipts = await recipients.getMany(data.sendId, slice);
    for (let k = 0; k < slice.length; k++) {
      if (!isLookedUp(policy, data.sendId, slice[k] as string)) continue;
      const n = i + k;
      ids.push(jobIds.receipt({ ...data, cursor: n, page: data.page + 1 }));
      if (data.dateIndex < 1) ids.push(jobIds.receipt({ ...data, cursor: n, dateIndex: data.dateIndex + 1, page: 1 }));
      ids.push(jobIds.receipt({ ...data, cursor: n + 1, dateIndex: 0, page: 1 }));
      if (!receipts[k]) return ids;
    }
  }
  return ids;
}

/**
 * When the receipt schedule and window of `chunk` count from: its acceptance, else (a record
 * without it) its attempt's start, else `now`.
 */
export function acceptedAtOf(chunk: ChunkRecord, now: number): number {
  return chunk.acceptedAt ?? chunk.sentAt ?? now;
}
