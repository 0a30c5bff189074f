import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { receiptLatencySeconds } from '../metrics/call-aggregate.js';
import type { CallMetricsRecorder } from '../metrics/call-metrics.js';
import { createCallsQueue, createHousekeepingQueue } from '../queue/calls-queue.js';
import { createChunkStore, type ChunkStore } from '../queue/chunk-store.js';
import { createFollowUps, type FollowUps } from '../queue/follow-ups.js';
import { createEmitterErrorLog, type EmitterErrorLog } from '../queue/emitter-errors.js';
import { createKeys } from '../queue/keys.js';
import { parseCstDateTime } from '../sms/dates.js';
import { normalizePhone } from '../sms/phone.js';
import { createCompletion, type Completion } from './completion.js';
import { isOptOut, parseOutId, parseSmsReports, parseSmsUps } from './pushed-reports.js';
import type { ReceiptPolicies, ReceiptSchedule } from './receipt-policy.js';
import { createRecipientStore, type RecipientStore } from './recipient-store.js';
import { createSuppressionList, type SuppressionList } from './suppression.js';

export interface ReportIngestDeps {
  chunks: ChunkStore;
  recipients: RecipientStore;
  completion: Completion;
  followUps: FollowUps;
  suppression: SuppressionList;
  clock: Clock;
  logger: Logger;
  optOutKeywords?: readonly string[];
  /** Receipt latency for /metrics. Optional. */
  metrics?: Pick<CallMetricsRecorder, 'recordReceipt'>;
}

export interface ReportIngestResult {
  /** Reports that set a recipient's final state. */
  applied: number;
  /** Repeats (Alibaba re-pushes) and reports after a final state: nothing changed. */
  duplicates: number;
  /** Reports that are not about a smsq send (no or foreign OutId, expired send). */
  ignored: number;
  /** Chunks whose unknown outcome a report resolved as accepted. */
  resolved: number;
}

export interface ReplyIngestResult {
  replies: number;
  optedOut: number;
}

export interface ReportIngest {
  /** Applies a pushed SmsReport array. Throws ValidationError (nothing applied) if malformed. */
  applyReports(body: unknown): Promise<ReportIngestResult>;
  /** Applies a pushed SmsUp array: opt-out replies join the suppression list. */
  applyReplies(body: unknown): Promise<ReplyIngestResult>;
}

function time(s: string | undefined): number | undefined {
  if (!s) return undefined;
  try {
    return parseCstDateTime(s);
  } catch {
    return undefined;
  }
}

/**
 * Pushed receipts. Each report names our OutId (`sendId.index.attempt`), which leads to the chunk.
 * A report about an attempt whose outcome is unknown proves it was accepted, so it resolves the
 * chunk without waiting for reconcile (and nothing is resent).
 */
export function createReportIngest(d: ReportIngestDeps): ReportIngest {
  const log = d.logger.child({ component: 'report-ingest' });
  return {
    async applyReports(body) {
      const reports = parseSmsReports(body);
      const result: ReportIngestResult = { applied: 0, duplicates: 0, ignored: 0, resolved: 0 };
      for (const r of reports) {
        const out = parseOutId(r.out_id);
        const phone = normalizePhone(r.phone_number);
        if (!out || !phone.ok) {
          result.ignored++;
          continue;
        }
        const chunkId = `${out.sendId}.${out.index}`;
        const chunk = await d.chunks.get(chunkId);
        if (!chunk) {
          result.ignored++;
          continue;
        }
        if ((chunk.state === 'unknown' || chunk.state === 'sending') && chunk.outId === r.out_id) {
          const acceptedAt = chunk.sentAt ?? d.clock.now();
          const t = await d.chunks.transition(chunkId, out.sendId, {
            outId: r.out_id,
            from: ['unknown', 'sending'],
            to: 'accepted',
            fields: { code: 'OK', resolvedBy: 'report', acceptedAt, ...(r.biz_id ? { bizId: r.biz_id } : {}) },
            windowEndsAt: d.followUps.windowEndsAt(acceptedAt),
          });
          if (t.applied) {
            result.resolved++;
            await d.followUps.firstReceiptLook(out.sendId, chunkId, chunk.kind, acceptedAt);
            log.info({ sendId: out.sendId, chunkId }, 'a pushed report resolved an attempt of unknown outcome: accepted');
          }
        } else if (chunk.outId !== r.out_id) {
          log.error({ sendId: out.sendId, chunkId, outId: r.out_id, current: chunk.outId }, 'report for another attempt of this chunk: check for a duplicate');
        }
        const receivedAt = time(r.report_time);
        const applied = await d.recipients.apply(out.sendId, chunkId, phone.phone, {
          state: r.success ? 'delivered' : 'failed',
          code: r.err_code || (r.success ? 'DELIVERED' : 'UNKNOWN'),
          receivedAt,
          source: 'report',
        });
        if (applied.status === 'applied') {
          result.applied++;
          await d.completion.check(out.sendId, applied.pending);
          const latency = receiptLatencySeconds(chunk.acceptedAt ?? chunk.sentAt, receivedAt);
          if (latency !== undefined) d.metrics?.recordReceipt('report', latency);
        } else if (applied.status === 'duplicate') result.duplicates++;
        else result.ignored++;
      }
      return result;
    },

    async applyReplies(body) {
      const replies = parseSmsUps(body);
      const optOuts = replies
        .filter((r) => isOptOut(r.content, d.optOutKeywords))
        .map((r) => normalizePhone(r.phone_number))
        .flatMap((p) => (p.ok ? [p.phone] : []));
      const added = await d.suppression.add(optOuts);
      if (added) log.info({ optedOut: added }, 'numbers opted out of marketing');
      return { replies: replies.length, optedOut: optOuts.length };
    },
  };
}

export interface OpenReportIngestOptions {
  redis: Redis;
  prefix: string;
  clock: Clock;
  logger: Logger;
  retentionSeconds: number;
  receiptPolicies: ReceiptPolicies;
  receiptSchedule: ReceiptSchedule;
  metrics?: ReportIngestDeps['metrics'];
  /** 'error' listener of its queues (see emitter-errors.ts). Default: one log line per distinct error a minute. */
  errorLog?: EmitterErrorLog;
}

/**
 * The ingest wired to Redis the way workers are, for a process that receives pushes (the server):
 * its follow-ups (receipt look-ups of chunks a report resolved, send callbacks) go to the same
 * queues. Windows of the chunks it resolves end by the workers' window sweep.
 */
export function openReportIngest(o: OpenReportIngestOptions): { ingest: ReportIngest; close(): Promise<void> } {
  const keys = createKeys(o.prefix);
  const errorLog = o.errorLog ?? createEmitterErrorLog({ logger: o.logger.child({ component: 'report-ingest' }), clock: o.clock });
  const calls = createCallsQueue({ connection: o.redis, prefix: o.prefix, onError: errorLog('report ingest calls queue') });
  const housekeeping = createHousekeepingQueue({ connection: o.redis, prefix: o.prefix, onError: errorLog('report ingest housekeeping queue') });
  const followUps = createFollowUps({ calls, housekeeping, clock: o.clock, receiptPolicies: o.receiptPolicies, receiptSchedule: o.receiptSchedule });
  const ingest = createReportIngest({
    chunks: createChunkStore({ redis: o.redis, keys, clock: o.clock }),
    recipients: createRecipientStore({ redis: o.redis, keys, clock: o.clock, retentionSeconds: o.retentionSeconds }),
    completion: createCompletion({ redis: o.redis, keys, onComplete: (id) => followUps.callback(id) }),
    followUps,
    suppression: createSuppressionList({ redis: o.redis, keys }),
    clock: o.clock,
    logger: o.logger,
    metrics: o.metrics,
  });
  return { ingest, close: async () => void (await Promise.all([calls.close(), housekeeping.close()])) };
}
