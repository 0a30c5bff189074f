import type { ChunkPayload } from '../src/queue/chunk-payload.js';
import type { MessageKind } from '../src/queue/kinds.js';
import { normalizePhone } from '../src/sms/phone.js';
import { checkTemplateParams } from '../src/sms/template.js';
import { batchChunkSize, smsChunkSize } from './chunking.js';
import { PhoneSet } from './phone-set.js';
import type { Enqueuer } from './enqueuer.js';
import type { RejectedNumber } from './plan.js';
import type { CampaignRecipient } from './schemas.js';

export interface CampaignProgress {
  /** Rows read from the source so far. */
  read: number;
  queued: number;
  rejected: number;
  duplicates: number;
  /** Opted-out numbers skipped (marketing). */
  suppressed: number;
  chunks: number;
}

export interface CampaignResult {
  /** Recipients queued. */
  recipients: number;
  /** Numbers refused at the door, with reasons (campaigns keep the first {@link MAX_REJECTED_LISTED}); `rejectedCount` has them all. */
  rejected: RejectedNumber[];
  rejectedCount: number;
  duplicates: number;
  /** Opted-out numbers skipped (marketing only). */
  suppressed: number;
  chunks: number;
}

/** Rejected rows kept with their reasons; the rest are only counted (bounded memory). */
export const MAX_REJECTED_LISTED = 1000;
/**
 * Chunks written per Redis round trip; the stream waits for each flush (back-pressure). Small, so
 * that little is in flight at once: 8 chunks is 8,000 recipients (measured: peak RSS of a 1M
 * campaign 227 → 190 MB together with PhoneSet, time 1.6 → 1.9 s).
 */
const CHUNKS_PER_FLUSH = 8;

export interface StreamCampaignOptions {
  sendId: string;
  request: {
    signName: string;
    templateCode: string;
    templateParam?: Record<string, string>;
    kind: MessageKind;
    name?: string;
    idempotencyKey?: string;
    deadline?: number;
  };
  recipients: AsyncIterable<CampaignRecipient>;
  templateContent: string | undefined;
  enqueuer: Enqueuer;
  now: () => number;
  onProgress?: (p: CampaignProgress) => void;
  /** Opt-out look-up for a batch of numbers (one round trip); marketing only. */
  checkSuppressed?: (phones: readonly string[]) => Promise<boolean[]>;
  callbackUrl?: string;
}

/** Numbers checked against the opt-out list per round trip. */
const SUPPRESSION_BATCH = 1000;

/**
 * Streams recipients into chunks: rows with their own params become SendBatchSms messages (≤ 100
 * a call), the others share one SendSms per 1000 numbers. Memory stays bounded by the chunk
 * buffers plus the de-duplication set (one number per unique recipient, ~16 bytes each).
 */
export async function streamCampaign(o: StreamCampaignOptions): Promise<CampaignResult> {
  const { request: req, enqueuer, sendId } = o;
  const shared = req.templateParam;
  const seen = new PhoneSet();
  const rejected: RejectedNumber[] = [];
  const progress: CampaignProgress = { read: 0, queued: 0, rejected: 0, duplicates: 0, suppressed: 0, chunks: 0 };
  let candidates: { phone: string; params: Record<string, string> | undefined; own: boolean }[] = [];
  const checkSuppressed = req.kind === 'marketing' ? o.checkSuppressed : undefined;
  let plain: string[] = [];
  let personal: { phone: string; params: Record<string, string> }[] = [];
  let pending: ChunkPayload[] = [];
  const smsSize = smsChunkSize(req.kind);
  const batchSize = batchChunkSize(req.kind);

  await enqueuer.createSend({
    sendId,
    kind: req.kind,
    api: 'SendSms',
    templateCode: req.templateCode,
    signName: req.signName,
    name: req.name,
    idempotencyKey: req.idempotencyKey,
    callbackUrl: o.callbackUrl,
    deadline: req.deadline,
    recipients: 0,
    rejected: 0,
    duplicates: 0,
    chunks: 0,
    createdAt: o.now(),
  });

  const reject = (input: string, reason: string) => {
    progress.rejected++;
    if (rejected.length < MAX_REJECTED_LISTED) rejected.push({ input, reason });
  };

  const flush = async (force: boolean) => {
    if (!force && pending.length < CHUNKS_PER_FLUSH) return;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await enqueuer.addChunks(sendId, req.kind, progress.chunks, batch);
    progress.chunks += batch.length;
    o.onProgress?.({ ...progress });
  };

  const cutPlain = () => {
    pending.push({
      api: 'SendSms',
      phones: plain,
      signName: req.signName,
      templateCode: req.templateCode,
      ...(shared ? { templateParam: shared } : {}),
    });
    plain = [];
  };

  const cutPersonal = () => {
    if (batchSize === 1) {
      for (const m of personal) {
        pending.push({ api: 'SendSms', phones: [m.phone], signName: req.signName, templateCode: req.templateCode, templateParam: m.params });
      }
    } else {
      pending.push({
        api: 'SendBatchSms',
        phones: personal.map((m) => m.phone),
        signNames: personal.map(() => req.signName),
        templateCode: req.templateCode,
        templateParams: personal.map((m) => m.params),
      });
    }
    personal = [];
  };

  const route = async () => {
    const batch = candidates;
    candidates = [];
    const flags = checkSuppressed ? await checkSuppressed(batch.map((c) => c.phone)) : [];
    const suppressed: string[] = [];
    for (let k = 0; k < batch.length; k++) {
      const c = batch[k] as (typeof batch)[number];
      if (flags[k]) {
        suppressed.push(c.phone);
        continue;
      }
      progress.queued++;
      if (c.own) {
        personal.push({ phone: c.phone, params: c.params ?? {} });
        if (personal.length >= batchSize) cutPersonal();
      } else {
        plain.push(c.phone);
        if (plain.length >= smsSize) cutPlain();
      }
    }
    if (suppressed.length) {
      progress.suppressed += suppressed.length;
      await enqueuer.recordSuppressed(sendId, suppressed);
    }
  };

  for await (const row of o.recipients) {
    progress.read++;
    if (row.error !== undefined) {
      reject(row.phone, row.error);
      continue;
    }
    const n = normalizePhone(row.phone);
    if (!n.ok) {
      reject(row.phone, n.reason);
      continue;
    }
    const hasOwn = row.params !== undefined && Object.keys(row.params).length > 0;
    const params = hasOwn ? { ...(shared ?? {}), ...row.params } : shared;
    if (o.templateContent !== undefined) {
      const problems = checkTemplateParams(o.templateContent, params).filter((p) => p.severity === 'error');
      if (problems.length) {
        reject(row.phone, problems.map((p) => p.message).join('; '));
        continue;
      }
    }
    if (!seen.add(n.phone)) {
      progress.duplicates++;
      continue;
    }
    candidates.push({ phone: n.phone, params, own: hasOwn });
    if (candidates.length >= SUPPRESSION_BATCH) await route();
    if (pending.length >= CHUNKS_PER_FLUSH) await flush(false);
  }
  if (candidates.length) await route();
  if (plain.length) cutPlain();
  if (personal.length) cutPersonal();
  await flush(true);
  await enqueuer.recordRejected(sendId, rejected.map((r) => r.input));
  await enqueuer.finish(sendId, {
    recipients: progress.queued,
    rejected: progress.rejected,
    duplicates: progress.duplicates,
    chunks: progress.chunks,
  });
  return {
    recipients: progress.queued,
    rejected,
    rejectedCount: progress.rejected,
    duplicates: progress.duplicates,
    suppressed: progress.suppressed,
    chunks: progress.chunks,
  };
}
