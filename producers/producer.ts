import { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../src/clock.js';
import { NotDurableError, NotFoundError, ValidationError, fieldIssuesFromZod } from '../src/errors.js';
import { createEmitterErrorLog } from '../src/queue/emitter-errors.js';
import { createRedisGate } from '../src/queue/redis-gate.js';
import type { Logger } from '../src/logger.js';
import { createCallsQueue } from '../src/queue/calls-queue.js';
import { createChunkStore } from '../src/queue/chunk-store.js';
import { createKeys, DEFAULT_PREFIX } from '../src/queue/keys.js';
import { createSendStore, type SendRecord, type SendStatus } from '../src/queue/send-store.js';
import { streamCampaign, type CampaignProgress, type CampaignResult } from './campaign.js';
import { createCountingEnqueuer, createEnqueuer, type Enqueuer } from './enqueuer.js';
import { planSend, planSendBatch, type SendPlan, type TemplateContentLookup } from './plan.js';
import { CampaignRequest, type CampaignRecipient } from './schemas.js';
import { createOptOutCheck } from './opt-out-check.js';
import { newSendId } from './send-id.js';
import { normalizePhones } from '../src/sms/phone.js';
import { createSuppressionList } from '../src/receipts/suppression.js';
import { createEventConsumer, type EventConsumer } from '../src/receipts/events.js';
import { createRecipientStore } from '../src/receipts/recipient-store.js';
import { sendRecipients, type RecipientState } from '../src/queue/send-recipients.js';
import { createDurabilityBarrier } from '../src/durability/barrier.js';
import { DEFAULT_DURABILITY, type DurabilityOptions } from '../src/durability/mode.js';
import { checkRedisDurability } from '../src/durability/startup-check.js';

export interface ProducerOptions {
  /**
   * Redis connection; the producer does not close it. Best made with
   * `createRedisConnection(url, { role: 'client' })`: while Redis is down, calls then fail at once
   * instead of waiting to run later.
   */
  redis: Redis;
  /**
   * Longest a call waits for a connection still being made before it fails with
   * SMSQ_REDIS_UNAVAILABLE (ms). Default 5000 (SMSQ_REDIS_CONNECT_TIMEOUT_MS).
   */
  connectTimeoutMs?: number;
  /** REDIS_URL with the password redacted, named in SMSQ_REDIS_UNAVAILABLE. Default: derived from the connection. */
  redactedRedisUrl?: string;
  /** Key prefix with a hash tag; must match the workers'. Default `{smsq}`. */
  prefix?: string;
  clock?: Clock;
  logger?: Logger;
  /** Template content by code, to check params against `${var}`s before enqueueing. Optional. */
  templateContent?: TemplateContentLookup;
  /** How long send records live. Default 30 days (as QuerySendDetails). */
  retentionSeconds?: number;
  /** How long an idempotency key returns its first send id. Default 24 h. */
  idempotencyTtlSeconds?: number;
  /**
   * Whether sends may carry a `callbackUrl` (the workers must have SMSQ_CALLBACK_SECRET to sign
   * them). Default false: a callbackUrl is refused at the door.
   */
  callbacks?: boolean;
  /**
   * How an enqueue is made durable before it is acknowledged (SMSQ_DURABILITY). Default `fsync`:
   * the first enqueue checks that Redis runs `appendfsync always` and refuses otherwise
   * (RedisNotDurableError), writing nothing.
   */
  durability?: DurabilityOptions;
}

/** What every enqueue call returns: the campaign counts (for every kind of send), and the send. */
export interface EnqueueResult extends CampaignResult {
  sendId: string;
  /** True when an idempotency key matched an earlier request; nothing new was enqueued. */
  duplicate: boolean;
  /** API calls planned: one per chunk. */
  apiCalls: number;
}

export interface Producer {
  /** One message to many numbers (SendSms chunks of ≤ 1000; verification codes one by one). */
  send(request: unknown): Promise<EnqueueResult>;
  /** Personalised messages (SendBatchSms chunks of ≤ 100). */
  sendBatch(request: unknown): Promise<EnqueueResult>;
  /** A large recipient list streamed in bounded memory. */
  campaign(
    recipients: AsyncIterable<CampaignRecipient>,
    request: unknown,
    opts?: { onProgress?: (p: CampaignProgress) => void },
  ): Promise<EnqueueResult>;
  /** Reads a campaign's recipients and reports what it would enqueue, writing nothing. */
  planCampaign(recipients: AsyncIterable<CampaignRecipient>, request: unknown): Promise<EnqueueResult & { sendSmsCalls: number; sendBatchSmsCalls: number }>;
  /** The plan of a send without enqueueing anything (dry run / confirmation). */
  planSend(request: unknown): Promise<SendPlan>;
  planSendBatch(request: unknown): Promise<SendPlan>;
  getStatus(sendId: string): Promise<SendStatus>;
  /** Stops new chunks of a send within a second; other traffic flows. Returns the new status. */
  pause(sendId: string, reason?: string): Promise<SendStatus>;
  /** Continues a paused send where it stopped; no recipient is sent twice. */
  resume(sendId: string): Promise<SendStatus>;
  /** Ends a send: its queued recipients become `cancelled`; chunks in flight finish. */
  cancel(sendId: string, reason?: string): Promise<SendStatus>;
  /** Every recipient of a send with its state, code, BizId, times and attempts (streamed). */
  recipients(sendId: string): AsyncGenerator<RecipientState>;
  /** A consumer of the events stream (every change of state) in a consumer group. */
  events(opts: { group: string; consumer: string; startAt?: '$' | '0' }): Promise<EventConsumer>;
  close(): Promise<void>;
}

const DAY = 86_400;
/** Chunks written (and their jobs added) per round trip: bounds one MULTI of `addBulk`. */
const ENQUEUE_BATCH = 500;

export function createProducer(opts: ProducerOptions): Producer {
  const clock = opts.clock ?? systemClock;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const retentionSeconds = opts.retentionSeconds ?? 30 * DAY;
  const idempotencyTtlSeconds = opts.idempotencyTtlSeconds ?? DAY;
  const keys = createKeys(prefix);
  const gate = createRedisGate({ redis: opts.redis, timeoutMs: opts.connectTimeoutMs, redactedUrl: opts.redactedRedisUrl });
  // Connection errors reach callers as SMSQ_REDIS_UNAVAILABLE; anything else is logged once a minute.
  const errorLog = opts.logger ? createEmitterErrorLog({ logger: opts.logger.child({ component: 'producer' }), clock }) : undefined;
  const queue = createCallsQueue({ connection: opts.redis, prefix, onError: errorLog ? errorLog('calls queue') : () => {} });
  const sends = createSendStore({ redis: opts.redis, keys });
  const chunks = createChunkStore({ redis: opts.redis, keys, clock });
  const enqueuer: Enqueuer = createEnqueuer({ keys, redis: opts.redis, queue, chunks, sends, retentionSeconds });
  const suppression = createSuppressionList({ redis: opts.redis, keys });
  const optOutCheck = createOptOutCheck(opts.redis, keys);
  const durability = opts.durability ?? DEFAULT_DURABILITY;
  const barrier = createDurabilityBarrier(opts.redis, durability);
  let durabilityChecked: Promise<unknown> | undefined;

  /** The start-up check, on the first write (a producer is built synchronously). */
  function ensureDurableRedis(): Promise<unknown> {
    durabilityChecked ??= checkRedisDurability(opts.redis, durability, opts.logger).catch((err: unknown) => {
      durabilityChecked = undefined; // checked again next time: the operator may fix Redis meanwhile
      throw err;
    });
    return durabilityChecked;
  }

  /** Refuses a callbackUrl when this deployment cannot sign callbacks. */
  function checkCallback(request: unknown): void {
    const url = (request as { callbackUrl?: unknown } | null)?.callbackUrl;
    if (url !== undefined && !opts.callbacks) {
      throw new ValidationError([{ field: 'callbackUrl', message: 'callbacks are not enabled here. Fix: set SMSQ_CALLBACK_SECRET on the workers and the producer, or drop callbackUrl' }]);
    }
  }

  /** Wakes the jobs parked while a send was paused (they re-check its control at once). */
  async function wakeParked(sendId: string): Promise<void> {
    const parkedKey = keys.sendParked(sendId);
    const ids = await opts.redis.smembers(parkedKey);
    for (const id of ids) {
      const job = await Job.fromId(queue, id);
      await job?.promote().catch(() => undefined); // no longer delayed: it already ran again
    }
    if (ids.length) await opts.redis.srem(parkedKey, ...ids);
  }

  /** The opted-out numbers among a marketing request's numbers (one round trip). */
  async function suppressedAmong(kind: unknown, raw: unknown[]): Promise<Set<string>> {
    if (kind !== 'marketing') return new Set();
    const phones = normalizePhones(raw.filter((p): p is string => typeof p === 'string')).valid;
    const flags = await suppression.check(phones);
    return new Set(phones.filter((_, i) => flags[i]));
  }
  const log = opts.logger?.child({ component: 'producer' });

  async function templateFor(code: unknown): Promise<string | undefined> {
    if (!opts.templateContent || typeof code !== 'string') return undefined;
    return opts.templateContent(code);
  }

  /** Resolves the send id: a new one, or the holder of the idempotency key. */
  async function resolveSendId(idempotencyKey: string | undefined): Promise<{ sendId: string; duplicate: boolean }> {
    const fresh = newSendId(clock.now());
    if (!idempotencyKey) return { sendId: fresh, duplicate: false };
    const holder = await sends.reserveIdempotencyKey(idempotencyKey, fresh, idempotencyTtlSeconds);
    return { sendId: holder, duplicate: holder !== fresh };
  }

  /**
   * An enqueue is acknowledged only once it would outlive a crash of Redis (design invariant 8).
   * One that cannot be confirmed is cancelled before the error is thrown, so that a caller who
   * retries does not send it twice (a worker cannot claim it meanwhile: its claim needs the same
   * confirmation).
   */
  async function confirmOrWithdraw(sendId: string): Promise<void> {
    try {
      await barrier.confirm(`send ${sendId}`);
    } catch (err) {
      if (!(err instanceof NotDurableError)) throw err;
      await cancelSend(sendId, 'not confirmed durable at enqueue').catch(() => undefined);
      throw new NotDurableError(`send ${sendId}`, `${err.detail}; it was cancelled, nothing of it will be sent, a retry is safe`);
    }
  }

  async function cancelSend(sendId: string, reason: string): Promise<void> {
    if ((await sends.setControl(sendId, 'cancelled', reason)) === undefined) throw new NotFoundError(`send ${sendId}`);
    // Mark what is still queued now rather than when each job comes up.
    const status = await sends.status(sendId);
    for (let i = 0; i < (status?.send.chunks ?? 0); i++) {
      await chunks.transition(`${sendId}.${i}`, sendId, { from: ['queued'], to: 'cancelled', fields: { code: 'SMSQ_CANCELLED' } });
    }
    await wakeParked(sendId);
  }

  function resultOf(sendId: string, plan: SendPlan, duplicate: boolean): EnqueueResult {
    return {
      sendId,
      duplicate,
      recipients: plan.recipients,
      rejected: plan.rejected,
      rejectedCount: plan.rejected.length,
      duplicates: plan.duplicates,
      suppressed: plan.suppressed.length,
      chunks: plan.chunks.length,
      apiCalls: plan.apiCalls,
    };
  }

  async function enqueuePlan(plan: SendPlan): Promise<EnqueueResult> {
    await ensureDurableRedis();
    const { sendId, duplicate } = await resolveSendId(plan.idempotencyKey);
    if (duplicate) {
      const existing = await sends.status(sendId);
      // An earlier request that completed: return it, enqueue nothing.
      if (existing && existing.send.state !== 'enqueuing') return resultOf(sendId, plan, true);
      // An earlier request that died half-way (or is still running): finish it under the same
      // send id. Every write below is idempotent, so nothing is sent twice.
      log?.warn({ sendId }, 'idempotency key held by an unfinished enqueue; completing it');
    }
    const record: SendRecord = {
      sendId,
      kind: plan.kind,
      api: plan.api,
      templateCode: plan.templateCode,
      signName: plan.signName,
      name: plan.name,
      idempotencyKey: plan.idempotencyKey,
      callbackUrl: plan.callbackUrl,
      deadline: plan.deadline,
      recipients: plan.recipients,
      rejected: plan.rejected.length,
      duplicates: plan.duplicates,
      chunks: plan.chunks.length,
      createdAt: clock.now(),
    };
    // These writes commute (each is idempotent, the counts are increments), so they go out
    // together: a verification code costs three round trips (records, job, enqueued), not five.
    const first = plan.chunks.slice(0, ENQUEUE_BATCH);
    await Promise.all([
      enqueuer.createSend(record),
      enqueuer.recordSuppressed(sendId, plan.suppressed),
      enqueuer.recordRejected(sendId, plan.rejected.map((r) => r.input)),
      enqueuer.writeChunks(sendId, plan.kind, 0, first),
    ]);
    await enqueuer.addJobs(sendId, plan.kind, 0, first.length);
    for (let i = ENQUEUE_BATCH; i < plan.chunks.length; i += ENQUEUE_BATCH) {
      await enqueuer.addChunks(sendId, plan.kind, i, plan.chunks.slice(i, i + ENQUEUE_BATCH));
    }
    await enqueuer.finish(sendId);
    await confirmOrWithdraw(sendId);
    log?.info({ sendId, kind: plan.kind, recipients: plan.recipients, rejected: plan.rejected.length, chunks: plan.chunks.length }, 'send enqueued');
    return resultOf(sendId, plan, duplicate);
  }

  const api: Producer = {
    async planSend(request) {
      checkCallback(request);
      const r = (request ?? {}) as { templateCode?: unknown; kind?: unknown; phones?: unknown };
      const suppressed = await suppressedAmong(r.kind, Array.isArray(r.phones) ? r.phones : []);
      return planSend(request, await templateFor(r.templateCode), (p) => suppressed.has(p));
    },
    async planSendBatch(request) {
      checkCallback(request);
      const r = (request ?? {}) as { templateCode?: unknown; kind?: unknown; messages?: unknown };
      const phones = Array.isArray(r.messages) ? r.messages.map((m: { phone?: unknown } | null) => m?.phone) : [];
      const suppressed = await suppressedAmong(r.kind, phones);
      return planSendBatch(request, await templateFor(r.templateCode), (p) => suppressed.has(p));
    },
    async send(request) {
      return enqueuePlan(await this.planSend(request));
    },
    async sendBatch(request) {
      return enqueuePlan(await this.planSendBatch(request));
    },

    async campaign(recipients, request, campaignOpts) {
      checkCallback(request);
      const parsed = CampaignRequest.safeParse(request);
      if (!parsed.success) throw new ValidationError(fieldIssuesFromZod(parsed.error.issues));
      const req = parsed.data;
      const templateContent = await templateFor(req.templateCode);
      await ensureDurableRedis();
      const { sendId, duplicate } = await resolveSendId(req.idempotencyKey);
      if (duplicate) {
        const existing = await sends.status(sendId);
        if (existing && existing.send.state !== 'enqueuing') {
          return {
            sendId,
            duplicate: true,
            recipients: existing.send.recipients,
            rejected: [],
            rejectedCount: existing.send.rejected,
            duplicates: existing.send.duplicates,
            suppressed: existing.counts.suppressed,
            chunks: existing.send.chunks,
            apiCalls: existing.send.chunks,
          };
        }
      }
      const result: CampaignResult = await streamCampaign({
        sendId,
        request: req,
        recipients,
        templateContent,
        enqueuer,
        now: () => clock.now(),
        onProgress: campaignOpts?.onProgress,
        checkSuppressed: optOutCheck,
        callbackUrl: req.callbackUrl,
      });
      await confirmOrWithdraw(sendId);
      log?.info({ sendId, recipients: result.recipients, rejected: result.rejectedCount, chunks: result.chunks }, 'campaign enqueued');
      return { sendId, duplicate, ...result, apiCalls: result.chunks };
    },

    async planCampaign(recipients, request) {
      const parsed = CampaignRequest.safeParse(request);
      if (!parsed.success) throw new ValidationError(fieldIssuesFromZod(parsed.error.issues));
      const counting = createCountingEnqueuer();
      const result = await streamCampaign({
        sendId: 'dry-run',
        request: parsed.data,
        recipients,
        templateContent: await templateFor(parsed.data.templateCode),
        enqueuer: counting,
        now: () => clock.now(),
        checkSuppressed: optOutCheck,
      });
      return {
        sendId: 'dry-run',
        duplicate: false,
        ...result,
        apiCalls: result.chunks,
        sendSmsCalls: counting.calls.SendSms,
        sendBatchSmsCalls: counting.calls.SendBatchSms,
      };
    },

    async getStatus(sendId) {
      const status = await sends.status(sendId);
      if (!status) throw new NotFoundError(`send ${sendId}`);
      return status;
    },

    async pause(sendId, reason = 'paused by an operator') {
      if ((await sends.setControl(sendId, 'paused', reason)) === undefined) throw new NotFoundError(`send ${sendId}`);
      log?.warn({ sendId, reason }, 'send paused');
      return this.getStatus(sendId);
    },

    async resume(sendId) {
      const prev = await sends.setControl(sendId, 'active', 'resumed by an operator');
      if (prev === undefined) throw new NotFoundError(`send ${sendId}`);
      if (prev === 'cancelled') throw new ValidationError([{ field: 'sendId', message: 'the send was cancelled; it cannot be resumed' }]);
      // Forget the failures that caused an auto-pause, so it does not trip again at once.
      await opts.redis.del(keys.sendOutcomes(sendId));
      await wakeParked(sendId);
      log?.info({ sendId }, 'send resumed');
      return this.getStatus(sendId);
    },

    async cancel(sendId, reason = 'cancelled by an operator') {
      await cancelSend(sendId, reason);
      log?.warn({ sendId, reason }, 'send cancelled');
      return this.getStatus(sendId);
    },

    async *recipients(sendId) {
      const status = await sends.status(sendId);
      if (!status) throw new NotFoundError(`send ${sendId}`);
      const recipientStore = createRecipientStore({ redis: opts.redis, keys, clock, retentionSeconds });
      yield* sendRecipients({ redis: opts.redis, keys, chunks, recipients: recipientStore }, sendId, status.send.chunks);
    },

    events({ group, consumer, startAt }) {
      return createEventConsumer({ redis: opts.redis, keys, group, consumer, startAt });
    },

    async close() {
      await queue.close();
    },
  };
  return guarded(api, gate);
}

/**
 * Every call of `api` behind the Redis gate: it fails within the connect timeout with
 * SMSQ_REDIS_UNAVAILABLE when Redis does not answer. Methods call each other through `this`,
 * which stays `api`, so a call passes the gate once.
 */
function guarded(api: Producer, gate: ReturnType<typeof createRedisGate>): Producer {
  const run = <T>(fn: () => Promise<T>) => gate.run(fn);
  return {
    planSend: (request) => run(() => api.planSend(request)),
    planSendBatch: (request) => run(() => api.planSendBatch(request)),
    send: (request) => run(() => api.send(request)),
    sendBatch: (request) => run(() => api.sendBatch(request)),
    campaign: (recipients, request, campaignOpts) => run(() => api.campaign(recipients, request, campaignOpts)),
    planCampaign: (recipients, request) => run(() => api.planCampaign(recipients, request)),
    getStatus: (sendId) => run(() => api.getStatus(sendId)),
    pause: (sendId, reason) => run(() => api.pause(sendId, reason)),
    resume: (sendId) => run(() => api.resume(sendId)),
    cancel: (sendId, reason) => run(() => api.cancel(sendId, reason)),
    async *recipients(sendId) {
      await gate.ready();
      try {
        yield* api.recipients(sendId);
      } catch (err) {
        throw gate.translate(err);
      }
    },
    events: (eventOpts) => run(() => api.events(eventOpts)),
    close: () => api.close(),
  };
}
