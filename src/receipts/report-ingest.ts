import { longestRetention, type Retention } from '../queue/retention.js';
import { connectTimeoutOf, createNodeResolver, type RedisConnection } from '../queue/connection.js';
import { createRedisGate, type RedisGate } from '../queue/redis-gate.js';
import { createDurabilityBarrier, type DurabilityBarrier, type WriteMark } from '../durability/barrier.js';
import { DEFAULT_DURABILITY, type DurabilityOptions } from '../durability/mode.js';
import { createDurabilityRecheck } from '../durability/recheck.js';
import { createDurabilityFence } from '../durability/fence.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { receiptLatencySeconds } from '../metrics/call-aggregate.js';
import type { CallMetricsRecorder } from '../metrics/call-metrics.js';
import { createCallsQueue, createHousekeepingQueue } from '../queue/calls-queue.js';
import { createChunkStore, type ChunkRecord, type ChunkStore } from '../queue/chunk-store.js';
import { canAdopt, canFire, CHUNK_LIFECYCLE, isUnsent } from '../queue/lifecycle.js';
import { createFollowUps, type FollowUps } from '../queue/follow-ups.js';
import { createEmitterErrorLog, type EmitterErrorLog } from '../queue/emitter-errors.js';
import { createKeys } from '../queue/keys.js';
import { isAdoptableAttempt } from '../queue/out-id.js';
import { rankingKind } from '../queue/kinds.js';
import { createSendStore } from '../queue/send-store.js';
import { normalizePhone } from '../sms/phone.js';
import { completionSends, createCompletion, endedSend, type Completion } from './completion.js';
import { isOptOut, parseOutId, parseSmsReports, parseSmsUps, type ParsedPush, type SmsReport, type SmsUp } from './pushed-reports.js';
import { pushedTime } from './pushed-time.js';
import type { ReceiptPolicies, ReceiptSchedule } from '../queue/receipt-policy.js';
import { createRecipientStore, type RecipientStore, type RefusedReceiptReason } from './recipient-store.js';
import { createSentNumbers, type SentNumbers } from './sent-numbers.js';
import { createSuppressionList, type SuppressionList } from './suppression.js';
import { createRefusedReportFields, type RefusableReportField, type RefusedReportFields } from './refused-report-fields.js';
import { createRefusedReplies, type RefusedReplies } from './refused-replies.js';

/** Whether any final receipt was applied to the chunk (its tally, apply-receipt-6.lua). */
function hasReceipts(chunk: ChunkRecord): boolean {
  return Object.values(chunk.receiptTally).some((n) => n > 0);
}

export interface ReportIngestDeps {
  chunks: ChunkStore;
  recipients: RecipientStore;
  completion: Completion;
  followUps: FollowUps;
  suppression: SuppressionList;
  /** Numbers smsq was asked to send to: an opt-out must name one. */
  sentNumbers: SentNumbers;
  clock: Clock;
  logger: Logger;
  optOutKeywords?: readonly string[];
  /** Counts and logs report times that cannot be theirs (the reports are applied all the same). Default: not counted. */
  refusedFields?: RefusedReportFields;
  /** Counts pushed replies set aside (malformed), as set-aside reports are counted. Default: not counted. */
  refusedReplies?: RefusedReplies;
  /** Receipt latency for /metrics. Optional. */
  metrics?: Pick<CallMetricsRecorder, 'recordReceipt'>;
  /**
   * Confirms a push's writes in the deployment's durability mode before it is answered (the
   * producer's barrier, src/durability/barrier.ts). Default: none, as in the `fsync` mode.
   */
  durability?: DurabilityBarrier;
  /**
   * Refuses (RedisNotDurableError) once Redis no longer keeps the deployment's durability mode
   * (src/durability/recheck.ts); run after a push's writes, so a refusal loses nothing: the push is
   * applied, and answered as refused so that Alibaba pushes it again. Default: no check.
   */
  durabilityCheck?: () => Promise<unknown>;
  /** A write of the push's own before its confirmation (src/durability/fence.ts): a repeated push writes nothing. Default: none. */
  fence?: () => Promise<unknown>;
  /**
   * The producer's Redis gate (src/queue/redis-gate.ts), around a push once it is parsed: while
   * Redis is down a push fails at once, and a connection being made is waited for within the
   * connect timeout; Redis gone fails it as RedisUnavailableError, `midCall` when some of it may
   * have been applied. Default: none (ioredis's errors as they come).
   */
  gate?: RedisGate;
}

export interface ReportIngestResult {
  /** Reports that set a recipient's final state. */
  applied: number;
  /** Repeats (Alibaba re-pushes) and reports after a final state: nothing changed. */
  duplicates: number;
  /**
   * Reports that are not about a smsq send (no or foreign OutId, a send gone), counted as refused
   * with reason `unknown-out-id`; and reports about a chunk not accepted.
   */
  ignored: number;
  /**
   * Reports that name one of our chunks but do not match it: another attempt, another BizId, a
   * number that is not a recipient. Set aside and counted (see `refusedCounts`); nothing changed.
   */
  refused: number;
  /** Chunks whose unknown outcome a report resolved as accepted. */
  resolved: number;
  /** Reports naming an attempt the chunk's record had lost: adopted as unknown and looked up. */
  adopted: number;
  /** Items of the push that are no report (a field missing, or of another type): set aside and counted (reason `malformed`), the rest applied. */
  malformed: number;
}

export interface ReplyIngestResult {
  replies: number;
  /** Opt-out replies from numbers smsq sent to: they joined the suppression list. */
  optedOut: number;
  /** Opt-out replies from numbers smsq was never asked to send to: set aside, nothing changed. */
  refused: number;
  /** Items of the push that are no reply (a field missing, or of another type): set aside and counted (reason `malformed`), the rest applied. */
  malformed: number;
}

/**
 * Alibaba takes an answered push as final and never pushes it again, so a push resolves only once
 * its writes are durable in the deployment's mode, as an enqueue is acknowledged only then
 * (docs/durability.md): NotDurableError otherwise, and the server answers 503 so that Alibaba
 * pushes it again. A push whose reports were all applied before (a repeat) is confirmed too: the
 * request that applied them may have been refused for want of a confirmation.
 */
export interface ReportIngest {
  /** Applies a pushed SmsReport array. Throws ValidationError (nothing applied) if it is no array; an item that is no report is set aside. */
  applyReports(body: unknown): Promise<ReportIngestResult>;
  /** Applies a pushed SmsUp array: opt-out replies join the suppression list. */
  applyReplies(body: unknown): Promise<ReplyIngestResult>;
}

/**
 * Pushed receipts. Each report names our OutId, which leads to the chunk and its attempt. A report
 * is applied only to a recipient of that chunk at that attempt, with the attempt's BizId once it
 * is known (the apply script checks, see recipient-store.ts); anything else is set aside and
 * counted. A report about a recipient of an attempt whose outcome is unknown proves it was
 * accepted, so it resolves the chunk without waiting for reconcile (and nothing is resent).
 */
export function createReportIngest(deps: ReportIngestDeps): ReportIngest {
  const log = deps.logger.child({ component: 'report-ingest' });
  const barrier = deps.durability;
  /** A push's writes made durable before it is answered: a fence of its own, the settings, then the replicas. */
  async function confirmPush(what: string, since: WriteMark | undefined): Promise<void> {
    await deps.fence?.();
    await deps.durabilityCheck?.();
    if (barrier && since) await barrier.confirm(what, since);
  }

  /** Items of a push that are no report or reply: one warn line, with where each went wrong (field paths, never values). */
  function logMalformed(what: string, malformed: ParsedPush<unknown>['malformed']): void {
    if (malformed.length === 0) return;
    log.warn(
      { malformed: malformed.length, items: malformed.slice(0, 10) },
      `pushed ${what} that do not read as one (a field missing, or of another type) were set aside (not applied); the rest of the push was applied`,
    );
  }

  async function applyReports({ items: reports, malformed }: ParsedPush<SmsReport>): Promise<ReportIngestResult> {
    const since = await barrier?.mark();
    const result: ReportIngestResult = { applied: 0, duplicates: 0, ignored: 0, refused: 0, resolved: 0, adopted: 0, malformed: malformed.length };
    const refusedWhy: Record<string, number> = {};
    /** When smsq received the push: the receipt time of a report whose own cannot be its receipt's. */
    const pushedAt = deps.clock.now();
    /** Times that cannot be their event's (pushed-time.ts), by field: refused, their reports applied. */
    const refusedFields: Record<RefusableReportField, number> = { report_time: 0, send_time: 0 };
    // Set aside here, before any script saw them: counted in one write per reason at the end.
    const setAside = { 'unknown-out-id': 0, 'not-recipient': 0, 'other-attempt': 0, malformed: malformed.length } satisfies Partial<Record<RefusedReceiptReason, number>>;
    logMalformed('reports', malformed);
    for (const r of reports) {
      const out = parseOutId(r.out_id);
      if (!out || r.out_id === undefined) {
        result.ignored++;
        setAside['unknown-out-id']++;
        continue;
      }
      const phone = normalizePhone(r.phone_number);
      if (!phone.ok) {
        // No chunk holds a number that does not read as one.
        result.refused++;
        setAside['not-recipient']++;
        refusedWhy['not-recipient'] = (refusedWhy['not-recipient'] ?? 0) + 1;
        continue;
      }
      const { sendId, chunkId } = out;
      const chunk = await deps.chunks.get(chunkId);
      const origin = { outId: r.out_id, bizId: r.biz_id ?? '' };
      if (!chunk) {
        // Its send may have been compacted once final: checked and answered as before.
        const late = await deps.recipients.applyLate(sendId, chunkId, phone.phone, origin);
        if (late?.status === 'duplicate') result.duplicates++;
        else if (late?.status === 'refused') {
          result.refused++;
          refusedWhy[late.reason] = (refusedWhy[late.reason] ?? 0) + 1;
        } else {
          result.ignored++;
          // No chunk and nothing compaction kept: the send expired, or never was ours.
          if (late === undefined) setAside['unknown-out-id']++;
        }
        continue;
      }
      // A chunk whose stored payload does not parse holds no number a report can be checked against: it moves no such chunk.
      const ofChunk = chunk.payload?.phones.includes(phone.phone) === true;
      if (canFire(CHUNK_LIFECYCLE, 'report-accepted', chunk.state) && chunk.outId === r.out_id && ofChunk) {
        // A report about a recipient of this very attempt proves it was accepted.
        const acceptedAt = chunk.sentAt ?? deps.clock.now();
        const t = await deps.chunks.transition(chunkId, sendId, {
          trigger: 'report-accepted',
          outId: r.out_id,
          fields: { code: 'OK', resolvedBy: 'report', acceptedAt, ...(r.biz_id ? { bizId: r.biz_id } : {}) },
          windowEndsAt: deps.followUps.windowEndsAt(acceptedAt),
        });
        if (t.applied) {
          result.resolved++;
          // Without a kind no policy says how to look its receipts up: its window ends them.
          if (chunk.kind) await deps.followUps.firstReceiptLook(sendId, chunkId, chunk.kind, acceptedAt);
          if (endedSend(t)) await deps.completion.check(sendId);
          log.info({ sendId, chunkId }, 'a pushed report resolved an attempt of unknown outcome: accepted');
        }
      } else if (chunk.state === 'accepted' && chunk.resolvedBy === 'report' && chunk.outId === r.out_id && ofChunk && chunk.kind && !hasReceipts(chunk)) {
        // Accepted by a push at this very attempt, and no receipt applied to it since: the push
        // that accepted it applies its own report only after asking (above), so its server died
        // between the move and the asks (this is that push repeated by Alibaba, or the chunk's
        // next report). Asked now as that push would have, under the same job id (once); the
        // chunk's first applied receipt ends the asking. Unasked, its recipients without a pushed
        // report were never looked up, and ended `expired` at the window's end though delivered.
        await deps.followUps.firstReceiptLook(sendId, chunkId, chunk.kind, chunk.acceptedAt ?? chunk.sentAt ?? deps.clock.now());
        await deps.completion.check(sendId);
      }
      const newer = isAdoptableAttempt(out.attempt, chunk.attempt) && ofChunk;
      if (newer && canAdopt('report-lost-attempt', chunk.state)) {
        // A report for an attempt newer than the record: the record lost writes (a Redis that
        // forgot its last second), and that attempt was made; or the push is forged (anyone with
        // the report token can push, and Redis cannot know the nonce of an attempt it never
        // recorded). Adopt it as `unknown` and let a look-up at Alibaba decide (found: accepted,
        // not resent; a forged attempt is not found and the chunk is sent as it would have been),
        // rather than trust the push alone. One further ahead than a loss of writes takes
        // (MAX_ATTEMPT_LEAD) is another attempt: set aside below.
        // The push's send_time (bounded by the record's attempt and now) dates the look-up only if
        // the record loses this adoption again, and then beside the record's own attempt's days
        // (reconcile-processor.ts): the sender's word narrows no search.
        const sentAt = pushedTime(r.send_time, { notBefore: chunk.sentAt, now: deps.clock.now() }) ?? deps.clock.now();
        const t = await deps.chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: r.out_id, fields: { resolvedBy: 'report' } });
        if (t.applied && t.adoptedAttempt !== undefined) {
          await deps.followUps.reconcile({ sendId, chunkId, attempt: out.attempt, look: 1, dateIndex: 0, page: 1, sentAt, outId: r.out_id }, rankingKind(chunk.kind), deps.clock.now());
          log.warn(
            { sendId, chunkId, attempt: out.attempt },
            'a pushed report names an attempt the record does not have (Redis lost writes, or the push is forged): adopted as unknown, looked up before anything is resent',
          );
          result.adopted++;
          continue;
        }
      } else if (newer && isUnsent(chunk.state)) {
        // Mid-call (the table adopts from `sending` for no push): its worker's answer is Dysmsapi's
        // word where a push is only a claim, and a chunk `sending` is never sent again without a
        // look-up, which finds any attempt of the chunk. Adopted, a forged push would have had the
        // worker's accepted answer dropped as an older attempt's, and the chunk sent twice.
        result.refused++;
        setAside['other-attempt']++;
        refusedWhy['other-attempt'] = (refusedWhy['other-attempt'] ?? 0) + 1;
        // At debug: counted with the push's other set-aside reports in its one warn line below (a token holder must not flood the log).
        log.debug({ sendId, chunkId, attempt: out.attempt, current: chunk.attempt }, 'a pushed report names a newer attempt than the one mid-call: set aside (not adopted); the worker\'s answer, or the look-up of its attempt, settles the chunk');
        continue;
      }
      const bounds = { notBefore: chunk.sentAt ?? chunk.acceptedAt, now: deps.clock.now() };
      if (r.send_time && pushedTime(r.send_time, bounds) === undefined) refusedFields.send_time++;
      const reportTime = pushedTime(r.report_time, bounds);
      if (reportTime === undefined && r.report_time) refusedFields.report_time++;
      // Alibaba never pushes a report again once answered OK: refusing it for its time would lose
      // the receipt. Applied with the time smsq received it, and marked so (receivedAtFromPush).
      const receivedAt = reportTime ?? pushedAt;
      const applied = await deps.recipients.apply(
        sendId,
        chunkId,
        phone.phone,
        {
          state: r.success ? 'delivered' : 'failed',
          code: r.err_code || (r.success ? 'DELIVERED' : 'UNKNOWN'),
          receivedAt,
          source: 'report',
          ...(reportTime === undefined ? { receivedAtFromPush: true } : {}),
        },
        origin,
      );
      if (applied.status === 'applied') {
        result.applied++;
        await deps.completion.check(sendId, applied.pending);
        // A push's own arrival is no handset's: the latency is measured only from a report's time.
        const latency = receiptLatencySeconds(chunk.acceptedAt ?? chunk.sentAt, reportTime);
        if (latency !== undefined) deps.metrics?.recordReceipt('report', latency);
      } else if (applied.status === 'duplicate') result.duplicates++;
      else if (applied.status === 'refused') {
        result.refused++;
        refusedWhy[applied.reason] = (refusedWhy[applied.reason] ?? 0) + 1;
        // Another attempt of a chunk that was accepted may mean a duplicate send: worth a look.
        if (applied.reason === 'other-attempt') log.error({ sendId, chunkId, outId: r.out_id, current: chunk.outId }, 'report for another attempt of this chunk: not applied; check for a duplicate');
      } else result.ignored++;
    }
    for (const [reason, n] of Object.entries(setAside)) await deps.recipients.countRefused(reason as RefusedReceiptReason, n);
    if (setAside['unknown-out-id'] > 0) {
      log.warn(
        { unknownOutIds: setAside['unknown-out-id'] },
        'pushed reports naming no send smsq holds (no OutId, another system\'s, or a send gone after its retention) were set aside: if this goes on, check that the push is not meant for another system on the same account',
      );
    }
    if (result.refused > 0) {
      // Counts only: the numbers and ids of a forged push are not worth a log line each.
      log.warn({ refused: result.refused, reasons: refusedWhy }, 'pushed reports that do not match their send were set aside (not applied)');
    }
    await deps.refusedFields?.count(refusedFields);
    await confirmPush(`${reports.length} pushed report(s)`, since);
    return result;
  }

  async function applyReplies({ items: replies, malformed }: ParsedPush<SmsUp>): Promise<ReplyIngestResult> {
    const since = await barrier?.mark();
    logMalformed('replies', malformed);
    await deps.refusedReplies?.count('malformed', malformed.length);
    const optOuts = replies
      .filter((r) => isOptOut(r.content, deps.optOutKeywords))
      .map((r) => normalizePhone(r.phone_number))
      .flatMap((p) => (p.ok ? [p.phone] : []));
    const sentTo = await deps.sentNumbers.check(optOuts);
    const believed = optOuts.filter((_, i) => sentTo[i]);
    const refused = optOuts.length - believed.length;
    if (refused > 0) log.warn({ refused }, 'opt-out replies from numbers smsq never sent to were set aside (not applied)');
    await deps.refusedReplies?.count('never-sent', refused);
    const added = await deps.suppression.add(believed);
    if (added) log.info({ optedOut: added }, 'numbers opted out of marketing');
    await confirmPush(`${believed.length} opt-out(s) of ${replies.length} pushed reply(ies)`, since);
    return { replies: replies.length, optedOut: believed.length, refused, malformed: malformed.length };
  }

  // Parsed before the gate: a malformed push is refused as such (400), whether Redis answers or not.
  const guarded = <T>(fn: () => Promise<T>): Promise<T> => (deps.gate ? deps.gate.run(fn) : fn());
  return {
    async applyReports(body) {
      const reports = parseSmsReports(body);
      return guarded(() => applyReports(reports));
    },
    async applyReplies(body) {
      const replies = parseSmsUps(body);
      return guarded(() => applyReplies(replies));
    },
  };
}

export interface OpenReportIngestOptions {
  redis: RedisConnection;
  prefix: string;
  clock: Clock;
  logger: Logger;
  /** The deployment's retention per kind: receipts and opt-outs are kept within the longest. */
  retention: Retention;
  receiptPolicies: ReceiptPolicies;
  receiptSchedule: ReceiptSchedule;
  metrics?: ReportIngestDeps['metrics'];
  /** 'error' listener of its queues (see emitter-errors.ts). Default: one log line per distinct error a minute. */
  errorLog?: EmitterErrorLog;
  /** SMSQ_DURABILITY: what a push waits for before it is answered (see {@link ReportIngest}). Default: the default mode. */
  durability?: DurabilityOptions;
  /** SMSQ_COMPACT_FINISHED: false keeps a send a push ended whole, as the workers do. Default true. */
  compactFinished?: boolean;
  /** SMSQ_REDIS_CONNECT_TIMEOUT_MS: the longest a push waits for a connection still being made (the gate's, as the producer's). Default: the connection's connect timeout. */
  connectTimeoutMs?: number;
  /** REDIS_URL, password redacted, named when Redis does not answer. Default: derived from the connection. */
  redactedRedisUrl?: string;
  /** SMSQ_OPT_OUT_WORDS: the replies that opt a number out. Default: `DEFAULT_OPT_OUT_KEYWORDS` (pushed-reports.ts). */
  optOutWords?: readonly string[];
}

/**
 * The ingest wired to Redis the way workers are, for a process that receives pushes (the server):
 * its follow-ups (receipt look-ups of chunks a report resolved, send callbacks) go to the same
 * queues. Windows of the chunks it resolves end by the workers' window sweep. Behind the
 * producer's Redis gate: a push Redis does not take fails as the producer's calls do.
 */
export function openReportIngest(options: OpenReportIngestOptions): { ingest: ReportIngest; close(): Promise<void> } {
  const keys = createKeys(options.prefix);
  const errorLog = options.errorLog ?? createEmitterErrorLog({ logger: options.logger.child({ component: 'report-ingest' }), clock: options.clock });
  const calls = createCallsQueue({ connection: options.redis, prefix: options.prefix, onError: errorLog('report ingest calls queue') });
  const housekeeping = createHousekeepingQueue({ connection: options.redis, prefix: options.prefix, onError: errorLog('report ingest housekeeping queue') });
  const followUps = createFollowUps({ calls, housekeeping, clock: options.clock, receiptPolicies: options.receiptPolicies, receiptSchedule: options.receiptSchedule });
  const server = createNodeResolver(options.redis, options.prefix);
  const durability = options.durability ?? DEFAULT_DURABILITY;
  const recheck = createDurabilityRecheck({ redis: options.redis, server, durability, clock: options.clock, logger: options.logger });
  const ingest = createReportIngest({
    chunks: createChunkStore({ redis: options.redis, keys, clock: options.clock }),
    recipients: createRecipientStore({ redis: options.redis, keys, clock: options.clock, retentionSeconds: longestRetention(options.retention) }),
    completion: createCompletion({ sends: completionSends(createSendStore({ redis: options.redis, keys, clock: options.clock }), options.compactFinished !== false), onEnded: (id) => followUps.callback(id) }),
    followUps,
    suppression: createSuppressionList({ redis: options.redis, keys }),
    sentNumbers: createSentNumbers({ redis: options.redis, keys, retentionSeconds: longestRetention(options.retention), clock: options.clock }),
    clock: options.clock,
    logger: options.logger,
    refusedFields: createRefusedReportFields({ redis: options.redis, keys, logger: options.logger.child({ component: 'report-ingest' }) }),
    refusedReplies: createRefusedReplies({ redis: options.redis, keys }),
    optOutKeywords: options.optOutWords,
    metrics: options.metrics,
    durability: createDurabilityBarrier(server, durability),
    durabilityCheck: () => recheck.ensure(),
    fence: createDurabilityFence({ redis: options.redis, key: keys.durabilityFence(), durability, clock: options.clock }),
    gate: createRedisGate({ redis: options.redis, timeoutMs: options.connectTimeoutMs ?? connectTimeoutOf(options.redis), redactedUrl: options.redactedRedisUrl }),
  });
  return {
    ingest,
    close: async () => {
      recheck.close();
      await Promise.all([calls.close(), housekeeping.close()]);
    },
  };
}
