import type { ChunkPayload } from '../src/queue/chunk-payload.js';
import type { MessageKind } from '../src/queue/kinds.js';
import { normalizePhone } from '../src/sms/phone.js';
import { checkTemplateParams } from '../src/sms/template.js';
import { batchChunkSize, smsChunkSize } from './chunking.js';
import type { Enqueuer } from './enqueuer.js';
import type { RejectedNumber } from './plan.js';
import type { CampaignRecipient } from './schemas.js';

export interface CampaignProgress {
  /** Rows read from the source so far. */
  read: number;
  queued: number;
  rejected: number;
  duplicates: number;
  chunks: number;
}

export interface CampaignResult {
  recipients: number;
  /** The first {@link MAX_REJECTED_LISTED} rejected rows with reasons; `rejectedCount` has them all. */
  rejected: RejectedNumber[];
  rejectedCount: number;
  duplicates: number;
  chunks: number;
}

/** Rejected rows kept with their reasons; the rest are only counted (bounded memory). */
export const MAX_REJECTED_LISTED = 1000;
/** Chunks written per Redis round trip; the stream waits for each flush (back-pressure). */
const CHUNKS_PER_FLUSH = 64;

export interface StreamCampaignOptions {
  sendId: string;
  request: {
    signName: string;
    templateCode: string;
    templateParam?: Record<string, string>;
    kind: MessageKind;
    name?: string;
    idempotencyKey?: string;
  };
  recipients: AsyncIterable<CampaignRecipient>;
  templateContent: string | undefined;
  enqueuer: Enqueuer;
  now: () => number;
  onProgress?: (p: CampaignProgress) => void;
}

/**
 * Streams recipients into chunks: rows with their own params become SendBatchSms messages (≤ 100
 * a call), the others share one SendSms per 1000 numbers. Memory stays bounded by the chunk
 * buffers plus the de-duplication set (one number per unique recipient, ~40 bytes each).
 */
export async function streamCampaign(o: StreamCampaignOptions): Promise<CampaignResult> {
  const { request: req, enqueuer, sendId } = o;
  const shared = req.templateParam;
  const seen = new Set<number | string>();
  const rejected: RejectedNumber[] = [];
  const progress: CampaignProgress = { read: 0, queued: 0, rejected: 0, duplicates: 0, chunks: 0 };
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
    const dedupeKey = n.phone.length <= 15 ? Number(n.phone) : n.phone;
    if (seen.has(dedupeKey)) {
      progress.duplicates++;
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
    seen.add(dedupeKey);
    progress.queued++;
    if (hasOwn) {
      personal.push({ phone: n.phone, params: params ?? {} });
      if (personal.length >= batchSize) cutPersonal();
    } else {
      plain.push(n.phone);
      if (plain.length >= smsSize) cutPlain();
    }
    if (pending.length >= CHUNKS_PER_FLUSH) await flush(false);
  }
  if (plain.length) cutPlain();
  if (personal.length) cutPersonal();
  await flush(true);
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
    chunks: progress.chunks,
  };
}
