import type { MessageKind } from '../src/queue/kinds.js';
import { longestRetention, resolveRetention } from '../src/queue/retention.js';
import { createNodeResolver, describeRedis, type RedisConnection } from '../src/queue/connection.js';
import { whenRedisSilent } from '../src/queue/redis-silence.js';
import { systemClock, type Clock } from '../src/clock.js';
import { CampaignCutOff, ConfigError, CampaignStoppedError, IdempotencyKeyCutShortError, IdempotencyKeyReusedError, ListInterruptedError, NotDurableError, ProducerClosedError, SendNotFoundError, RedisNotDurableError, RedisUnavailableError, RedisWritesRefusedError, SendAlreadySentError, SendCancelledError, SendEndedError, ValidationError, type ControlOfSend, type OutageTask } from '../src/errors.js';
import { parseNamingUnknownFields } from '../src/unknown-fields.js';
import { booleanLine, connectionLine, MAX_RETENTION_SECONDS, nestedOptionLines, optionsObjectLine, positiveMsLine, prefixLine, quietHoursLine, retentionLines, unknownOptionLines, wholeNumberLine } from '../src/factory-options.js';
import { createEmitterErrorLog } from '../src/queue/emitter-errors.js';
import { createRedisGate } from '../src/queue/redis-gate.js';
import type { Logger } from '../src/logger.js';
import type { Telemetry } from 'bullmq';
import { createCallsQueue, createHousekeepingQueue } from '../src/queue/calls-queue.js';
import { addCallback } from '../src/queue/follow-ups.js';
import { mention } from '../src/setting-mention.js';
import { canFire, isSendEnded, isSentInFull, SEND_LIFECYCLE, type SendControlTrigger } from '../src/queue/lifecycle.js';
import type { Queue } from 'bullmq';
import { createChunkStore } from '../src/queue/chunk-store.js';
import { cancelQueuedChunks, endCutShortEnqueue, isCutShort, recipientsTakenToApi, wakeParked as wakeParkedJobs } from '../src/queue/send-cancel.js';
import { createEnqueueWithdrawal } from './enqueue-withdrawal.js';
import { createKeys, DEFAULT_PREFIX } from '../src/queue/keys.js';
import { createSendStore, type EndedShortCode, type SendRecord, type SendStatus } from '../src/queue/send-store.js';
import { OPERATOR_PAUSE_REASON, sendPace, sendWait } from '../src/queue/send-wait.js';
import { flowControlRetryOf, readLookedUpPending, readStatusChunks, readWaitFacts } from '../src/queue/send-wait-facts.js';
import { readLostCalls } from '../src/queue/lost-calls.js';
import { readStrandedChunks } from '../src/repair/chunk-jobs.js';
import { DEFAULT_QUIET_HOURS, type QuietHours } from '../src/queue/quiet-hours.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE, lookupReach, type ReceiptPolicies } from '../src/queue/receipt-policy.js';
import { createSendIndex, type SendListPage, type SendListRequest } from '../src/queue/send-index.js';
import { readIntoDigest, stopReasonOf, streamCampaign, type CampaignProgress, type CampaignResult } from './campaign.js';
import { createCountingEnqueuer, createEnqueuer, type Enqueuer } from './enqueuer.js';
import { checkDeadline, planSend, planSendBatch, refuseWithoutNumbers, type SendPlan, sharedParamIssues } from './plan.js';
import { CampaignRequest, DEFAULT_SEND_KIND, SendBatchRequest, SendRequest, withDatedDeadlineExample, type CampaignRecipient } from './schemas.js';
import type { z } from 'zod';
import { checkAccount, type NamedSign } from './account-check.js';
import type { CatalogLookup } from '../src/queue/catalog-lookup.js';
import type { TemplateRules } from '../src/sms/template-rules.js';
import { kindMismatch, kindOfTemplate } from '../src/queue/template-kind.js';
import { createOptOutCheck } from './opt-out-check.js';
import { enqueuerOnOneConnection } from './one-connection-enqueuer.js';
import { checkProducerConnection } from './producer-connection.js';
import { closedIfThrows, primeSource, type PrimedSource } from './primed-source.js';
import { campaignSource, type RecipientSource } from './recipient-source.js';
import { readQueuedBefore } from './queued-before.js';
import { newSendId } from './send-id.js';
import { createIdempotency, type KeptAnswer } from './idempotency.js';
import { comparableDigest, ListDigest } from './list-digest.js';
import { requestFingerprint, type RequestFingerprint } from './request-fingerprint.js';
import { normalizePhones } from '../src/sms/phone.js';
import { createSuppressionList } from '../src/receipts/suppression.js';
import { createEventConsumer, type EventConsumer } from '../src/receipts/events.js';
import { createRecipientStore } from '../src/receipts/recipient-store.js';
import { readRecipientPage, sendRecipients, sendShapeOf, type RecipientState } from '../src/receipts/send-recipients.js';
import { decodeRecipientCursor, DEFAULT_RECIPIENT_PAGE, encodeRecipientCursor, FIRST_RECIPIENT, MAX_RECIPIENT_PAGE } from '../src/queue/recipient-cursor.js';
import { cachedWorkersSeen } from '../src/queue/worker-presence.js';
import { redisNowMs } from '../src/clock-skew.js';
import { connectionLostSince, createDurabilityBarrier, type WriteMark } from '../src/durability/barrier.js';
import { DEFAULT_DURABILITY, durabilityReplicasLine, resolveDurability, type DurabilityOptions } from '../src/durability/mode.js';
import { createDurabilityRecheck } from '../src/durability/recheck.js';
import { createDurabilityFence } from '../src/durability/fence.js';
import { createCallsInFlight, withStop, type CallsInFlight } from './calls-in-flight.js';
import { finishedWithin } from '../src/finished-within.js';
import { waitForSend, type WaitForSendOptions, type WaitForSendResult } from './wait-for-send.js';

export interface ProducerOptions {
  /**
   * Redis connection; the producer does not close it. Made with
   * `createRedisConnection(url, { role: 'client' })`: while Redis is down, calls then fail at once
   * instead of waiting to run later. createProducer refuses (ProducerConnectionError,
   * SMSQ_PRODUCER_CONNECTION) a connection that would send a write later than it was given, with
   * ioredis's `enableOfflineQueue` or `autoResendUnfulfilledCommands` on (ioredis's defaults, and
   * role 'worker'): such a write goes to whichever server the connection reaches next, which after
   * a failover may lack the send's earlier writes (producers/producer-connection.ts). So a worker's
   * connection is not shared with a producer.
   */
  redis: RedisConnection;
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
  /**
   * The account's signatures and templates (createCatalogLookup: paced, cached GetSmsSign /
   * GetSmsTemplate). With it every request is checked against the account before anything is
   * written: approved signature and template, numbers in the template's region, params by the
   * template's variable rules. Without it the request alone is checked (shape, deadline, each
   * number; a +1 number whose digits are a mainland number is refused, its template's region
   * unknown): params and the template are left to the worker's call (docs/sending.md).
   */
  catalog?: CatalogLookup;
  /**
   * How long each kind's send, chunk and recipient records live (seconds). Kinds not named keep
   * the defaults of src/queue/retention.ts (verification 4 days, notification 7, marketing 30).
   */
  retention?: Partial<Record<MessageKind, number>>;
  /** Every kind's records live this long (seconds), unless `retention` names the kind. */
  retentionSeconds?: number;
  /** How long an idempotency key returns its first send id, from the end of its enqueue (it lives on while its enqueue does). Default 24 h. */
  idempotencyTtlSeconds?: number;
  /**
   * How long a request waits for a twin (same idempotency key and body) that is still enqueuing,
   * before it is refused with SMSQ_IDEMPOTENCY_IN_PROGRESS. Default 10000 ms.
   */
  idempotencyWaitMs?: number;
  /**
   * How long the claim of a request enqueuing under an idempotency key lasts unless renewed (every
   * third of it while the request works): a retry takes over the send of a caller that died
   * half-way once it has run out. Default 15000 ms; 3000 to 3600000 (shorter: a caller whose event
   * loop stalls past it loses the send to a retry while it still writes).
   */
  idempotencyLeaseMs?: number;
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
  /**
   * What `getStatus` needs to say why a send waits: the marketing quiet hours (undefined: none),
   * the receipt window (ms) and which recipients' receipts are looked up, as the workers have them
   * (SMSQ_QUIET_HOURS, SMSQ_RECEIPT_WINDOW_HOURS, SMSQ_RECEIPT_LOOKUPS). Default: 21:00-08:00
   * China time, 72 h, and `receiptLookups` {@link DEFAULT_RECEIPT_POLICIES} (marketing sampled at 5%).
   */
  waits?: { quietHours: QuietHours | undefined; receiptWindowMs: number; receiptLookups?: ReceiptPolicies };
  /**
   * BullMQ's telemetry (src/telemetry/tracing.ts, when OTEL_* is set): each job carries the
   * enqueue's trace context, so its processing continues the trace. Default: none.
   */
  telemetry?: Telemetry;
}

/** What every enqueue call returns: the campaign counts (for every kind of send), and the send. */
export interface EnqueueResult extends CampaignResult {
  sendId: string;
  /**
   * True when an idempotency key matched an earlier request with the same body whose enqueue had
   * ended: this is its send, and nothing new was enqueued; the counts and `rejected` are those that
   * request was answered (kept with the key), not this one's plan. A
   * campaign's body is its settings and its recipient list, which a repeat reads whole (writing
   * nothing) to compare. (The same key with another body, a campaign's list included, throws
   * IdempotencyKeyReusedError; a campaign whose list was cut short under the key throws
   * IdempotencyKeyCutShortError.)
   */
  duplicate: boolean;
  /**
   * True when an earlier request with the same key and body had begun this send and was cut off
   * before its enqueue ended (Redis went away, its process died): this call wrote what the send
   * lacked, so some of its recipients may have been enqueued (and sent) by that earlier request.
   * `recipients` counts them all. `duplicate` is then false: something new was enqueued. A
   * campaign's list is compared as far as that request read its own (each write of its chunks kept
   * how far), before anything is written: another list throws IdempotencyKeyReusedError.
   */
  completedEarlier: boolean;
  /** API calls planned: one per chunk. */
  apiCalls: number;
}

/** Which page of a send's recipients to read (see {@link Producer.recipientPage}). */
export interface RecipientPageRequest {
  /** The `next` of the previous page; absent: the first page. */
  cursor?: string;
  /** Recipients per page, 1..10000. Default 1000. */
  limit?: number;
}

/** A page of a send's recipients. */
export interface RecipientPage {
  recipients: RecipientState[];
  /** The cursor of the next page; null when this page is the last. */
  next: string | null;
}

export interface CampaignCallOptions {
  onProgress?: (p: CampaignProgress) => void;
  /** How refusals name the recipients' source: `recipients` (default), `file`, `(body)`. */
  sourceField?: string;
  /**
   * Stops the campaign when it aborts (Ctrl-C in `smsq campaign`; its reason, when a string such
   * as `SIGINT`, is named in the messages). Reading stops at once; the write in flight finishes;
   * once the send exists it is paused, the rows read are written into it and its enqueue is ended
   * (the repair sweep leaves it be): it holds what was read and goes on only if resumed. The call
   * then rejects with CampaignStoppedError (SMSQ_CAMPAIGN_STOPPED), naming the send and how many
   * it holds, or saying nothing was enqueued when the send did not exist yet. The source's read
   * left unanswered is not cancelled: give the source the same signal to close it. Default: none.
   */
  signal?: AbortSignal;
}

/**
 * The producer API. Requests are typed (a misspelt field is a compile error in TypeScript) and
 * checked again at run time, for JavaScript callers: a field a request does not have is refused
 * with a ValidationError naming it (and the field it was likely meant to be), nothing written.
 * After {@link Producer.close}, every call is refused with ProducerClosedError (SMSQ_PRODUCER_CLOSED).
 */
export interface Producer {
  /** One message to many numbers (SendSms chunks of ≤ 1000; verification codes one by one). */
  send(request: SendRequest): Promise<EnqueueResult>;
  /** Personalised messages (SendBatchSms chunks of ≤ 100). */
  sendBatch(request: SendBatchRequest): Promise<EnqueueResult>;
  /**
   * A large recipient list streamed in bounded memory: a stream (an async iterable, such as
   * `readRecipientsFile`) or an array or other iterable of recipients. Anything else is refused
   * with a ValidationError naming `recipients`, nothing written.
   */
  campaign(
    recipients: RecipientSource,
    request: CampaignRequest,
    opts?: CampaignCallOptions,
  ): Promise<EnqueueResult>;
  /** Reads a campaign's recipients and reports what it would enqueue, writing nothing. */
  planCampaign(recipients: RecipientSource, request: CampaignRequest, opts?: Pick<CampaignCallOptions, 'sourceField'>): Promise<EnqueueResult & { sendSmsCalls: number; sendBatchSmsCalls: number }>;
  /**
   * What `send` (or `sendBatch`) would answer a request whose idempotency key stands for the same
   * request enqueued in full: its send (`duplicate: true`), before any check that depends on the
   * time or on what Redis holds (a deadline now past, numbers opted out since, the account's
   * templates), which `planSend` makes. Undefined otherwise (no key, another request, an enqueue
   * not ended): plan and send it. Checks the request's own shape first; enqueues nothing.
   *
   * For a `campaign` (as `campaign` itself asks first), `recipients` are read to their end only
   * when the key stands for the same settings enqueued in full: the key stands for its list too, so
   * another list throws IdempotencyKeyReusedError naming `recipients`, nothing written. Left
   * unread otherwise, for the campaign to read.
   */
  repeatOf(call: 'send', request: SendRequest): Promise<EnqueueResult | undefined>;
  repeatOf(call: 'sendBatch', request: SendBatchRequest): Promise<EnqueueResult | undefined>;
  repeatOf(call: 'campaign', request: CampaignRequest, recipients: RecipientSource, opts?: Pick<CampaignCallOptions, 'sourceField' | 'signal'>): Promise<EnqueueResult | undefined>;
  /** The plan of a send without enqueueing anything (dry run / confirmation). */
  planSend(request: SendRequest): Promise<SendPlan>;
  planSendBatch(request: SendBatchRequest): Promise<SendPlan>;
  getStatus(sendId: string): Promise<SendStatus>;
  /**
   * Waits for a send to be `sent` (every recipient handed to Alibaba or final: receipts are not
   * waited for; the default) or `ended` (an end state, receipts included), looking at its status
   * every `pollMs`; `timeoutMs` or `signal` give up first, and `reached` then says false. After
   * {@link close} its next look throws ProducerClosedError. Bad options throw ValidationError.
   */
  waitFor(sendId: string, opts?: WaitForSendOptions): Promise<WaitForSendResult>;
  /**
   * Sends newest first, filtered by kind and state (a send state, or a control: paused,
   * cancelled), a page at a time: pass `next` back as `cursor` until it is null. A bad cursor,
   * state or limit throws ValidationError (field `cursor` / `state` / `limit`).
   */
  listSends(request?: SendListRequest): Promise<SendListPage>;
  /**
   * Stops new chunks of a send within a second; other traffic flows. Returns the new status. One
   * with nothing left to send (`sent` or `completed`) throws SendAlreadySentError
   * (SMSQ_SEND_ALREADY_SENT), as {@link cancel} does, and nothing is changed.
   */
  pause(sendId: string, reason?: string): Promise<SendStatus>;
  /** Continues a paused send where it stopped; no recipient is sent twice. */
  resume(sendId: string): Promise<SendStatus>;
  /**
   * Ends a send: its queued recipients become `cancelled`; chunks in flight finish. A send already
   * cancelled, expired or failed is left as it is. One with nothing left to send (`sent`, its
   * receipts being collected, or `completed`) throws SendAlreadySentError (SMSQ_SEND_ALREADY_SENT),
   * and nothing is changed: it goes on to its receipts.
   */
  cancel(sendId: string, reason?: string): Promise<SendStatus>;
  /** Every recipient of a send with its state, code, BizId, times and attempts (streamed). */
  recipients(sendId: string): AsyncGenerator<RecipientState>;
  /**
   * One page of a send's recipients, in the order {@link Producer.recipients} streams them, and the
   * cursor of the next page. A cursor names a place in that order, so recipients changing state
   * between pages are neither skipped nor repeated. A bad cursor or limit throws ValidationError
   * (field `cursor` / `limit`).
   */
  recipientPage(sendId: string, page?: RecipientPageRequest): Promise<RecipientPage>;
  /** A consumer of the events stream (every change of state) in a consumer group. */
  events(opts: { group: string; consumer: string; startAt?: '$' | '0' }): Promise<EventConsumer>;
  /**
   * Stops taking calls at once: every call made from now on is refused with ProducerClosedError
   * and writes nothing. Then waits for the calls already under way to end as they would have (a
   * send is acknowledged whole; a campaign reads its list to the end, however long that takes:
   * {@link closeWithin} bounds it), and closes the producer's queues. The Redis connection is the
   * caller's and stays open: close it once this resolves, and nothing of the producer needs it.
   * An iteration of {@link recipients} reads on that connection and is not waited for; the
   * {@link events} consumers it made are closed. With Redis down, the calls under way fail as they
   * would (RedisUnavailableError).
   */
  close(): Promise<void>;
  /**
   * {@link close}, giving up after `graceMs`: each campaign (and dry run) still reading its list is
   * then stopped as its `signal` would stop it, its reason `producer closed after its N ms grace`:
   * it stops reading, its send is paused holding the rows read, its enqueue is ended (the repair
   * sweep leaves it be), and the call rejects with CampaignStoppedError. A send or sendBatch under
   * way is never cut: it is waited for. Resolves false once those have ended, true when every call
   * ended within the grace. With Redis gone when the grace runs out (the connection not ready, or
   * lost while waiting) it resolves false at once, and with Redis silent (a PING unanswered for
   * SILENCE_AFTER_GRACE_MS: frozen, or cut off without a reset) once that is seen; the calls under
   * way fail (RedisUnavailableError, when their commands time out; a campaign's names its send and
   * the stop).
   */
  closeWithin(graceMs: number): Promise<boolean>;
}

/** What a producer does, before the gate, the count of calls in flight and close() are put around it. */
type ProducerCalls = Omit<Producer, 'close' | 'closeWithin' | 'waitFor'>;

const DAY = 86_400;
/** Chunks written (and their jobs added) per round trip: bounds one MULTI of `addBulk`. */
const ENQUEUE_BATCH = 500;

/** Every option of {@link ProducerOptions}: a name not here is a JavaScript caller's typo. */
const PRODUCER_OPTION_NAMES = Object.keys({
  redis: true, connectTimeoutMs: true, redactedRedisUrl: true, prefix: true, clock: true, logger: true, catalog: true, retention: true,
  retentionSeconds: true, idempotencyTtlSeconds: true, idempotencyWaitMs: true, idempotencyLeaseMs: true, callbacks: true, durability: true, waits: true, telemetry: true,
} satisfies Record<keyof ProducerOptions, true>);

/** The fields of {@link ProducerOptions.waits}. */
const WAITS_FIELDS = Object.keys({ quietHours: true, receiptWindowMs: true, receiptLookups: true } satisfies Record<keyof NonNullable<ProducerOptions['waits']>, true>);

/**
 * The options a producer cannot work with, one line each: a name it does not have (`prefx` wrote
 * every send under the default prefix, where the workers of `{smsq-staging}` never looked), a
 * prefix without a hash tag, a timeout that is no time, quiet hours of another shape.
 */
function producerOptionProblems(opts: ProducerOptions): string[] {
  const where = 'createProducer options';
  const none = optionsObjectLine(where, opts, "createProducer({ redis: createRedisConnection(url, { role: 'client' }) }) (both exported by smsq), with the prefix and durability of the workers if they are not the defaults");
  if (none !== undefined) return [none];
  return [
    ...unknownOptionLines(where, 'createProducer', opts, PRODUCER_OPTION_NAMES),
    ...[
      connectionLine(where, 'redis', opts.redis, 'client'),
      prefixLine(where, opts.prefix, 'workers'),
      positiveMsLine(where, 'connectTimeoutMs', opts.connectTimeoutMs, 'leave it out (5000 ms, as SMSQ_REDIS_CONNECT_TIMEOUT_MS) or give a number of ms, e.g. connectTimeoutMs: 5000'),
      quietHoursLine(where, 'waits.quietHours', opts.waits?.quietHours, false),
      // Renewed every third of it: a short lease is taken over from a caller still working whose
      // event loop stalled (a long GC pause) past it, and two requests then write one send.
      wholeNumberLine(where, 'idempotencyLeaseMs', opts.idempotencyLeaseMs, 3000, 3_600_000, 'leave it out (15000 ms) or give whole ms from 3000, e.g. idempotencyLeaseMs: 15000'),
      wholeNumberLine(where, 'idempotencyTtlSeconds', opts.idempotencyTtlSeconds, 1, MAX_RETENTION_SECONDS, `leave it out (${DAY}, a day) or give whole seconds from 1 to ${MAX_RETENTION_SECONDS}, e.g. idempotencyTtlSeconds: ${DAY}`),
      positiveMsLine(where, 'idempotencyWaitMs', opts.idempotencyWaitMs, 'leave it out (10000 ms) or give a number of ms, e.g. idempotencyWaitMs: 10000 (0: refuse a twin still enqueuing at once)', true),
      booleanLine(where, 'callbacks', opts.callbacks, 'leave it out (false) or give callbacks: true'),
      durabilityReplicasLine(where, opts.durability),
    ].filter((line): line is string => line !== undefined),
    ...retentionLines(where, opts),
    ...nestedOptionLines(where, 'waits', opts.waits, WAITS_FIELDS, "leave it out (the workers' defaults) or give { quietHours, receiptWindowMs, receiptLookups } as the workers have them", (field, value, named) =>
      field === 'receiptWindowMs' ? positiveMsLine(where, named, value, 'give the workers\' receipt window in ms, e.g. receiptWindowMs: 259200000 (72 h, SMSQ_RECEIPT_WINDOW_HOURS=72)') : undefined,
    ),
  ];
}

export function createProducer(opts: ProducerOptions): Producer {
  const problems = producerOptionProblems(opts);
  if (problems.length > 0) throw new ConfigError(problems);
  // Before anything is made on it: a connection that would send writes late is refused.
  checkProducerConnection(opts.redis, resolveDurability(opts.durability ?? DEFAULT_DURABILITY));
  const clock = opts.clock ?? systemClock;
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  /** Where a send is looked for, as a send not found names it. */
  const lookupPlace = { redisUrl: opts.redactedRedisUrl ?? describeRedis(opts.redis), prefix };
  const retention = resolveRetention(opts);
  const idempotencyTtlSeconds = opts.idempotencyTtlSeconds ?? DAY;
  const keys = createKeys(prefix);
  const gate = createRedisGate({ redis: opts.redis, timeoutMs: opts.connectTimeoutMs, redactedUrl: opts.redactedRedisUrl });
  // Connection errors reach callers as SMSQ_REDIS_UNAVAILABLE; anything else is logged once a minute.
  const errorLog = opts.logger ? createEmitterErrorLog({ logger: opts.logger.child({ component: 'producer' }), clock }) : undefined;
  const queue = createCallsQueue({ connection: opts.redis, prefix, onError: errorLog ? errorLog('calls queue') : () => {}, telemetry: opts.telemetry });
  // Status polls come many times a second (--wait, --watch, REST): the worker count is shared for a few seconds.
  const workersPresent = cachedWorkersSeen({ redis: opts.redis, prefix, queue, clock });
  const sends = createSendStore({ redis: opts.redis, keys, clock });
  const sendIndex = createSendIndex({ redis: opts.redis, keys, sends });
  const waits = {
    quietHours: DEFAULT_QUIET_HOURS,
    receiptWindowMs: DEFAULT_RECEIPT_SCHEDULE.windowMs,
    ...opts.waits,
    receiptLookups: opts.waits?.receiptLookups ?? DEFAULT_RECEIPT_POLICIES,
  };
  // Opened on the first callback this producer sends (a cancel, a send that ended while enqueuing).
  let housekeeping: Queue | undefined;
  const callbackQueue = () =>
    (housekeeping ??= createHousekeepingQueue({ connection: opts.redis, prefix, onError: errorLog ? errorLog('housekeeping queue') : () => {}, telemetry: opts.telemetry }));
  // close() waits for these, and closeWithin() stops the campaigns among them when its grace runs out.
  const calls = createCallsInFlight();

  /** Sends the callback of a send found in an end state first here (settle says so once per send), if it has a URL. */
  async function calledBackIfEnded(sendId: string): Promise<void> {
    const settled = await sends.settle(sendId);
    if (!settled?.announce) return;
    if (settled.callbackUrl) await addCallback(callbackQueue(), sendId);
    await sends.markAnnounced(sendId);
  }

  /**
   * An operator's move; throws NotFoundError for no such send. A move the send's state does not
   * have changes nothing (pausing a send already cancelled, say); some are errors, as the caller
   * asked for something that cannot happen: resuming a cancelled send (SendEndedError), and
   * pausing or cancelling one sent in full (SendAlreadySentError: nothing is left to stop, and a
   * pause answered as done read as if the send were held). The table (src/queue/lifecycle.ts) has
   * no pause or cancel from a state sent in full, so the move's script refused it: judged on the
   * state that script found, never on a read before it.
   */
  async function control(sendId: string, trigger: SendControlTrigger, reason: string) {
    const moved = await sends.setControl(sendId, trigger, reason);
    if (!moved) throw new SendNotFoundError(sendId, lookupPlace);
    if (trigger === 'resume' && moved.from === 'cancelled') throw new SendEndedError(sendId);
    if (trigger !== 'resume' && isSentInFull(moved.from) && !canFire(SEND_LIFECYCLE, trigger, moved.from)) throw new SendAlreadySentError(sendId, moved.from, trigger);
    return moved;
  }
  const chunks = createChunkStore({ redis: opts.redis, keys, clock });
  const recipientReader = { redis: opts.redis, keys, chunks, recipients: createRecipientStore({ redis: opts.redis, keys, clock, retentionSeconds: longestRetention(retention) }) };
  const enqueuer: Enqueuer = createEnqueuer({ keys, redis: opts.redis, queue, chunks, sends, retention, clock });
  const suppression = createSuppressionList({ redis: opts.redis, keys });
  const optOutCheck = createOptOutCheck(opts.redis, keys);
  const durability = opts.durability ?? DEFAULT_DURABILITY;
  // The server holding this deployment's keys: durability checks and WAIT go to it.
  const server = createNodeResolver(opts.redis, prefix);
  const barrier = createDurabilityBarrier(server, durability);
  const recheck = createDurabilityRecheck({ redis: opts.redis, server, durability, clock, logger: opts.logger });
  const idempotency = createIdempotency({ redis: opts.redis, keys, ttlSeconds: idempotencyTtlSeconds, waitMs: opts.idempotencyWaitMs, leaseMs: opts.idempotencyLeaseMs });
  const isEnqueued = async (sendId: string) => {
    const send = (await sends.status(sendId))?.send;
    if (!send) return false;
    // A send paused or cancelled while enqueuing may not have finished: only enqueuedAt says so
    // (a record without it is enqueued again, which its idempotent writes allow). This asks what
    // the send went through, not which trigger may fire next: the table cannot answer it.
    return send.enqueuedAt !== undefined || !['enqueuing', 'paused', 'cancelled'].includes(send.state);
  };

  /** Refuses a callbackUrl when this deployment cannot sign callbacks. */
  function checkCallback(request: unknown): void {
    const url = (request as { callbackUrl?: unknown } | null)?.callbackUrl;
    if (url !== undefined && !opts.callbacks) {
      throw new ValidationError([
        { field: 'callbackUrl', message: `callbacks are not enabled on this producer. Fix: turn them on for it (${mention('callbacks', true)}) and its workers, which sign them (${mention('callbackSecret')}), or drop callbackUrl` },
      ]);
    }
  }

  /** Wakes the jobs parked while a send was paused (they re-check its control at once). */
  const wakeParked = (sendId: string) => wakeParkedJobs({ redis: opts.redis, keys, queue }, sendId);

  /** The opted-out numbers among a marketing request's numbers (one round trip). */
  async function suppressedAmong(kind: unknown, raw: unknown[]): Promise<Set<string>> {
    if (kind !== 'marketing') return new Set();
    const phones = normalizePhones(raw.filter((p): p is string => typeof p === 'string')).valid;
    const flags = await suppression.check(phones);
    return new Set(phones.filter((_, i) => flags[i]));
  }
  const log = opts.logger?.child({ component: 'producer' });
  // The events consumers made by events(): close() ends them with the producer.
  const consumers = new Set<EventConsumer>();

  /** The account check (when there is a catalog): throws for a signature or template that cannot send, or not as `kind`. */
  async function rulesFor(signs: NamedSign[], templateCode: string, kind: MessageKind, numbers?: number): Promise<TemplateRules | undefined> {
    if (!opts.catalog) return undefined;
    const rules = await checkAccount(opts.catalog, signs, templateCode, log);
    const mismatch = rules && kindMismatch(rules, kind, numbers);
    if (mismatch) throw new ValidationError([{ field: 'kind', message: mismatch }]);
    return rules;
  }

  /** The distinct valid numbers, which only a send as verification is checked by (kindMismatch); 0 for the rest. */
  const numbersFor = (kind: MessageKind | undefined, phones: readonly string[]) => (kind === 'verification' ? normalizePhones([...phones]).valid.length : 0);

  /**
   * The account check, and the kind the send goes as: the one the request names, checked against
   * the template; or, when it names none, the template's ({@link kindOfTemplate}), else notification.
   */
  async function kindAndRules(signs: NamedSign[], templateCode: string, named: MessageKind | undefined, numbers: number): Promise<{ rules: TemplateRules | undefined; kind: MessageKind }> {
    if (named !== undefined) return { rules: await rulesFor(signs, templateCode, named, numbers), kind: named };
    if (!opts.catalog) return { rules: undefined, kind: DEFAULT_SEND_KIND };
    const rules = await checkAccount(opts.catalog, signs, templateCode, log);
    return { rules, kind: (rules && kindOfTemplate(rules.templateType)) ?? DEFAULT_SEND_KIND };
  }

  /** A campaign's deadline: in the future, and before its kind's records expire. */
  function checkCampaignDeadline(req: CampaignRequest & { deadline?: number }): void {
    // The campaign request's default kind is marketing (producers/schemas.ts).
    checkDeadline(req.deadline, clock.now(), { kind: req.kind ?? 'marketing', seconds: retention[req.kind ?? 'marketing'] });
  }

  /**
   * A campaign's settings against the account (signature and template, the shared params' names and
   * values), looked up only for a list whose first read gave rows: the campaign refuses any other
   * list with what its read said, and the look-ups would have written to Redis for nothing.
   */
  async function rulesIfRows(primed: PrimedSource, req: CampaignRequest & { signName: string; templateCode: string }): Promise<TemplateRules | undefined> {
    if (primed.first !== 'rows') return undefined;
    const rules = await rulesFor([{ field: 'signName', signName: req.signName }], req.templateCode, req.kind ?? 'marketing');
    if (rules && req.templateParam) {
      // Rows may bring the variables the shared params lack; anything else wrong with them is wrong for every row.
      const issues = sharedParamIssues(rules, req.templateParam, req.signName);
      if (issues.length) throw new ValidationError(issues);
    }
    return rules;
  }

  /** How a send whose enqueue was ended at the chunks written was cut short, by its code (send-cancel.ts). */
  const ENDED_SHORT_HOW: Partial<Record<string, string>> = {
    SMSQ_ENQUEUE_CUT_SHORT: 'it was cancelled before its enqueue ended',
    SMSQ_ENQUEUE_ABANDONED: 'its producer died before ending its enqueue (the repair sweep failed it as abandoned)',
  } satisfies Record<EndedShortCode, string>;

  /** A key's ended send that holds only part of its request is not that request done (IdempotencyKeyCutShortError). */
  async function refuseCutShort(idempotencyKey: string, sendId: string): Promise<void> {
    const marked = await idempotency.cutShort(idempotencyKey, sendId);
    const send = (await sends.status(sendId))?.send;
    // Cut short by a cancel, or failed as abandoned by the repair sweep, with its producer killed mid-list: no mark was left.
    const cutShort = marked ?? (send?.code === undefined ? undefined : ENDED_SHORT_HOW[send.code]);
    if (cutShort !== undefined && send) throw new IdempotencyKeyCutShortError(idempotencyKey, sendId, send.state, send.recipients, cutShort);
  }

  /**
   * Resolves the send id: a new one, or the one the idempotency key stands for. `owner` when this
   * call must enqueue it (then `release` once done, whatever happens), `completesEarlier` when that
   * send was begun by an earlier request that was cut off; not `owner` when its enqueue has ended
   * (a duplicate). A key that stands for another request body throws, and so does one whose
   * campaign was cut short: its send is not the request done.
   */
  async function resolveSendId(
    idempotencyKey: string | undefined,
    fingerprint: () => RequestFingerprint,
  ): Promise<{ sendId: string; owner: boolean; completesEarlier: boolean; release: () => Promise<void>; answer?: KeptAnswer }> {
    const fresh = newSendId(clock.now());
    const nothing = async () => {};
    if (!idempotencyKey) return { sendId: fresh, owner: true, completesEarlier: false, release: nothing };
    const claim = await idempotency.claim(idempotencyKey, fingerprint(), fresh, isEnqueued);
    if (claim.role === 'done') {
      await refuseCutShort(idempotencyKey, claim.sendId);
      return { sendId: claim.sendId, owner: false, completesEarlier: false, release: nothing, answer: claim.answer };
    }
    // Taken over: an earlier request with this key and body died half-way; finish its send.
    if (claim.takenOver) log?.warn({ sendId: claim.sendId }, 'idempotency key held by an unfinished enqueue; completing it');
    return { sendId: claim.sendId, owner: true, completesEarlier: claim.takenOver, release: () => claim.release() };
  }

  const fence = createDurabilityFence({ redis: opts.redis, key: keys.durabilityFence(), durability, clock });
  /**
   * An operator's move, answered only once it is as durable as an enqueue (design invariant 8): a
   * pause or cancel answered OK and then lost (a failover to a replica that lacked it, a power cut
   * under a Redis switched to appendfsync everysec) lets a send the operator stopped go on sending.
   * Confirmed and checked after its writes, so a refusal loses nothing: the move is applied on the
   * primary, and given again it changes nothing.
   */
  async function durableControl<T>(action: 'pause' | 'resume' | 'cancel', sendId: string, move: () => Promise<T>): Promise<T> {
    const since = await barrier.mark();
    const moved = await move();
    // A WAIT covers only what its connection wrote, and a move given again (a cancel of a send
    // already cancelled) writes nothing: without a write of its own it would be confirmed at once,
    // though the replicas may still lack the first one.
    await fence();
    const what = `${action} of send ${sendId}`;
    await barrier.confirm(what, since).catch((err: unknown) => {
      if (!(err instanceof NotDurableError)) throw err;
      throw new NotDurableError(what, `${err.detail}; it is applied, but a replica promoted now may lack it`, `${action} the send again once the replicas answer (INFO replication; or raise ${mention('durability.timeoutMs')}): given again it changes nothing`);
    });
    await recheck.ensure().catch((err: unknown) => {
      if (!(err instanceof RedisNotDurableError)) throw err;
      throw new RedisNotDurableError(err.mode, `${err.problems}. The ${what} is applied, but a host crash may lose it: give it again once Redis keeps the mode (given again it changes nothing)`);
    });
    return moved;
  }

  async function cancelSend(sendId: string, reason: string): Promise<{ from: string; to: string }> {
    const moved = await control(sendId, 'cancel', reason);
    const send = (await sends.status(sendId))?.send;
    // A send whose enqueue had not ended records no chunk count (a campaign writes it last): its
    // chunks are counted in Redis, and its enqueue ended there (its producer may write no more).
    if (send && isCutShort(send.state, send.enqueuedAt !== undefined)) await endCutShortEnqueue({ redis: opts.redis, keys, chunks, sends }, sendId);
    else await cancelQueuedChunks(chunks, sendId, send?.chunks ?? 0);
    await wakeParked(sendId);
    // Cancelled is an end state: its callback goes now, whatever its recipients still wait for.
    if (moved.from !== moved.to) await calledBackIfEnded(sendId);
    return moved;
  }

  /** A write refused because its send was cancelled meanwhile (chunk-store.ts), said with what the send holds. */
  async function cancelledWhileEnqueuing(err: SendCancelledError): Promise<SendCancelledError> {
    const send = (await sends.status(err.sendId).catch(() => undefined))?.send;
    return send ? new SendCancelledError(err.sendId, { recipients: send.recipients, reason: send.controlReason }) : err;
  }

  const withdrawal = createEnqueueWithdrawal({
    barrier,
    sends,
    log,
    cancelSend,
    durableControl,
    wakeParked,
    takenToApi: async (sendId) => recipientsTakenToApi({ redis: opts.redis, keys }, sendId, (await sends.status(sendId))?.send.chunks ?? 0),
  });

  function resultOf(sendId: string, plan: SendPlan, how: Pick<EnqueueResult, 'duplicate' | 'completedEarlier'>): EnqueueResult {
    return {
      sendId,
      ...how,
      recipients: plan.recipients,
      rejected: plan.rejected,
      rejectedCount: plan.rejected.length,
      duplicates: plan.duplicates,
      suppressed: plan.suppressed.length,
      chunks: plan.chunks.length,
      apiCalls: plan.apiCalls,
    };
  }

  /** A duplicate's answer from its send's record (undefined when the record is gone), its rejected rows not listed (they are counted). */
  async function recordedAnswer(sendId: string): Promise<EnqueueResult | undefined> {
    const existing = await sends.status(sendId);
    if (!existing) return undefined;
    return {
      sendId,
      duplicate: true,
      completedEarlier: false,
      recipients: existing.send.recipients,
      rejected: [],
      // Unrecorded only for a send ended at the chunks written, whose key resolveSendId refused.
      rejectedCount: existing.send.rejected ?? 0,
      duplicates: existing.send.duplicates ?? 0,
      suppressed: existing.counts.suppressed,
      chunks: existing.send.chunks,
      apiCalls: existing.send.chunks,
    };
  }

  /** What a key keeps of its request's answer: all but what the retry's answer says of itself. */
  function keptAnswerOf({ recipients, rejected, rejectedCount, duplicates, suppressed, chunks, apiCalls }: EnqueueResult): KeptAnswer {
    return { recipients, rejected, rejectedCount, duplicates, suppressed, chunks, apiCalls };
  }

  /**
   * Enqueues `plan`. `planAs(kind)` plans the same request as `kind`: a retry that takes over a
   * half-written send writes it as the first request did, whose kind may have come from the
   * template (or from an older producer's default), because the kind cuts the chunks (one number
   * per chunk for verification, 1000 otherwise): the same numbers cut two ways would be sent twice.
   */
  async function enqueuePlan(planned: SendPlan, fingerprint: () => RequestFingerprint, planAs: (kind: MessageKind) => Promise<SendPlan>): Promise<EnqueueResult> {
    let plan = planned;
    await recheck.ensure();
    const since = await barrier.mark();
    const { sendId, owner, completesEarlier, release, answer } = await resolveSendId(plan.idempotencyKey, fingerprint);
    // An earlier request with the same key and body, enqueued: return it, enqueue nothing, once it
    // is durable (its request may have died before confirming it), and live if it was withdrawn.
    if (!owner) {
      await withdrawal.answerEarlier(sendId, since, plan.idempotencyKey);
      if (answer) return { sendId, duplicate: true, completedEarlier: false, ...answer };
      // A key that kept no answer (marked by no version that kept one): the send's record says what
      // the first request sent, not this retry's plan (numbers opted out since are in it, and sent).
      // Its rejected numbers are not recorded, only counted: this plan lists the same body's.
      const recorded = await recordedAnswer(sendId);
      return recorded ? { ...recorded, rejected: plan.rejected } : resultOf(sendId, plan, { duplicate: true, completedEarlier: false });
    }
    try {
      const earlier = completesEarlier ? (await sends.status(sendId))?.send : undefined;
      if (earlier && earlier.kind !== plan.kind) {
        log?.warn({ sendId, kind: earlier.kind, planned: plan.kind }, 'completing a half-written send as the kind it was begun with');
        plan = await planAs(earlier.kind);
      }
      return await writePlan(sendId, plan, completesEarlier, since);
    } catch (err) {
      throw err instanceof SendCancelledError ? await cancelledWhileEnqueuing(err) : err;
    } finally {
      await release();
    }
  }

  /** Writes a planned send under `sendId`. Every write is idempotent, so a retry completes it (`completesEarlier`). */
  async function writePlan(sendId: string, plan: SendPlan, completesEarlier: boolean, since: WriteMark): Promise<EnqueueResult> {
    const record: SendRecord = {
      sendId,
      kind: plan.kind,
      api: plan.api,
      templateCode: plan.templateCode,
      signName: plan.signName,
      smsUpExtendCode: plan.smsUpExtendCode,
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
    // together, and the first jobs right behind them on the same connection, which Redis runs in
    // order: no worker finds a job before its chunk, and a verification code costs two round trips
    // (records and job, enqueued), not five. Were the records refused, a job sent with them finds
    // no chunk and fails; the send, never marked enqueued, is ended by the repair sweep.
    const first = plan.chunks.slice(0, ENQUEUE_BATCH);
    const records = Promise.all([
      enqueuer.createSend(record),
      enqueuer.recordSuppressed(sendId, plan.kind, plan.suppressed),
      enqueuer.recordRejected(sendId, plan.kind, plan.rejected),
      enqueuer.writeChunks(sendId, plan.kind, 0, first),
    ]);
    const jobs = enqueuer.addJobs(sendId, plan.kind, 0, first.length);
    // Awaited below, after the records: a rejection of both must not go unhandled.
    jobs.catch(() => undefined);
    await records;
    await jobs;
    for (let i = ENQUEUE_BATCH; i < plan.chunks.length; i += ENQUEUE_BATCH) {
      await enqueuer.addChunks(sendId, plan.kind, i, plan.chunks.slice(i, i + ENQUEUE_BATCH));
    }
    await enqueuer.finish(sendId);
    const result = resultOf(sendId, plan, { duplicate: false, completedEarlier: completesEarlier });
    // Before the confirmation, which then covers it: the key is the proof of the send once the send's records are gone.
    if (plan.idempotencyKey) await idempotency.markDone(plan.idempotencyKey, sendId, keptAnswerOf(result));
    await withdrawal.confirmOrWithdraw(sendId, since, plan.idempotencyKey);
    // Its recipients may all have ended while it was enqueuing: then nobody else calls it back.
    if (plan.callbackUrl) await calledBackIfEnded(sendId);
    log?.info({ sendId, kind: plan.kind, recipients: plan.recipients, rejected: plan.rejected.length, chunks: plan.chunks.length }, 'send enqueued');
    return result;
  }

  /** A request parsed at the door, a deadline's refusal giving an example dated by this producer's clock. */
  const parseRequest = <S extends z.ZodType>(schema: S, request: unknown, what: string): z.output<S> => {
    try {
      return parseNamingUnknownFields(schema, request, what);
    } catch (err) {
      throw withDatedDeadlineExample(err, clock.now());
    }
  };

  /**
   * The first answer of a request whose key marks its enqueue ended: a retry of a request that
   * went out is answered before the checks that depend on the time or on Redis's state, which it
   * may no longer pass (its deadline past, its numbers opted out since): refused with "nothing was
   * enqueued", it invited a resend under a new key. The request's own shape is checked first.
   */
  async function repeatOf(call: 'send' | 'sendBatch', request: unknown): Promise<EnqueueResult | undefined> {
    checkCallback(request);
    const asked = call === 'send' ? parseRequest(SendRequest, request, 'a send request') : parseRequest(SendBatchRequest, request, 'a batch request');
    if (asked.idempotencyKey === undefined) return undefined;
    refuseWithoutNumbers(call === 'send' ? 'phones' : 'messages', 'phones' in asked ? asked.phones : asked.messages.map((m) => m.phone));
    await recheck.ensure();
    const since = await barrier.mark();
    const done = await idempotency.ended(asked.idempotencyKey, requestFingerprint(call, request));
    if (!done?.answer) return undefined;
    await refuseCutShort(asked.idempotencyKey, done.sendId);
    await withdrawal.answerEarlier(done.sendId, since, asked.idempotencyKey);
    return { sendId: done.sendId, duplicate: true, completedEarlier: false, ...done.answer };
  }

  /**
   * A campaign's repeat, as {@link repeatOf} a send's, before its deadline is judged: its key marks
   * an ended enqueue of the same settings, and its list, read to its end, is the one the key kept
   * (another list is another request: refused, nothing written). The list is read only then.
   */
  async function campaignRepeatOf(recipients: AsyncIterable<CampaignRecipient>, request: unknown, signal: AbortSignal | undefined): Promise<EnqueueResult | undefined> {
    checkCallback(request);
    const req = parseRequest(CampaignRequest, request, 'a campaign request');
    if (req.idempotencyKey === undefined) return undefined;
    await recheck.ensure();
    const since = await barrier.mark();
    const fingerprint = requestFingerprint('campaign', request);
    const done = await idempotency.ended(req.idempotencyKey, fingerprint);
    if (!done?.answer) return undefined;
    const list = new ListDigest();
    await readIntoDigest(recipients, list, { signal, idempotencyKey: req.idempotencyKey });
    const rejected = await keptListRejected(req.idempotencyKey, done.sendId, list.digest(), fingerprint.defaultKind);
    await refuseCutShort(req.idempotencyKey, done.sendId);
    await withdrawal.answerEarlier(done.sendId, since, req.idempotencyKey);
    return { sendId: done.sendId, duplicate: true, completedEarlier: false, ...done.answer, rejected };
  }

  /**
   * The rejected rows the key kept with its send's list, once `digest` (the repeat's list) is that
   * list: another list is another request, refused naming `recipients`. A key kept by a version
   * before lists were kept has no rows to answer (rejectedCount still counts them) and no digest
   * to compare.
   */
  async function keptListRejected(key: string, sendId: string, digest: string | undefined, defaultKind: ReturnType<typeof requestFingerprint>['defaultKind']) {
    const first = await idempotency.listOf(key, sendId);
    if (first !== undefined && comparableDigest(first.digest) && first.digest !== digest) throw new IdempotencyKeyReusedError(key, ['recipients'], defaultKind);
    return first?.rejected ?? [];
  }

  const api: ProducerCalls = {
    repeatOf: (call: 'send' | 'sendBatch' | 'campaign', request: unknown, recipients?: RecipientSource, repeatOpts?: Pick<CampaignCallOptions, 'sourceField' | 'signal'>) =>
      call === 'campaign'
        ? campaignRepeatOf(campaignSource(recipients, repeatOpts?.sourceField ?? 'recipients'), request, withStop(repeatOpts?.signal, calls.signal))
        : repeatOf(call, request),
    async planSend(request) {
      checkCallback(request);
      const asked = parseRequest(SendRequest, request, 'a send request');
      checkDeadline(asked.deadline, clock.now());
      refuseWithoutNumbers('phones', asked.phones);
      // Before the account look-ups, which write to Redis (the catalog cache, the pacer's slots):
      // a request refused for Redis's settings leaves nothing in it. After the request's own faults.
      await recheck.ensure();
      const { rules, kind } = await kindAndRules([{ field: 'signName', signName: asked.signName }], asked.templateCode, asked.kind, numbersFor(asked.kind, asked.phones));
      checkDeadline(asked.deadline, clock.now(), { kind, seconds: retention[kind] });
      const req = { ...asked, kind };
      const suppressed = await suppressedAmong(kind, req.phones);
      const plan = planSend(req, { rules, isSuppressed: (p) => suppressed.has(p), now: clock.now(), quietHours: waits.quietHours });
      return plan;
    },
    async planSendBatch(request) {
      checkCallback(request);
      const asked = parseRequest(SendBatchRequest, request, 'a batch request');
      checkDeadline(asked.deadline, clock.now());
      refuseWithoutNumbers('messages', asked.messages.map((m) => m.phone));
      const signs = asked.messages.map((m, i) => ({ field: `messages[${i}].signName`, signName: m.signName }));
      await recheck.ensure(); // before the account look-ups, as planSend's
      const { rules, kind } = await kindAndRules(signs, asked.templateCode, asked.kind, numbersFor(asked.kind, asked.messages.map((m) => m.phone)));
      checkDeadline(asked.deadline, clock.now(), { kind, seconds: retention[kind] });
      const req = { ...asked, kind };
      const suppressed = await suppressedAmong(kind, req.messages.map((m) => m.phone));
      const plan = planSendBatch(req, { rules, isSuppressed: (p) => suppressed.has(p), now: clock.now(), quietHours: waits.quietHours });
      return plan;
    },
    async send(request) {
      const repeat = await repeatOf('send', request);
      if (repeat) return repeat;
      return enqueuePlan(
        await this.planSend(request),
        () => requestFingerprint('send', request),
        (kind) => this.planSend({ ...request, kind }),
      );
    },
    async sendBatch(request) {
      const repeat = await repeatOf('sendBatch', request);
      if (repeat) return repeat;
      return enqueuePlan(
        await this.planSendBatch(request),
        () => requestFingerprint('sendBatch', request),
        (kind) => this.planSendBatch({ ...request, kind }),
      );
    },

    async campaign(given, request, campaignOpts) {
      const recipients = campaignSource(given, campaignOpts?.sourceField ?? 'recipients');
      checkCallback(request);
      // The caller's signal, or closeWithin() when its grace runs out: either stops it the same way.
      // So does Redis ceasing to keep the durability mode while a long list streams: checked again
      // after each write (cached, so probed every 30 s at most: src/durability/recheck.ts).
      const durabilityLost = new AbortController();
      const signal = AbortSignal.any([withStop(campaignOpts?.signal, calls.signal), durabilityLost.signal]);
      let lostDurability: RedisNotDurableError | undefined;
      const recheckDurability = () =>
        void recheck.ensure().catch((err: unknown) => {
          // Redis not answering fails the writes themselves; a refusal stops the campaign, held.
          if (!(err instanceof RedisNotDurableError) || durabilityLost.signal.aborted) return;
          lostDurability = err;
          durabilityLost.abort(`Redis stopped keeping SMSQ_DURABILITY=${durability.mode}`);
        });
      // A retry of a campaign that went out, answered before its deadline is judged (the list is read only then).
      const repeat = await campaignRepeatOf(recipients, request, signal);
      if (repeat) return repeat;
      const req = parseRequest(CampaignRequest, request, 'a campaign request');
      checkCampaignDeadline(req);
      // Before the account look-ups, which write to Redis: a refusal for Redis's settings leaves nothing.
      await recheck.ensure();
      // And before them the list's first read: a list refused for itself (no file, no number column) leaves nothing either.
      const primed = await primeSource(recipients, signal);
      const { rules, since } = await closedIfThrows(primed, async () => ({ rules: await rulesIfRows(primed, req), since: await barrier.mark() }));
      let sendId = '';
      // A list streams for minutes: its writes stop once its connection was lost, as the server it
      // came back to may lack those made before (one-connection-enqueuer.ts).
      const writes = enqueuerOnOneConnection(enqueuer, () => {
        if (connectionLostSince(since)) throw connectionLostMidList(sendId, req.idempotencyKey);
      });
      let completedEarlier = false;
      let earlier: EnqueueResult | undefined;
      // Under a key the list is read into a digest: the key stands for it, not the settings alone.
      const list = req.idempotencyKey ? new ListDigest() : undefined;
      let release: () => Promise<void> = async () => {};
      // The send id (and idempotency key) is taken only once the source has yielded a valid
      // recipient: a source without one is refused with nothing written.
      const open = async (): Promise<string | undefined> => {
        const held = await resolveSendId(req.idempotencyKey, () => requestFingerprint('campaign', request));
        ({ sendId, completesEarlier: completedEarlier } = held);
        release = held.release;
        if (held.owner) return sendId;
        // Kept with the key when its enqueue ended: answered so even once the send's records are gone.
        if (held.answer) {
          earlier = { sendId, duplicate: true, completedEarlier: false, ...held.answer };
          return undefined;
        }
        earlier = await recordedAnswer(sendId);
        return earlier ? undefined : sendId;
      };
      let result: CampaignResult | undefined;
      let progress: CampaignProgress | undefined;
      try {
        result = await streamCampaign({
          open,
          sourceField: campaignOpts?.sourceField,
          request: req,
          recipients: primed.source,
          rules,
          enqueuer: writes,
          now: () => clock.now(),
          onProgress: (p) => {
            progress = p;
            campaignOpts?.onProgress?.(p);
            recheckDurability();
          },
          checkSuppressed: optOutCheck,
          // Taking over a send an earlier request with the key began: what it wrote stays as it is,
          // once this list is that request's as far as it read it (its writes kept how far, and its
          // whole list if it read it all), nothing written before: another list is another request.
          queuedBefore: async (id) => {
            if (!completedEarlier) return undefined;
            const [before, first] = await Promise.all([readQueuedBefore(opts.redis, keys, id), req.idempotencyKey ? idempotency.listOf(req.idempotencyKey, id) : undefined]);
            // A list kept by a version before its rows were counted is not compared, as that version did not.
            if (first?.rows !== undefined && comparableDigest(first.digest)) before.list.push({ rows: first.rows, digest: first.digest, whole: true });
            before.list.sort((x, y) => x.rows - y.rows || Number(x.whole ?? false) - Number(y.whole ?? false));
            return before;
          },
          otherList: () => new IdempotencyKeyReusedError(req.idempotencyKey as string, ['recipients'], requestFingerprint('campaign', request).defaultKind),
          list,
          wholeList: async (rejected) => {
            if (req.idempotencyKey && list) await idempotency.recordList(req.idempotencyKey, sendId, { digest: list.digest(), rows: list.count, rejected });
          },
          callbackUrl: req.callbackUrl,
          hold: async (id, reason) => {
            // Marked first: a retry under the key must never be answered with a send that holds part of its list.
            if (req.idempotencyKey) await idempotency.markCutShort(req.idempotencyKey, id, reason);
            await control(id, 'pause', reason);
            log?.warn({ sendId: id, reason }, 'send paused');
          },
          signal,
        });
        // Before the confirmation, which covers it; its rejected rows are kept with its list (recordList).
        if (result !== undefined && req.idempotencyKey) await idempotency.markDone(req.idempotencyKey, sendId, { ...result, rejected: [], apiCalls: result.chunks });
        if (result !== undefined) await withdrawal.confirmOrWithdraw(sendId, since, req.idempotencyKey);
        // An earlier request cut this send short and this one wrote the whole list into it: the key stands for it whole again.
        if (result !== undefined && completedEarlier && req.idempotencyKey) await idempotency.clearCutShort(req.idempotencyKey);
        if (result !== undefined && req.callbackUrl) await calledBackIfEnded(sendId);
      } catch (err) {
        // A send held part-way (its list broke, or it was stopped): what it says was enqueued must
        // be durable as any enqueue is, before it is said.
        const held = err instanceof ListInterruptedError || (err instanceof CampaignStoppedError && err.sendId !== undefined);
        if (held) await withdrawal.confirmOrWithdraw(sendId, since, req.idempotencyKey, 'cancel');
        // Cancelled while it was written: the cancel ended its enqueue, and said so, with what it holds.
        if (err instanceof SendCancelledError) throw await cancelledWhileEnqueuing(err);
        // Stopped because Redis no longer keeps the mode: said as that, with the send it holds.
        if (lostDurability && err instanceof CampaignStoppedError) throw new RedisNotDurableError(lostDurability.mode, lostDurability.problems, err.stopped);
        // Once its send exists, part of it may be queued (and sent), even before a write was
        // confirmed: the gate says so if Redis went away, with the send (and the stop, if one was under way).
        if (sendId !== '' && earlier === undefined && !held && !(err instanceof CampaignStoppedError)) {
          const stopping = signal.aborted ? (stopReasonOf(signal) ?? 'its AbortSignal') : undefined;
          throw new CampaignCutOff({ sendId, written: progress?.written ?? 0, idempotencyKey: req.idempotencyKey, ...(stopping ? { stopping } : {}) }, err);
        }
        throw err;
      } finally {
        // With Redis gone the lease cannot be let go: it expires by itself, and the error above is what the caller must see.
        await release().catch((err: unknown) => log?.warn({ sendId, err: (err as Error).message }, 'idempotency lease not released; it expires by itself'));
      }
      if (result === undefined) {
        // Before anything is done for the earlier send (answerEarlier may resume it): another list is another request.
        const rejected = req.idempotencyKey ? await keptListRejected(req.idempotencyKey, sendId, list?.digest(), requestFingerprint('campaign', request).defaultKind) : [];
        await withdrawal.answerEarlier(sendId, since, req.idempotencyKey);
        return { ...(earlier as EnqueueResult), rejected };
      }
      log?.info({ sendId, recipients: result.recipients, rejected: result.rejectedCount, chunks: result.chunks }, 'campaign enqueued');
      return { sendId, duplicate: false, completedEarlier, ...result, apiCalls: result.chunks };
    },

    async planCampaign(given, request, planOpts) {
      const recipients = campaignSource(given, planOpts?.sourceField ?? 'recipients');
      const req = parseRequest(CampaignRequest, request, 'a campaign request');
      const counting = createCountingEnqueuer();
      checkCampaignDeadline(req);
      await recheck.ensure(); // before the list's first read and the account look-ups, as a campaign's
      const primed = await primeSource(recipients, calls.signal);
      const rules = await closedIfThrows(primed, () => rulesIfRows(primed, req));
      const result = await streamCampaign({
        open: async () => 'dry-run',
        sourceField: planOpts?.sourceField,
        request: req,
        recipients: primed.source,
        rules,
        enqueuer: counting,
        now: () => clock.now(),
        checkSuppressed: optOutCheck,
        // A long list's dry run is stopped too when closeWithin()'s grace runs out (it wrote nothing).
        signal: calls.signal,
      });
      if (result === undefined) throw new Error('a dry run always opens its send');
      return {
        sendId: 'dry-run',
        duplicate: false,
        completedEarlier: false,
        ...result,
        apiCalls: result.chunks,
        sendSmsCalls: counting.calls.SendSms,
        sendBatchSmsCalls: counting.calls.SendBatchSms,
      };
    },

    async getStatus(sendId) {
      // Redis's time, asked beside the send's record (the same round trip): the workers' words read
      // below are judged at it, as their clocks are kept near it and this asker's may be off.
      const redisNow = redisNowMs(opts.redis);
      redisNow.catch(() => {});
      const status = await sends.status(sendId);
      if (!status) throw new SendNotFoundError(sendId, lookupPlace);
      if (isSendEnded(status.send.state)) return status;
      const atMs = await redisNow;
      const now = clock.now();
      // Workers are asked about only for a send that waits on them (one ZCOUNT, CLIENT LIST when no worker beats).
      const unsent = status.counts.queued + status.counts.sending + status.counts.unknown > 0;
      const active = unsent && status.send.state === 'active';
      // Its chunks are walked only when nothing else of it is in flight: then its queued ones may all wait for flow control.
      const onlyQueued = active && status.counts.queued > 0 && status.counts.sending + status.counts.unknown === 0;
      // Past the API and waiting for receipts, a sampled kind's are counted: which are looked up, which wait for a pushed report only.
      const policy = waits.receiptLookups[status.send.kind];
      const sampledReceipts = !unsent && status.counts.accepted > 0 && lookupReach(policy) === 'some';
      // Receipts the workers look up wait for a worker too: asked about then, as for a send left to send.
      const lookingUp = !unsent && status.counts.accepted > 0 && lookupReach(policy) !== 'none';
      // Its chunk records are read once for both the flow-control wait and its stranded chunks.
      const walked = active ? readStatusChunks(opts.redis, keys, sendId, status.send.chunks) : undefined;
      const [shared, workers, flowControlRetryAt, lostCalls, lookedUpPending, stranded] = await Promise.all([
        readWaitFacts(opts.redis, keys, atMs),
        active || lookingUp ? workersPresent(atMs).catch(() => undefined) : undefined,
        onlyQueued ? walked?.then((chunks) => flowControlRetryOf(chunks, atMs)) : undefined,
        // Its chunks in flight may have lost their worker: asked of the active jobs only when some are `sending`.
        active && status.counts.sending > 0 ? readLostCalls(opts.redis, keys, sendId) : undefined,
        sampledReceipts ? readLookedUpPending(opts.redis, keys, status.send, policy) : undefined,
        // Its unsent chunks may have been left by a job BullMQ failed without smsq's handler, or with none.
        active ? walked?.then((chunks) => readStrandedChunks(opts.redis, keys, status.send, atMs, chunks)) : undefined,
      ]);
      const wait = sendWait(status, { now, redisNow: atMs, ...waits, ...shared, workers, flowControlRetryAt, ...(lostCalls ? { lostCalls } : {}), ...(stranded ? { stranded } : {}), lookedUpPending });
      const pace = sendPace(status, now, wait, workers);
      return { ...status, ...(wait ? { wait } : {}), ...(pace ? { pace } : {}) };
    },

    listSends(request) {
      return sendIndex.list(request);
    },

    // Each logs only what it changed: pausing a send already paused, or cancelling one already
    // cancelled, changes nothing and says nothing happened.
    async pause(sendId, reason = OPERATOR_PAUSE_REASON) {
      const moved = await durableControl('pause', sendId, () => control(sendId, 'pause', reason));
      if (moved.from !== moved.to) log?.warn({ sendId, reason }, 'send paused');
      return this.getStatus(sendId);
    },

    async resume(sendId) {
      const moved = await durableControl('resume', sendId, async () => {
        const moved = await control(sendId, 'resume', 'resumed by an operator');
        // Forget the failures that caused an auto-pause, so it does not trip again at once.
        await opts.redis.del(keys.sendOutcomes(sendId));
        await wakeParked(sendId);
        return moved;
      });
      if (moved.from !== moved.to) log?.info({ sendId }, 'send resumed');
      return this.getStatus(sendId);
    },

    async cancel(sendId, reason = 'cancelled by an operator') {
      const moved = await durableControl('cancel', sendId, () => cancelSend(sendId, reason));
      if (moved.from !== moved.to) log?.warn({ sendId, reason }, 'send cancelled');
      return this.getStatus(sendId);
    },

    async *recipients(sendId) {
      const status = await sends.status(sendId);
      if (!status) throw new SendNotFoundError(sendId, lookupPlace);
      yield* sendRecipients(recipientReader, sendShapeOf(status));
    },

    async recipientPage(sendId, page = {}) {
      const limit = page.limit ?? DEFAULT_RECIPIENT_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECIPIENT_PAGE) {
        throw new ValidationError([{ field: 'limit', message: `must be a whole number from 1 to ${MAX_RECIPIENT_PAGE}` }]);
      }
      const from = page.cursor === undefined ? FIRST_RECIPIENT : decodeRecipientCursor(sendId, page.cursor);
      const status = await sends.status(sendId);
      if (!status) throw new SendNotFoundError(sendId, lookupPlace);
      const read = await readRecipientPage(recipientReader, sendShapeOf(status), from, limit);
      return { recipients: read.recipients, next: read.next ? encodeRecipientCursor(sendId, read.next) : null };
    },

    async events({ group, consumer: name, startAt }) {
      const consumer = await createEventConsumer({ redis: opts.redis, keys, group, consumer: name, startAt });
      consumers.add(consumer);
      return {
        ...consumer,
        close() {
          consumers.delete(consumer);
          return consumer.close();
        },
      };
    },
  };
  // The queues share the caller's connection: BullMQ leaves a connection it was given open.
  const closeQueues = async () => {
    recheck.close();
    await Promise.all([...consumers].map((consumer) => consumer.close()));
    await Promise.all([queue.close(), housekeeping?.close()]);
  };
  return guarded(api, { gate, calls, closeQueues, redis: opts.redis, log });
}

interface GuardDeps {
  gate: ReturnType<typeof createRedisGate>;
  calls: CallsInFlight;
  /** The last step of close(), once no call is under way. */
  closeQueues: () => Promise<void>;
  redis: RedisConnection;
  log: Logger | undefined;
}

/**
 * Every call of `api` behind the Redis gate (it fails within the connect timeout with
 * SMSQ_REDIS_UNAVAILABLE when Redis does not answer), counted while under way, and close(). Methods
 * call each other through `this`, which stays `api`, so a call passes the gate, and is counted, once.
 */
function guarded(api: ProducerCalls, { gate, calls, closeQueues, redis, log }: GuardDeps): Producer {
  // Closed is closed: a call after close() would write through a queue being shut (it enqueued).
  let closed = false;
  let closing: Promise<void> | undefined;
  const run = <T>(call: string, fn: () => Promise<T>) => (closed ? Promise.reject(new ProducerClosedError(call)) : calls.track(gate.run(fn)));
  // A call that only reads changed nothing: its failure says so, not to retry under an idempotency
  // key; a plan (a dry run) enqueued nothing, as a send refused before its first write says.
  const asRead = (err: unknown) => (err instanceof RedisUnavailableError || err instanceof RedisWritesRefusedError ? err.asRead() : err);
  const asPlan = (err: unknown) => (err instanceof RedisUnavailableError && err.midCall ? new RedisUnavailableError(err.redactedUrl, err.reason, err.cause) : err);
  const said = (as: (err: unknown) => unknown) => <T>(call: string, fn: () => Promise<T>) =>
    run(call, fn).catch((err: unknown) => {
      throw as(err);
    });
  const read = said(asRead);
  const plan = said(asPlan);
  // A control enqueues nothing and takes no idempotency key: its failure says whether it was applied.
  const control = (action: ControlOfSend['action'], sendId: string, fn: () => Promise<SendStatus>) =>
    said((err) => (err instanceof RedisUnavailableError || err instanceof RedisWritesRefusedError ? err.asControl({ action, sendId }) : err))(action, fn);
  const close = () => {
    closed = true;
    closing ??= calls.idle().then(closeQueues);
    return closing;
  };
  return {
    repeatOf: (call: 'send' | 'sendBatch' | 'campaign', request: SendRequest | SendBatchRequest | CampaignRequest, recipients?: RecipientSource, repeatOpts?: Pick<CampaignCallOptions, 'sourceField' | 'signal'>) =>
      run('repeatOf', () => api.repeatOf(call as 'campaign', request as CampaignRequest, recipients as RecipientSource, repeatOpts)),
    planSend: (request) => plan('planSend', () => api.planSend(request)),
    planSendBatch: (request) => plan('planSendBatch', () => api.planSendBatch(request)),
    send: (request) => run('send', () => api.send(request)),
    sendBatch: (request) => run('sendBatch', () => api.sendBatch(request)),
    campaign: (recipients, request, campaignOpts) => run('campaign', () => api.campaign(recipients, request, campaignOpts)),
    planCampaign: (recipients, request, planOpts) => plan('planCampaign', () => api.planCampaign(recipients, request, planOpts)),
    getStatus: (sendId) => read('getStatus', () => api.getStatus(sendId)),
    // Each look is a call of its own: close() does not wait for the whole wait, and stops it.
    waitFor: (sendId, waitOpts) => waitForSend((id) => read('waitFor', () => api.getStatus(id)), sendId, waitOpts),
    listSends: (request) => read('listSends', () => api.listSends(request)),
    recipientPage: (sendId, page) => read('recipientPage', () => api.recipientPage(sendId, page)),
    pause: (sendId, reason) => control('pause', sendId, () => api.pause(sendId, reason)),
    resume: (sendId) => control('resume', sendId, () => api.resume(sendId)),
    cancel: (sendId, reason) => control('cancel', sendId, () => api.cancel(sendId, reason)),
    async *recipients(sendId) {
      if (closed) throw new ProducerClosedError('recipients');
      await gate.ready();
      try {
        yield* api.recipients(sendId);
      } catch (err) {
        throw asRead(gate.translate(err, true));
      }
    },
    async events(eventOpts) {
      // Making a consumer enqueues nothing and takes no idempotency key: said as the task it is.
      const task: OutageTask = { name: `creation of the events consumer ${eventOpts.consumer} of group ${eventOpts.group}`, again: 'call events() again', second: 'a second call' };
      const consumer = await run('events', () => api.events(eventOpts)).catch((err: unknown) => {
        if (err instanceof RedisUnavailableError) throw err.asTask(task);
        // A refused write (XGROUP CREATE) made nothing: said of the consumer, not of an enqueue.
        throw err instanceof RedisWritesRefusedError ? err.saying(`the ${task.name} was not done: nothing was changed`) : err;
      });
      // Its calls fail as the producer's reads do (SMSQ_REDIS_UNAVAILABLE naming REDIS_URL), not with
      // ioredis's error; an ack is said to have changed nothing too, as acking again is harmless.
      const said = <T>(p: Promise<T>) =>
        p.catch((err: unknown) => {
          throw asRead(gate.translate(err));
        });
      return { ...consumer, read: (o) => said(consumer.read(o)), pending: (o) => said(consumer.pending(o)), ack: (ids) => said(consumer.ack(ids)) };
    },
    close,
    async closeWithin(graceMs) {
      const graceful = close();
      if (await finishedWithin(graceful, graceMs)) return true;
      log?.warn({ graceMs, callsInFlight: calls.count() }, 'grace period over: stopping the campaigns in flight (each is held paused with the rows it read); the sends in flight are waited for');
      calls.stop(`producer closed after its ${graceMs} ms grace`);
      // The stops' writes need Redis: with it gone they fail, and nothing is gained by waiting here.
      // Nor with it silent (frozen, cut off without a reset): its connection stays ready, and the
      // writes would be waited for until the command timeout failed them, past the grace given.
      const silent = whenRedisSilent(redis);
      try {
        await Promise.race([graceful, silent.promise]);
      } finally {
        silent.dispose();
      }
      return false;
    },
  };
}

/**
 * A campaign that stopped writing because its connection was lost part-way through its list (in
 * the WAIT modes): the server it came back to may be a replica promoted while it lagged, which
 * lacks the send's record, its key and its last chunks.
 */
function connectionLostMidList(sendId: string, idempotencyKey: string | undefined): NotDurableError {
  const see = `smsq status ${sendId} --recipients shows what that server holds of it (SMSQ_NOT_FOUND: none of it)`;
  return new NotDurableError(
    `campaign send ${sendId}`,
    'the connection to Redis was lost part-way through its list, and the server it came back to may lack what was written before (a replica promoted while it lagged), so nothing more of it was written',
    idempotencyKey === undefined
      ? `${see}; send the rest as a new campaign, with an idempotency key so that a retry completes it`
      : `once Redis answers, make the same request with the same idempotency key (${idempotencyKey}): it completes send ${sendId} if that server has it, or enqueues the list anew if not, never twice`,
  );
}
