import { rankingKind, type MessageKind } from '../src/queue/kinds.js';
import { longestRetention, resolveRetention } from '../src/queue/retention.js';
import type { LookupFunction } from 'node:net';
import { UnrecoverableError, Worker, type Job, type Telemetry } from 'bullmq';
import type { z } from 'zod';
import { watchRedis, type RedisWatch } from '../src/queue/redis-watch.js';
import { connectTimeoutOf, createNodeResolver, describeRedis, isCluster, type RedisConnection } from '../src/queue/connection.js';
import { authRefusedError } from '../src/queue/redis-errors.js';
import { confirmDatabase } from '../src/queue/redis-database.js';
import { systemClock, type Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import { createCallsQueue, createHousekeepingQueue, JOB_RETENTION, writeQueueMeta } from '../src/queue/calls-queue.js';
import { createChunkStore, type ChunkRecord } from '../src/queue/chunk-store.js';
import { canFire, CHUNK_LIFECYCLE, isUnsent } from '../src/queue/lifecycle.js';
import { DEFAULT_FLOW_CONTROL_POLICY, type FlowControlPolicy } from '../src/queue/flow-control-policy.js';
import { chunkOfJob as chunkOfJobId, JOB, ReceiptJobData, ReconcileJobData, SendJobData } from '../src/queue/job-schemas.js';
import { CALLS_QUEUE, createKeys, DEFAULT_PREFIX, HOUSEKEEPING_QUEUE } from '../src/queue/keys.js';
import { DEFAULT_QUIET_HOURS, type QuietHours } from '../src/queue/quiet-hours.js';
import { planRateWindow, type RateWindow } from '../src/queue/rate-window.js';
import { createCallPacer, PACER_REACH_MS } from '../src/queue/call-pacer.js';
import { createSendStore } from '../src/queue/send-store.js';
import { completionSends, createCompletion } from '../src/receipts/completion.js';
import {
  DEFAULT_RECEIPT_POLICIES,
  DEFAULT_RECEIPT_SCHEDULE,
  windowSweepMs,
  type ReceiptPolicies,
  type ReceiptSchedule,
} from '../src/queue/receipt-policy.js';
import { createRecipientStore } from '../src/receipts/recipient-store.js';
import { createWindowExpiry } from '../src/receipts/window-expiry.js';
import { createWindowSweep } from '../src/receipts/window-sweep.js';
import type { SmsClient } from '../src/sms/types.js';
import { whenClientLoaded } from '../src/sms/client.js';
import { instrumentSmsClient, type CallMetricsRecorder } from '../src/metrics/call-metrics.js';
import { indexUnknownOutcomes } from '../src/metrics/unknown-outcomes.js';
import { createAccountGuard, type AccountGuard } from './account-guard.js';
import { thisWorker } from '../src/queue/account-block.js';
import { createFollowUps, lookupBackoffStrategy, type ReconcileTiming } from '../src/queue/follow-ups.js';
import { callDeadlineProblem, claimHoldProblem, clockSkewMarginMs, defaultCallDeadlineMs, type ClaimHoldWords } from '../src/queue/call-deadline.js';
import { ConfigError } from '../src/errors.js';
import { mention } from '../src/setting-mention.js';
import { ACCOUNT_QPS_CAP, booleanLine, connectionLine, loggerLine, MAX_ACCOUNT_RECHECK_MS, MAX_AUTOPAUSE_WINDOW, MAX_CONCURRENCY, nestedOptionLines, optionsObjectLine, positiveMsLine, prefixLine, quietHoursLine, retentionLines, shown, smsClientLine, unknownOptionLines, wholeNumberLine } from '../src/factory-options.js';
import { createCallbackPoster } from './callback-post.js';
import { createHousekeepingProcessor, retryCallbacksFailedForSecret } from './housekeeping-processor.js';
import { lookupSettles } from './lookups.js';
import { failedAtStartLimit, failedWithTriesSpent, lookUpReceiptsAnew, reconcileAnew } from './lookup-start-limit.js';
import { createReceiptProcessor } from './receipt-processor.js';
import { createReconcileProcessor } from './reconcile-processor.js';
import { createSendProcessor } from './send-processor.js';
import { createThrottleWarnings } from './throttle-warnings.js';
import { createDurabilityBarrier } from '../src/durability/barrier.js';
import { confirmationWaitMs, DEFAULT_DURABILITY, DURABILITY_RECHECK_MS, durabilityReplicasLine, resolveDurability, usesWait, type DurabilityOptions, type ResolvedDurability } from '../src/durability/mode.js';
import { checkRedisDurability } from '../src/durability/check.js';
import { confirmedByWatch, createDurabilityWatch } from '../src/durability/watch.js';
import { finishedWithin } from '../src/finished-within.js';
import { createClaimJournal } from './claim-journal.js';
import { chunksLeftSending, createClaimsOutstanding, graceOverLeftText, outstandingChunkFields, type OutstandingChunk, type OutstandingClaims } from './claims-outstanding.js';
import { createRollbackRecovery, type RollbackRecovery } from './rollback-recovery.js';
import { endForeignAttempt } from '../src/repair/foreign-attempt.js';
import { createLeaderLease } from '../src/repair/leader-lease.js';
import { createOrphanSweep } from '../src/repair/orphan-sweep.js';
import { createRepairSchedule, type RepairSchedule } from '../src/repair/repair-schedule.js';
import { createEmitterErrorLog, type EmitterErrorLog } from '../src/queue/emitter-errors.js';
import { adviseRedisMemory } from '../src/queue/redis-memory-advice.js';
import { createWorkerSettingsAnnouncer } from '../src/queue/worker-settings.js';
import { createClockSkewCheck } from '../src/queue/clock-skew-check.js';
import { CLOCK_SKEW_WARN_MAX_MS, CLOCK_SKEW_WARN_MIN_MS, DEFAULT_CLOCK_SKEW_WARN_MS } from '../src/clock-skew.js';
import { createEndpointBackoffAnnouncer } from '../src/queue/endpoint-backoffs.js';
import { newWorkerId } from '../src/queue/worker-words.js';
import { createDurabilityHoldAnnouncer } from '../src/queue/durability-holds.js';
import { createThrottleLog } from '../src/queue/throttle-log.js';
import { STALLED_CHECK_MS } from '../src/queue/lost-calls.js';
import { createStoppableStart, STOPPED } from './stoppable-start.js';
import { createHeldJobs } from './held-jobs.js';
import { createRedisRefusals } from './redis-refusals.js';
import { createIntakeHolds } from './intake-holds.js';
import { createEndpointBackoff, watchEndpoint, type EndpointBackoffSettings } from './endpoint-backoff.js';
import { createPauseNotice } from './pause-notice.js';
import { setMaxListeners } from 'node:events';

export interface SmsWorkerOptions {
  /**
   * A BullMQ-ready connection (`maxRetriesPerRequest: null`); the worker duplicates it for blocking
   * calls. Best made with `createRedisConnection(url, { role: 'worker' })`: its disconnect() ends it
   * while Redis is down too, which {@link SmsWorker.close} with a job in hand relies on.
   */
  connection: RedisConnection;
  client: SmsClient;
  logger: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** Key prefix with a hash tag; must match the producers'. Default `{smsq}`. */
  prefix?: string;
  /** Account-wide cap on Dysmsapi calls per second, all workers together (SMS_QPS). */
  qps: number;
  /**
   * How the cap is kept. `pacer` (default): every call takes a slot from one Redis clock right
   * before it is made, and BullMQ's global limit (2 × qps a second) only keeps job starts and the
   * throttle pause in hand. `window`: BullMQ's fixed window alone (see rate-window.ts).
   */
  rateLimiting?: 'pacer' | 'window';
  /**
   * With the pacer: the depth (ms) of its `bulk` lane (marketing, look-ups), how far ahead of now
   * this process's bulk reservations may reach; a verification code waits behind it. Default 10
   * (docs/rate-limiting.md; `bench/pacer-depth.ts` measures another depth against it).
   */
  pacerBulkDepthMs?: number;
  /** Jobs in flight in this process (each one HTTP call). Default 64. */
  concurrency?: number;
  /** The client's read timeout; the first reconcile look waits for it. */
  readTimeoutMs: number;
  /** The client's connect timeout; the settling window must cover it (call-deadline.ts). Default: readTimeoutMs. */
  connectTimeoutMs?: number;
  /** Reconcile timing; defaults from readTimeoutMs (see ReconcileTiming). */
  reconcile?: Partial<ReconcileTiming>;
  /** Per kind, the windows to wait for after per-number flow control. */
  flowControlPolicy?: FlowControlPolicy;
  /** Retries after a flow-control window are spread over this many ms. Default 5000. */
  flowControlSpreadMs?: number;
  /** Auto-resume after an account block (0 = only `smsq resume`). Default 5 min. */
  accountRecheckMs?: number;
  /** Lifetime of each kind's records that workers create (split chunks, auto-pause outcomes), seconds; default src/queue/retention.ts. */
  retention?: Partial<Record<MessageKind, number>>;
  /** Every kind's records live this long (seconds), unless `retention` names the kind. */
  retentionSeconds?: number;
  /**
   * Starts of one job BullMQ allows before it fails it for good (its `maxStartedAttempts`): the guard
   * against a job re-queued for ever by throttling or an account block. A send job at the limit fails
   * its queued chunk (SMSQ_GAVE_UP); a look-up job at it is made anew after a back-off
   * (lookup-start-limit.ts). Default {@link DEFAULT_MAX_STARTED_ATTEMPTS}.
   */
  maxStartedAttempts?: number;
  /** How often BullMQ looks for jobs of dead workers (ms). Default {@link STALLED_CHECK_MS}. */
  stalledIntervalMs?: number;
  /** Lock on an active job; a worker silent this long is presumed dead (ms). Default 30000. */
  lockDurationMs?: number;
  /** Per kind: look every recipient up, a sample, or none (pushed reports). */
  receiptPolicies?: ReceiptPolicies;
  /** When receipt look-ups happen and when the receipt window ends. */
  receiptSchedule?: ReceiptSchedule;
  /**
   * Compact a send once it is finished and nothing more can arrive for it (send-store.ts
   * `compact`; docs/operations.md "Redis settings"). Default true; false keeps every record as it was.
   */
  compactFinished?: boolean;
  /**
   * Signs callback bodies; the producers' value (SMSQ_CALLBACK_SECRET). Without it, each callback
   * this worker takes waits for a worker with it (no attempt used), and it warns at start if callbacks wait.
   */
  callbackSecret?: string;
  /**
   * Resolves a callback URL's host name (default dns.lookup). Every address it answers is checked:
   * a name resolving to a link-local or cloud metadata address is not called (src/callback-address.ts).
   */
  resolveCallbackHost?: LookupFunction;
  /**
   * Marketing quiet hours (China time): no marketing SMS inside this daily window. Default
   * {@link DEFAULT_QUIET_HOURS} (21:00–08:00), as `smsq worker`; `null` = none (SMSQ_QUIET_HOURS=off).
   */
  quietHours?: QuietHours | null;
  /**
   * Warn when this worker's clock is further than this from Redis's (ms): its Lua scripts take the
   * time from it (src/clock-skew.ts says where an offset counts). Default 1000 (DEFAULT_CLOCK_SKEW_WARN_MS of src/clock-skew.ts),
   * as SMSQ_CLOCK_SKEW_WARN_MS; 100..3600000, else `ConfigError`.
   */
  clockSkewWarnMs?: number;
  /** Auto-pause a send when more than `failureRatio` of its last `window` chunks failed; `null` = off. Default 20 chunks, 0.5. */
  autoPause?: { window: number; failureRatio: number } | null;
  /**
   * How often a marketing job held by the quiet hours re-checks, at most (ms; at least 10). Default
   * 60000. A re-check spends none of the job's starts (`maxStartedAttempts`).
   */
  recheckMs?: number;
  /**
   * How long a job of a paused send stays parked at most when nothing wakes it (ms; 10..86400000).
   * Default {@link DEFAULT_PARK_MS}. A resume, cancel or failure of the send wakes its parked
   * jobs at once and its deadline ends their wait, so this bounds only a wake that was missed (the
   * process that resumed it died before waking them); each such re-run spends none of the job's starts.
   */
  parkMs?: number;
  /** Housekeeping jobs (callbacks; receipt-window expiry jobs queued by earlier versions) in flight. Default 4. */
  housekeepingConcurrency?: number;
  /**
   * Records every Dysmsapi call, throttle pause and receipt for the server's /metrics, as
   * `smsq worker` does: `createCallMetricsRecorder({ redis, prefix })`. Optional; the caller closes
   * it after the worker (its last flush).
   */
  metrics?: CallMetricsRecorder;
  /**
   * Logs one line when Redis goes away and one when it is back (src/queue/redis-watch.ts), from
   * start() to close(). Default true; `smsq worker` passes false: it watches from before the worker exists.
   */
  watchRedis?: boolean;
  /**
   * How long this process takes no job after a call met an endpoint it cannot reach (a refused
   * connection, a host name that does not resolve): `firstMs`, doubling to `maxMs` while it lasts,
   * back to full speed at the first answered call (workers/endpoint-backoff.ts). Default 1 s to 60 s.
   */
  endpointBackoff?: Partial<EndpointBackoffSettings>;
  /** Shown in Bull Board as the job's processor, and in an account block this worker hits (with its host and pid). */
  name?: string;
  /**
   * BullMQ's telemetry (src/telemetry/tracing.ts, when OTEL_* is set): each job's processing
   * continues the trace of its enqueue, and follow-ups added meanwhile carry it on. Default: none.
   */
  telemetry?: Telemetry;
  /**
   * How a claim is made durable before its call (SMSQ_DURABILITY). Default `fsync`: `start()`
   * refuses a Redis without `appendfsync always` (see src/durability/mode.ts).
   */
  durability?: DurabilityOptions;
  /**
   * How often a running worker checks again that Redis keeps the durability mode (ms; it also
   * checks whenever its connection comes back). While the mode does not hold, no new call is made.
   * Default {@link DURABILITY_RECHECK_MS}.
   */
  durabilityRecheckMs?: number;
  /**
   * How far back this process remembers its claims, to look them up when Redis comes back without
   * them (rollback-recovery.ts). Default 10000 ms: a host crash with `everysec` loses up to ~2 s.
   */
  rollbackHorizonMs?: number;
  /**
   * 'error' listener of the workers and queues. Default: one JSON log line per distinct error a
   * minute, connection errors left to the Redis watch (see emitter-errors.ts).
   */
  errorLog?: EmitterErrorLog;
  /**
   * The repair sweep (src/repair): every `intervalMs` one worker (leader lease) finds orphaned
   * chunks, jobs and sends and resolves them. `null` = off. Default every 5 min, enqueue grace 10 min.
   */
  repair?: RepairOptions | null;
}

/** How often a held job re-checks by default ({@link SmsWorkerOptions.recheckMs}). */
const DEFAULT_RECHECK_MS = 60_000;

/**
 * How long a job of a paused send is parked by default ({@link SmsWorkerOptions.parkMs}): a wake
 * missed is rare and giving the resume again wakes them, while every park this short re-runs each
 * chunk of a paused campaign, for as long as it stays paused.
 */
const DEFAULT_PARK_MS = 1_800_000;

/** Starts of one job BullMQ allows by default ({@link SmsWorkerOptions.maxStartedAttempts}). */
export const DEFAULT_MAX_STARTED_ATTEMPTS = 200;

/** Waiting housekeeping jobs looked at for callbacks at start, at most per state. */
const CALLBACKS_SAMPLED = 100;

export interface RepairOptions {
  /** Between sweeps (ms). */
  intervalMs: number;
  /** A send still `enqueuing` with nothing written for this long has lost its producer (ms). Default 10 min. */
  enqueueGraceMs?: number;
  /** A chunk changed more recently than this is not judged (ms). Default 60 s. */
  minAgeMs?: number;
  /** The first sweep after start (ms). Default `intervalMs`. */
  firstAfterMs?: number;
}

export interface SmsWorker {
  /** BullMQ's global rate limit as set by this worker (the main limiter in `window` mode, a backstop with the pacer). */
  readonly window: RateWindow;
  /** The call pacer's slot spacing (µs), when pacing. */
  readonly pacerIntervalMicros: number | undefined;
  readonly guard: AccountGuard;
  readonly worker: Worker;
  readonly housekeepingWorker: Worker;
  readonly rollbackRecovery: RollbackRecovery;
  /** The periodic repair sweep, when on (`runOnce()` sweeps now if this worker gets the lease). */
  readonly repair: RepairSchedule | undefined;
  /**
   * The send chunks this process has claimed (`sending` in Redis) and whose answer or undo it has
   * not recorded yet, by stage: what exiting now would leave `sending`, each to be looked up
   * (QuerySendDetails) before anything is resent. `smsq worker` names them at a forced exit.
   */
  outstandingClaims(): OutstandingClaims;
  /** Which chunks {@link outstandingClaims} counts, with their sends: left `sending` for certain first. */
  outstandingChunks(): OutstandingChunk[];
  /**
   * Checks that Redis can keep the durability mode (throws RedisNotDurableError otherwise),
   * applies the account-wide rate limit and starts taking jobs. While Redis does not answer it
   * waits for it, having logged one line (see `watchRedis`). {@link close} while it waits or
   * starts: it resolves once stopped, having taken no job.
   */
  start(): Promise<void>;
  /**
   * Stops taking jobs, waits for calls in flight and records their outcome. Send jobs fetched but
   * not yet calling make no call: their chunks go back to the queue for another worker. With Redis
   * down and no job in hand it stops at once (there is nothing to record; a Redis frozen with its
   * connection open is down once a PING goes unanswered for the connect timeout); with a job in hand it
   * waits for Redis to record the outcome, and completes once Redis is back (on a connection from
   * `createRedisConnection`; on a plain ioredis one, BullMQ's close may wait for ever, redis/ioredis#2169).
   */
  close(): Promise<void>;
  /**
   * {@link close}, giving up after `graceMs` (Redis down: outcomes cannot be recorded; the chunks
   * stay `sending` and are looked up before anything is resent). Resolves false if it gave up.
   */
  closeWithin(graceMs: number): Promise<boolean>;
}

/**
 * What starts each line of a refused option: the factory in the Node API's words; `smsq worker`,
 * which builds its worker from the environment, says it as itself (src/setting-mention.ts).
 */
const WORKER_OPTIONS = `${mention('createSmsWorker')} options`;

/**
 * Builds the worker of the calls queue: one job is one Dysmsapi call, so one limiter shared
 * through Redis by every worker process (the call pacer, or BullMQ's global rate limit in
 * `window` mode) counts every call of the account.
 */
export function createSmsWorker(options: SmsWorkerOptions): SmsWorker {
  const none = optionsObjectLine(WORKER_OPTIONS, options, `createSmsWorker({ connection: createRedisConnection(url, { role: 'worker' }), client: ${SMS_CLIENT_CALL}, logger: createLogger(), qps: 4500, readTimeoutMs: 3000 }) (all exported by smsq/worker; qps: the account's cap, the same for every worker)`);
  if (none !== undefined) throw new ConfigError([none]);
  // Checked at run time too: from JavaScript, a missing timeout made the timing rule below read NaN
  // and name the wrong fix.
  const timeoutProblems = (['readTimeoutMs', 'connectTimeoutMs'] as const)
    .filter((name) => (name === 'readTimeoutMs' || options[name] !== undefined) && !(Number.isFinite(options[name]) && (options[name] as number) > 0))
    .map((name) => `${WORKER_OPTIONS}: ${name} is ${String(options[name])}. Fix: pass the SMS client's ${name === 'readTimeoutMs' ? 'read' : 'connect'} timeout in ms, a number above 0 (the client's own setting, SMS_READ_TIMEOUT_MS for \`smsq worker\`)`);
  const problems = [...workerOptionProblems(options), ...timeoutProblems];
  if (problems.length) throw new ConfigError(problems);
  const settleMs = options.reconcile?.settleMs ?? 60_000;
  const timing: ReconcileTiming = {
    firstLookAfterMs: options.reconcile?.firstLookAfterMs ?? options.readTimeoutMs + 2000,
    settleMs,
    lookIntervalMs: options.reconcile?.lookIntervalMs ?? 5000,
    callDeadlineMs: options.reconcile?.callDeadlineMs ?? defaultCallDeadlineMs(settleMs),
  };
  const callTiming = { ...timing, readTimeoutMs: options.readTimeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? options.readTimeoutMs };
  const timingProblem = callDeadlineProblem(callTiming);
  if (timingProblem) throw new ConfigError([`${WORKER_OPTIONS}: ${timingProblem}. Fix: a longer reconcile.settleMs or a shorter reconcile.callDeadlineMs`]);
  const pacing = (options.rateLimiting ?? 'pacer') === 'pacer';
  const durability = resolveDurability(options.durability ?? DEFAULT_DURABILITY);
  const holdProblem = claimHoldProblem(timing.callDeadlineMs, { pacerReachMs: pacing ? PACER_REACH_MS : 0, confirmationMs: confirmationWaitMs(durability) }, claimHoldWords(options, timing, durability));
  if (holdProblem) throw new ConfigError([`${WORKER_OPTIONS}: ${holdProblem}`]);
  const maxStartedAttempts = options.maxStartedAttempts ?? DEFAULT_MAX_STARTED_ATTEMPTS;
  // 0 would turn BullMQ's guard off (endless re-queues), a fraction or NaN would fail jobs at random starts.
  if (!(Number.isInteger(maxStartedAttempts) && maxStartedAttempts >= 1)) {
    throw new ConfigError([`${WORKER_OPTIONS}: maxStartedAttempts must be a whole number >= 1, got ${String(options.maxStartedAttempts)}. Fix: leave it out (${DEFAULT_MAX_STARTED_ATTEMPTS}) or give a whole number of starts`]);
  }
  // A held job's re-checks spend none of its starts (send-processor.ts): zero, negative or NaN
  // would re-check it in a busy loop for as long as the hold lasts, a night of quiet hours.
  checkMsOption('recheckMs', options.recheckMs, DEFAULT_RECHECK_MS, 10);
  checkMsOption('parkMs', options.parkMs, DEFAULT_PARK_MS, 10, 86_400_000);
  // As SMSQ_CLOCK_SKEW_WARN_MS: NaN would never warn (every comparison false), 0 or less always.
  checkMsOption('clockSkewWarnMs', options.clockSkewWarnMs, DEFAULT_CLOCK_SKEW_WARN_MS, CLOCK_SKEW_WARN_MIN_MS, CLOCK_SKEW_WARN_MAX_MS);
  const clock = options.clock ?? systemClock;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const keys = createKeys(prefix);
  const log = options.logger.child({ component: 'worker' });
  // Who keeps this process's worker from taking jobs (rollback recovery, endpoint back-off); `worker` is made below.
  const intake = createIntakeHolds({ pause: (doNotWaitActive) => worker.pause(doNotWaitActive), resume: () => worker.resume() });
  // One id for this process's settings and back-off words: status names the back-off only when every live worker backs off.
  // The metrics recorder's id, when given one: one process, one id on /metrics (its heartbeat and clock skew).
  const workerId = options.metrics?.writerId ?? newWorkerId();
  const backoffWords = createEndpointBackoffAnnouncer({ redis: options.connection, keys, clock, logger: log, workerId });
  const endpointBackoff = createEndpointBackoff({ intake, logger: log, clock, settings: options.endpointBackoff, announcer: backoffWords });
  // Every call tells the back-off whether this host reaches SMS_ENDPOINT.
  const watched = watchEndpoint(options.client, endpointBackoff);
  const instrumented = options.metrics ? instrumentSmsClient(watched, options.metrics) : watched;
  const pacer = pacing
    ? createCallPacer({
        redis: options.connection,
        key: keys.pacer(),
        qps: options.qps,
        bulkDepthMs: options.pacerBulkDepthMs,
        onWait: options.metrics ? (lane, seconds) => options.metrics?.recordLimiterWait(`pacer-${lane}`, seconds) : undefined,
      })
    : undefined;
  const errorLog = options.errorLog ?? createEmitterErrorLog({ logger: log, clock });
  // Their meta is written by start(), once Redis keeps the durability mode (writeQueueMeta).
  const queue = createCallsQueue({ connection: options.connection, prefix, onError: errorLog('calls queue'), telemetry: options.telemetry });
  const housekeeping = createHousekeepingQueue({ connection: options.connection, prefix, onError: errorLog('housekeeping queue'), telemetry: options.telemetry });
  const chunks = createChunkStore({ redis: options.connection, keys, clock });
  const sends = createSendStore({ redis: options.connection, keys, clock });
  const retention = resolveRetention(options);
  const recipients = createRecipientStore({ redis: options.connection, keys, clock, retentionSeconds: longestRetention(retention) });
  const receiptPolicies = options.receiptPolicies ?? DEFAULT_RECEIPT_POLICIES;
  const receiptSchedule = options.receiptSchedule ?? DEFAULT_RECEIPT_SCHEDULE;
  const scheduled = createFollowUps({ calls: queue, housekeeping, clock, receiptPolicies, receiptSchedule });
  // With metrics, every attempt sent to reconcile is indexed for the unknown-outcome age gauge.
  const followUps = options.metrics ? indexUnknownOutcomes(scheduled, options.metrics, clock) : scheduled;
  const completion = createCompletion({
    sends: completionSends(sends, options.compactFinished !== false),
    onEnded: (sendId) => followUps.callback(sendId),
  });
  const guard = createAccountGuard({
    redis: options.connection,
    keys,
    queue,
    clock,
    logger: options.logger,
    recheckMs: options.accountRecheckMs ?? 300_000,
    worker: thisWorker(options.name),
  });
  const window: RateWindow = pacing
    ? { max: 2 * options.qps, duration: 1000, worstSlidingSecond: 2 * options.qps, sustainedPerSecond: 2 * options.qps }
    : planRateWindow(options.qps);

  const throttles = createThrottleLog({ redis: options.connection, keys, clock });

  // The server holding this deployment's keys: durability checks, WAIT and run_id go to it.
  const server = createNodeResolver(options.connection, keys.prefix);
  const recheckMs = options.durabilityRecheckMs ?? DURABILITY_RECHECK_MS;
  // The start-up check's warnings, so that the watch's checks do not say them again.
  const durabilityWarned = new Set<string>();
  // Zero, negative or NaN would check in a busy loop or never.
  checkMsOption('durabilityRecheckMs', recheckMs, DURABILITY_RECHECK_MS, 10);
  // Status and /metrics read a hold from Redis: otherwise it shows only as jobs that do not move.
  const durabilityHolds = createDurabilityHoldAnnouncer({ redis: options.connection, keys, clock, logger: log });
  // `none` promises nothing to keep: only its start-up warnings.
  const durabilityWatch =
    durability.mode === 'none'
      ? undefined
      : createDurabilityWatch({
          redis: options.connection,
          server,
          durability,
          logger: log,
          intervalMs: recheckMs,
          warned: durabilityWarned,
          onHoldChange: (refusal) => void durabilityHolds.say(refusal),
        });
  const journal = createClaimJournal({ clock, horizonMs: options.rollbackHorizonMs ?? 10_000 });
  // Set by close(): jobs this process already fetched then make no call (see send-processor.ts).
  let closing = false;
  // Aborted by close() too: sends waiting for their lane or their claim's slot, and look-ups waiting
  // for theirs, stop waiting (one listener each, up to the concurrency).
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal);
  // A throttle answer's pause, known in-process by every worker of the deployment (pause-notice.ts).
  // On the system clock, not the worker's: it mirrors BullMQ's pause, which ends in real time. On a
  // clock a test holds still it never ended, and every look-up (lookup-slot.ts) was put back for
  // good after the first throttle answer.
  const pauses = createPauseNotice({ redis: options.connection, channel: keys.pauseNotices(), clock: systemClock, logger: log });
  const quietHours = options.quietHours === null ? undefined : (options.quietHours ?? DEFAULT_QUIET_HOURS);
  const held = createHeldJobs(options.connection);
  // Redis refusing writes for its state (OOM, MISCONF, READONLY, ...): jobs put back, not failed (redis-refusals.ts).
  const refusals = createRedisRefusals({ redis: options.connection, clock, logger: log });
  const outstanding = createClaimsOutstanding();
  const processSend = createSendProcessor({
    closing: stopping.signal,
    pauses,
    outstanding,
    // The claim reserves each send's slot (one round trip fewer); the processor awaits it.
    client: instrumented,
    pacer,
    chunks,
    sends,
    queue,
    followUps,
    guard,
    clock,
    logger: options.logger,
    timing,
    flowPolicy: options.flowControlPolicy ?? DEFAULT_FLOW_CONTROL_POLICY,
    flowSpreadMs: options.flowControlSpreadMs ?? 5000,
    retention,
    completion,
    redis: options.connection,
    keys,
    metrics: options.metrics,
    throttles,
    throttleWarnings: createThrottleWarnings({ logger: options.logger.child({ component: 'send' }), clock, qps: options.qps }),
    controls: {
      quietHours,
      parkMs: options.parkMs ?? DEFAULT_PARK_MS,
      quietRecheckMs: options.recheckMs ?? DEFAULT_RECHECK_MS,
      autoPause: options.autoPause === null ? undefined : (options.autoPause ?? { window: 20, failureRatio: 0.5 }),
    },
    durability: durabilityWatch ? confirmedByWatch(createDurabilityBarrier(server, durability), durabilityWatch, server, isCluster(options.connection)) : createDurabilityBarrier(server, durability),
    gateCalls: usesWait(durability.mode),
    journal,
    claimsHeld: () => rollbackRecovery.claimsHeld() ?? durabilityWatch?.held(),
  });
  // Look-ups take their slots themselves, outside the instrumented client (call latency is the
  // API's alone), and ask the account's pause after it (lookup-slot.ts).
  const processReconcile = createReconcileProcessor({
    client: instrumented,
    pacer,
    chunks,
    queue,
    redis: options.connection,
    followUps,
    guard,
    clock,
    logger: options.logger,
    timing,
    completion,
    metrics: options.metrics,
    throttles,
    pauses,
    closing: stopping.signal,
  });
  const processReceipt = createReceiptProcessor({
    client: instrumented,
    pacer,
    redis: options.connection,
    chunks,
    recipients,
    completion,
    queue,
    followUps,
    guard,
    clock,
    logger: options.logger,
    policies: receiptPolicies,
    schedule: receiptSchedule,
    metrics: options.metrics,
    throttles,
    pauses,
    closing: stopping.signal,
  });
  const expireChunk = createWindowExpiry({ chunks, recipients, completion, logger: options.logger });
  const windowSweep = createWindowSweep({
    redis: options.connection,
    keys,
    clock,
    logger: options.logger,
    expireChunk,
    intervalMs: windowSweepMs(receiptSchedule),
  });
  const repairOptions = options.repair === undefined ? { intervalMs: 300_000 } : options.repair;
  const repair = repairOptions
    ? createRepairSchedule({
        sweep: createOrphanSweep({
          redis: options.connection,
          keys,
          calls: queue,
          chunks,
          sends,
          followUps,
          completion,
          compactFinished: options.compactFinished !== false,
          clock,
          logger: options.logger,
          firstLookAfterMs: timing.firstLookAfterMs,
          minAgeMs: repairOptions.minAgeMs,
          enqueueGraceMs: repairOptions.enqueueGraceMs,
          // Two intervals: a sweep is sure to meet a paused send before its records expire.
          retentionLapseMs: 2 * repairOptions.intervalMs,
        }),
        lease: createLeaderLease({ redis: options.connection, key: keys.repairLease(), ttlMs: 60_000 }),
        logger: options.logger,
        intervalMs: repairOptions.intervalMs,
        firstAfterMs: repairOptions.firstAfterMs,
      })
    : undefined;
  // Status reads the quiet hours of the workers, which decide, not those of whoever asks.
  // Its clock against Redis's, at start and with each refresh of its settings word.
  const clockSkew = createClockSkewCheck({ redis: options.connection, prefix, clock, logger: log, workerId, thresholdMs: options.clockSkewWarnMs, marginMs: clockSkewMarginMs(callTiming) });
  const settings = createWorkerSettingsAnnouncer({ redis: options.connection, keys, clock, logger: log, quietHours, workerId, alsoEachTime: () => clockSkew.check() });
  const callbacks = createCallbackPoster({ ...(options.resolveCallbackHost ? { lookup: options.resolveCallbackHost } : {}) });
  const processHousekeeping = createHousekeepingProcessor({
    sends,
    expireChunk,
    clock,
    logger: options.logger,
    callbackSecret: options.callbackSecret,
    callbacks,
    metrics: options.metrics,
  });

  /** What both workers of this process share. */
  const common = {
    connection: options.connection,
    prefix,
    autorun: false,
    name: options.name,
    // A stall (a dead worker) is safe to recover any number of times: the chunk state, not the
    // job, decides whether a call may be made.
    maxStalledCount: 1_000_000,
    stalledInterval: options.stalledIntervalMs ?? STALLED_CHECK_MS,
    lockDuration: options.lockDurationMs ?? 30_000,
    // Finished jobs' retention is the workers' (calls-queue.ts), not written into each job.
    ...JOB_RETENTION,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  };
  const worker = new Worker(
    CALLS_QUEUE,
    held.wrap(
      refusals.wrap(async (job: Job, token?: string) => {
        if (job.name === JOB.send) return processSend(job, token);
        if (job.name === JOB.reconcile) return processReconcile(job, token);
        if (job.name === JOB.receipt) return processReceipt(job, token);
        throw new UnrecoverableError(`unknown job name "${job.name}"`);
      }),
    ),
    {
      ...common,
      concurrency: options.concurrency ?? 64,
      // Guards against a job re-queued forever by throttling or an account block.
      maxStartedAttempts,
      maximumRateLimitDelay: 60_000,
      // A reconcile look-up's back-off: doubling to a ceiling (follow-ups.ts).
      settings: { backoffStrategy: lookupBackoffStrategy },
      // Seconds a worker blocks waiting for a job when none is delayed (BullMQ caps a block at 10 s
      // when one is). A throttle's pause wakes blocked workers itself (account-pauses.ts); 1 s, at
      // one idle poll a second, bounds the wait for any job put back without BullMQ's marker.
      drainDelay: 1,
    },
  );

  // No Dysmsapi calls here, so no limiter: callbacks never wait behind sends.
  const housekeepingWorker = new Worker(HOUSEKEEPING_QUEUE, held.wrap(refusals.wrap(processHousekeeping)), {
    ...common,
    concurrency: options.housekeepingConcurrency ?? 4,
    drainDelay: 5,
  });
  housekeepingWorker.on('error', errorLog('housekeeping worker'));
  housekeepingWorker.on('failed', (job, err) => {
    if (!job) return;
    if (refusals.failedForRefusal(job, err)) return refusals.retryFailed(job);
    const givenUp = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (givenUp) log.error({ jobId: job.id, name: job.name, attempts: job.attemptsMade, err: err.message }, `housekeeping job given up${job.name === JOB.callback ? ': the callback is not sent' : ''}`);
    else log.warn({ jobId: job.id, name: job.name, attempt: job.attemptsMade, err: err.message }, 'housekeeping job failed; retrying with back-off');
    // Known names only: the label stays bounded whatever a queue holds.
    const name = job.name === JOB.callback || job.name === JOB.expire ? job.name : 'other';
    void options.metrics?.recordHousekeepingFailure(name, givenUp ? 'given-up' : 'retried');
  });

  worker.on('failed', (job, err) => {
    if (!job) return;
    void onJobFailed(job, err).catch((e: unknown) => log.error({ err: e, jobId: job.id }, 'could not record a failed job'));
  });
  worker.on('error', errorLog('calls worker'));

  /**
   * A look-up job whose data does not parse failed without running (parseJobData): said, with the
   * fields at fault, rather than dropped without a word, and what becomes of its chunk.
   */
  function invalidLookUp(job: Job, error: z.ZodError, next: string): void {
    const fields = [...new Set(error.issues.map((i) => (i.path.length > 0 ? i.path.join('.') : '(job data)')))];
    const chunkId = typeof (job.data as { chunkId?: unknown } | undefined)?.chunkId === 'string' ? (job.data as { chunkId: string }).chunkId : undefined;
    log.error({ jobId: job.id, name: job.name, fields, chunkId }, `${job.name} job with invalid data (${fields.join(', ')}) failed without a call: ${next}`);
  }

  /** The chunk a job's data names, read even when the rest of its data does not parse. */
  async function chunkOfJob(job: Job): Promise<ChunkRecord | undefined> {
    const chunkId = (job.data as { chunkId?: unknown } | undefined)?.chunkId;
    return typeof chunkId === 'string' ? chunks.get(chunkId) : undefined;
  }

  /** What becomes of the chunk of a send job that failed without running, from its record. */
  async function whatBecomesOfChunk(chunkId: string): Promise<string> {
    let chunk: ChunkRecord | undefined;
    try {
      chunk = await chunks.get(chunkId);
    } catch (err) {
      return `chunk ${chunkId} is not sent by it (its record could not be read: ${err instanceof Error ? err.message : String(err)})`;
    }
    if (!chunk) return `chunk ${chunkId} is not on record (ended and expired with its send, or never written): nothing is sent`;
    if (!isUnsent(chunk.state)) return `chunk ${chunkId} is ${chunk.state} already: nothing of it is sent again by this job`;
    return `chunk ${chunkId} is not sent by it, and stays unsent until the repair sweep looks it up (before any resend) and sends it; its send's status says job-failed until then`;
  }

  /** A job that failed a try, or that BullMQ gave up on (parse error, too many starts, look-ups that kept failing). */
  async function onJobFailed(job: Job, err: Error): Promise<void> {
    // Failed for Redis's state, not its own: run again once Redis takes writes, nothing given up.
    if (refusals.failedForRefusal(job, err)) return refusals.retryFailed(job);
    if (job.name === JOB.send) {
      const data = SendJobData.safeParse(job.data);
      if (!data.success) {
        // Its chunk is read from its id: nothing of smsq's moves it now, and nobody was told so. A
        // stale or foreign job may name a chunk already ended, or none: said from the record (rare).
        const chunkId = job.id?.startsWith('s.') ? chunkOfJobId(job.id) : undefined;
        return void log.error({ jobId: job.id, chunkId, err }, `send job with invalid data failed${chunkId ? `: ${await whatBecomesOfChunk(chunkId)}` : ''}`);
      }
      const { sendId, chunkId } = data.data;
      const chunk = await chunks.get(chunkId);
      if (!chunk) return;
      if (lookupSettles(chunk.state)) {
        // It may have been accepted: only a look-up may decide.
        const claim = await chunks.claim(chunkId, sendId);
        if (claim.type === 'unknown') {
          await followUps.reconcile(
            { sendId, chunkId, attempt: claim.attempt, look: 1, dateIndex: 0, page: 1 },
            rankingKind(chunk.kind),
            claim.sentAt + timing.firstLookAfterMs,
          );
        }
      } else if (canFire(CHUNK_LIFECYCLE, 'give-up', chunk.state)) {
        await chunks.transition(chunkId, sendId, { trigger: 'give-up', fields: { reason: err.message } });
        log.error({ sendId, chunkId, err: err.message }, 'send job given up: its recipients are failed with SMSQ_GAVE_UP');
        await completion.check(sendId);
      }
      return;
    }
    if (job.name === JOB.reconcile) {
      const data = ReconcileJobData.safeParse(job.data);
      if (!data.success) {
        // A record holding an attempt none of ours (an earlier version's adoption of a forged
        // report) makes only such jobs: ended here, said once, rather than looked up anew each round.
        const chunk = await chunkOfJob(job);
        if (chunk?.foreignAttempt !== undefined) {
          if (!(await endForeignAttempt({ chunks, completion, logger: log }, { ...chunk, foreignAttempt: chunk.foreignAttempt }, { jobId: job.id }))) log.debug({ jobId: job.id, chunkId: chunk.chunkId }, 'look-up job of an attempt none of ours failed; its chunk was ended before');
          return;
        }
        return invalidLookUp(job, data.error, 'the chunk\'s attempt stays in doubt, never resent without a look-up: the repair sweep makes its look-up anew from the chunk\'s record');
      }
      // Failed for its starts, not for its look-ups: looked up again, unless it had added its follow-up (lookup-start-limit.ts).
      if (failedAtStartLimit(job, maxStartedAttempts)) return reconcileAnew({ chunks, followUps, clock, logger: log, calls: queue }, data.data);
      if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
      const chunk = await chunks.get(data.data.chunkId);
      if (chunk && chunk.attempt === data.data.attempt && canFire(CHUNK_LIFECYCLE, 'lookup-gave-up', chunk.state)) {
        const t = await chunks.transition(data.data.chunkId, data.data.sendId, { trigger: 'lookup-gave-up', outId: chunk.outId, fields: { reason: err.message } });
        if (t.applied) await options.metrics?.recordReconcileResult('gave-up');
        log.error({ sendId: data.data.sendId, chunkId: data.data.chunkId }, 'outcome could not be looked up: recipients expired as unknown, not resent');
        await completion.check(data.data.sendId);
      }
      return;
    }
    if (job.name === JOB.receipt) {
      const data = ReceiptJobData.safeParse(job.data);
      if (!data.success) return invalidLookUp(job, data.error, 'the repair sweep makes the chunk\'s receipt look-ups anew, or its receipt window ends them');
      // Failed for its starts, or its tries spent: its chunk has no other receipt job, unless it had
      // added its follow-up (lookup-start-limit.ts says which failures are made anew, and why).
      const deps = { chunks, followUps, clock, logger: log, recipients, policies: receiptPolicies, calls: queue };
      if (failedAtStartLimit(job, maxStartedAttempts)) return lookUpReceiptsAnew(deps, data.data, { cause: 'start-limit' });
      if (failedWithTriesSpent(job, err)) return lookUpReceiptsAnew(deps, data.data, { cause: 'tries-spent', tries: job.attemptsMade, reason: err.message });
    }
  }

  const rollbackRecovery = createRollbackRecovery({
    redis: options.connection,
    server,
    chunks,
    followUps,
    journal,
    compacted: (sendId) => sends.isCompacted(sendId),
    timing,
    clock,
    logger: options.logger,
    pauseIntake: () => intake.hold('rollback-recovery'),
    resumeIntake: () => intake.release('rollback-recovery'),
  });

  /** Without the secret, callbacks that wait now would fail here: said once, at start. */
  async function warnCallbacksWaiting(): Promise<void> {
    const waiting = (await housekeeping.getJobs(['wait', 'delayed', 'prioritized'], 0, CALLBACKS_SAMPLED - 1)).filter((j) => j?.name === JOB.callback).length;
    if (waiting === 0) return;
    log.warn(
      { callbacksWaiting: waiting },
      `SMSQ_CALLBACK_SECRET is not set on this worker, and ${waiting >= CALLBACKS_SAMPLED ? 'at least ' : ''}${waiting} callback${waiting === 1 ? '' : 's'} wait in the housekeeping queue: ` +
        'each callback this worker takes waits for a worker with the secret. Fix: set SMSQ_CALLBACK_SECRET, the producers\' value, on every worker',
    );
  }

  let stopAutoResume: () => void = () => {};
  const starting = createStoppableStart();
  let started: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  let watch: RedisWatch | undefined;
  /** Whether start() got as far as taking jobs. */
  let running = false;

  async function startOnce(): Promise<void> {
    const { step } = starting;
    // Before the first round trip: a start that waits for Redis says why, once.
    if (options.watchRedis !== false) watch = watchRedis({ redis: options.connection, logger: options.logger, clock, probeMs: connectTimeoutOf(options.connection) });
    try {
      const node = await step(server());
      await step(confirmDatabase(node, describeRedis(node)));
      await step(checkRedisDurability(node, durability, log, durabilityWarned));
      // The first writes, after the check: a worker refused for Redis's settings leaves no key in it.
      await step(Promise.all([writeQueueMeta(queue), writeQueueMeta(housekeeping)]));
      await step(Promise.resolve(durabilityWatch?.start(node)), () => durabilityWatch?.stop());
      await step(adviseRedisMemory(node, log));
      if (!options.callbackSecret) await step(warnCallbacksWaiting());
      else {
        const retried = await step(retryCallbacksFailedForSecret(housekeeping));
        if (retried > 0) log.warn({ retried }, 'callbacks an earlier version gave up for want of SMSQ_CALLBACK_SECRET are retried: this worker has it');
      }
      await step(rollbackRecovery.start(), () => rollbackRecovery.stop());
      await step(queue.setGlobalRateLimit(window.max, window.duration));
      await step(settings.start(), () => Promise.all([settings.stop(), clockSkew.stop()]));
      // Before any job is taken: a pause another worker publishes from now on is heard by every
      // claim this one makes (pause-notice.ts; bounded, and a refused channel is only said).
      await step(pauses.start(), () => pauses.stop());
      // Last: the SDK loads meanwhile, and no job is claimed before its call can be made.
      await step(whenClientLoaded(options.client));
    } catch (err) {
      // Redis refusing the credentials reconnects and is refused again: said as what it is, with the fix.
      if (err !== STOPPED) throw authRefusedError(err, describeRedis(options.connection)) ?? err;
      log.info('stopped while starting: no job was taken');
      return;
    }
    stopAutoResume = guard.startAutoResume();
    windowSweep.start();
    repair?.start();
    running = true;
    // From now on status and /readyz count this worker as serving.
    options.metrics?.startHeartbeat?.();
    void worker.run().catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
    void housekeepingWorker.run().catch((err: unknown) => log.error({ err }, 'housekeeping worker stopped with an error'));
    // With the pacer, BullMQ's window is only a backstop at twice the cap: logged under that name,
    // so that it does not read as a plan to send at twice the cap.
    const limits = pacing ? { pacerIntervalMicros: pacer?.intervalMicros, bullmqBackstop: window } : { window };
    log.info({ qps: options.qps, durability: durability.mode, rateLimiting: pacing ? 'pacer' : 'window', ...limits, concurrency: options.concurrency ?? 64 }, 'worker started');
  }

  async function closeOnce(): Promise<void> {
    closing = true;
    stopping.abort();
    starting.stop();
    // The start unwinds at its current step: nothing it sets up outlives what follows.
    await started?.catch(() => {});
    stopAutoResume();
    // A back-off ending now must not resume a closing worker (BullMQ's resume() would run it again).
    endpointBackoff.stop();
    refusals.close();
    rollbackRecovery.stop();
    durabilityWatch?.stop();
    watch?.stop();
    // Closing, no claim here calls any more (those waiting for slots are undone): nothing to hear of.
    pauses.stop();
    // A Redis frozen or cut off without a reset keeps the connection `ready`: it is asked (and a
    // job is looked for in hand again once it has answered, or not).
    const redisDown = async () => options.connection.status !== 'ready' || !(await answersWithin(options.connection, connectTimeoutOf(options.connection)));
    if (held.count() === 0 && (await redisDown()) && held.count() === 0) {
      // Redis is down and no job is in hand: no outcome waits to be recorded. BullMQ's graceful
      // close would wait for Redis (taskforcesh/bullmq#4656), so the workers close forced; the
      // timers stop now and their last Redis writes go when Redis answers or the connection ends.
      held.refuse();
      if (running) log.warn({ connection: options.connection.status }, 'Redis does not answer and no job is in hand: stopped without waiting for it');
      void Promise.all([windowSweep.stop(), repair?.stop(), settings.stop(), clockSkew.stop(), durabilityHolds.stop(), backoffWords.stop()]).catch(() => {});
      await Promise.all([worker.close(true), housekeepingWorker.close(true)]);
      void Promise.all([queue.close(), housekeeping.close()]).catch(() => {});
      callbacks.close();
      return;
    }
    await Promise.all([worker.close(), housekeepingWorker.close(), windowSweep.stop(), repair?.stop(), settings.stop(), clockSkew.stop(), durabilityHolds.stop(), backoffWords.stop()]);
    await Promise.all([queue.close(), housekeeping.close()]);
    callbacks.close();
  }

  return {
    window,
    pacerIntervalMicros: pacer?.intervalMicros,
    guard,
    worker,
    housekeepingWorker,
    rollbackRecovery,
    repair,
    outstandingClaims: () => outstanding.now(),
    outstandingChunks: () => outstanding.chunks(),
    start() {
      // After close(): stopped before it began.
      if (closing) return Promise.resolve();
      started ??= startOnce();
      return started;
    },
    close() {
      closed ??= closeOnce();
      return closed;
    },
    async closeWithin(graceMs) {
      const inTime = await finishedWithin(this.close(), graceMs);
      if (!inTime) {
        // Named, not only counted: the operator runs `smsq status` on their send from this line.
        const claims = outstanding.now();
        const chunks = outstanding.chunks();
        log.warn(
          { graceMs, chunksLeftSending: chunksLeftSending(claims), ...claims, ...outstandingChunkFields(chunks) },
          `grace period over: stopping without recording the calls in flight (their chunks are looked up before anything is resent)${graceOverLeftText(claims, chunks)}`,
        );
        // Not awaited: with Redis down even a forced close waits for it; the caller drops the connection.
        void Promise.all([worker.close(true), housekeepingWorker.close(true)]).catch(() => {});
      }
      return inTime;
    },
  };
}

/** Every option of {@link SmsWorkerOptions}: a name not here is a JavaScript caller's typo. */
const WORKER_OPTION_NAMES = Object.keys({
  connection: true, client: true, logger: true, clock: true, prefix: true, qps: true, rateLimiting: true, pacerBulkDepthMs: true,
  concurrency: true, readTimeoutMs: true, connectTimeoutMs: true, reconcile: true, flowControlPolicy: true, flowControlSpreadMs: true,
  accountRecheckMs: true, retention: true, retentionSeconds: true, maxStartedAttempts: true, stalledIntervalMs: true, lockDurationMs: true,
  receiptPolicies: true, receiptSchedule: true, compactFinished: true, callbackSecret: true, resolveCallbackHost: true, quietHours: true,
  clockSkewWarnMs: true, autoPause: true, recheckMs: true, parkMs: true, housekeepingConcurrency: true, metrics: true, watchRedis: true,
  endpointBackoff: true, name: true, telemetry: true, durability: true, durabilityRecheckMs: true, rollbackHorizonMs: true, errorLog: true, repair: true,
} satisfies Record<keyof SmsWorkerOptions, true>);

/** The Dysmsapi calls a worker makes: sends, and the look-ups of their outcomes and receipts. */
const WORKER_CALLS = ['sendSms', 'sendBatchSms', 'querySendDetails'] as const satisfies readonly (keyof SmsClient)[];

/** The client a worker is given, as a refusal's fix makes it: live, and against the emulator. */
const SMS_CLIENT_CALL = "createSmsClient({ credential: { kind: 'default-chain' } }) (the emulator's: createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } }))";

/** The fields of the nested options, as their types have them: a key not here is a typo. */
const RECONCILE_FIELDS = Object.keys({ firstLookAfterMs: true, settleMs: true, lookIntervalMs: true, callDeadlineMs: true } satisfies Record<keyof ReconcileTiming, true>);
const AUTO_PAUSE_FIELDS = Object.keys({ window: true, failureRatio: true } satisfies Record<keyof NonNullable<SmsWorkerOptions['autoPause']>, true>);
const REPAIR_FIELDS = Object.keys({ intervalMs: true, enqueueGraceMs: true, minAgeMs: true, firstAfterMs: true } satisfies Record<keyof RepairOptions, true>);
const ENDPOINT_BACKOFF_FIELDS = Object.keys({ firstMs: true, maxMs: true } satisfies Record<keyof EndpointBackoffSettings, true>);
const RECEIPT_SCHEDULE_FIELDS = Object.keys({ lookDelaysMs: true, windowMs: true } satisfies Record<keyof ReceiptSchedule, true>);

/**
 * The options a worker cannot work with, one line each, before it makes anything on the
 * connection: a name it does not have, and the settings the environment bounds (src/config.ts) given
 * out of those bounds. A `qps` over the account's cap raised the pacer's for every worker sharing
 * it; BullMQ answered `concurrency: 0` with an error naming neither smsq nor the fix, and took 1.5.
 */
function workerOptionProblems(options: SmsWorkerOptions): string[] {
  const where = WORKER_OPTIONS;
  const lines = unknownOptionLines(where, 'createSmsWorker', options, WORKER_OPTION_NAMES);
  lines.push(
    ...[
      connectionLine(where, 'connection', options.connection, 'worker'),
      smsClientLine(where, options.client, WORKER_CALLS, `client: ${SMS_CLIENT_CALL} (exported by smsq/worker)`),
      loggerLine(where, options.logger, 'logger: createLogger() (exported by smsq/worker), or a pino logger of your own'),
      options.qps === undefined
        ? `${where}: qps is missing. Fix: give the account's cap on Dysmsapi calls a second, a whole number from 1 to ${ACCOUNT_QPS_CAP}, e.g. qps: 4500, the same for every worker of a deployment (SMS_QPS)`
        : wholeNumberLine(where, 'qps', options.qps, 1, ACCOUNT_QPS_CAP, `the account's cap on Dysmsapi calls a second, all workers together, e.g. qps: 4500 (1..${ACCOUNT_QPS_CAP}, as SMS_QPS), the same for every worker of a deployment`, ' (the account cap)'),
      wholeNumberLine(where, 'concurrency', options.concurrency, 1, MAX_CONCURRENCY, `leave it out (64) or give calls in flight in this process, e.g. concurrency: 64 (1..${MAX_CONCURRENCY}, as SMSQ_CONCURRENCY)`),
      wholeNumberLine(where, 'housekeepingConcurrency', options.housekeepingConcurrency, 1, MAX_CONCURRENCY, `leave it out (4) or give housekeeping jobs in flight, e.g. housekeepingConcurrency: 4 (1..${MAX_CONCURRENCY})`),
      prefixLine(where, options.prefix, 'producers'),
      quietHoursLine(where, 'quietHours', options.quietHours, true),
      options.rateLimiting === undefined || options.rateLimiting === 'pacer' || options.rateLimiting === 'window'
        ? undefined
        : `${where}: rateLimiting must be 'pacer' or 'window', got ${shown(options.rateLimiting)}. Fix: leave it out ('pacer')`,
      options.pacerBulkDepthMs === undefined || (Number.isFinite(options.pacerBulkDepthMs) && options.pacerBulkDepthMs >= 0)
        ? undefined
        : `${where}: pacerBulkDepthMs must be a number of ms >= 0, got ${shown(options.pacerBulkDepthMs)}. Fix: leave it out (10 ms) or give a number of ms`,
      positiveMsLine(where, 'flowControlSpreadMs', options.flowControlSpreadMs, 'leave it out (5000 ms) or give a number of ms', true),
      // As SMSQ_ACCOUNT_RECHECK_MS: 0 is "only smsq resume".
      wholeNumberLine(where, 'accountRecheckMs', options.accountRecheckMs, 0, MAX_ACCOUNT_RECHECK_MS, 'leave it out (300000 ms) or give whole ms, 0 for only `smsq resume` (as SMSQ_ACCOUNT_RECHECK_MS)'),
      durabilityReplicasLine(where, options.durability),
      positiveMsLine(where, 'stalledIntervalMs', options.stalledIntervalMs, `leave it out (${STALLED_CHECK_MS} ms) or give a number of ms`),
      positiveMsLine(where, 'lockDurationMs', options.lockDurationMs, 'leave it out (30000 ms) or give a number of ms'),
      positiveMsLine(where, 'rollbackHorizonMs', options.rollbackHorizonMs, 'leave it out (10000 ms) or give a number of ms'),
      booleanLine(where, 'compactFinished', options.compactFinished, 'leave it out (true) or give true or false'),
      booleanLine(where, 'watchRedis', options.watchRedis, 'leave it out (true) or give true or false'),
    ].filter((line): line is string => line !== undefined),
    ...retentionLines(where, options),
    ...nestedOptionLines(where, 'reconcile', options.reconcile, RECONCILE_FIELDS, 'leave it out (the defaults from readTimeoutMs) or give { settleMs, ... } in ms', (_field, value, named) => positiveMsLine(where, named, value, 'leave it out (its default) or give a number of ms')),
    ...nestedOptionLines(where, 'autoPause', options.autoPause, AUTO_PAUSE_FIELDS, 'leave it out ({ window: 20, failureRatio: 0.5 }), or null for none (SMSQ_AUTOPAUSE=off)', (field, value, named) =>
      field === 'window'
        ? value === undefined
          ? `${where}: ${named} is missing. Fix: give the chunks looked back at, e.g. autoPause: { window: 20, failureRatio: 0.5 }`
          : wholeNumberLine(where, named, value, 1, MAX_AUTOPAUSE_WINDOW, `give the chunks looked back at, 1..${MAX_AUTOPAUSE_WINDOW} (as SMSQ_AUTOPAUSE=20:0.5), e.g. window: 20`)
        : typeof value === 'number' && value >= 0 && value <= 1
          ? undefined
          : `${where}: ${named} must be a number from 0 to 1, got ${shown(value)}. Fix: give the share of those chunks failed that pauses the send, e.g. failureRatio: 0.5 (as SMSQ_AUTOPAUSE=20:0.5)`,
    true),
    ...nestedOptionLines(where, 'repair', options.repair, REPAIR_FIELDS, 'leave it out (every 300000 ms), or null for none (SMSQ_REPAIR_INTERVAL_MS=0)', (field, value, named) =>
      field === 'intervalMs' && value === undefined
        ? `${where}: ${named} is missing. Fix: give the ms between sweeps, e.g. repair: { intervalMs: 300000 }`
        : // 0 is "at once" for the ages and the first sweep, not for the interval.
          positiveMsLine(where, named, value, 'leave it out (its default) or give a number of ms', field !== 'intervalMs'),
    true),
    ...nestedOptionLines(where, 'endpointBackoff', options.endpointBackoff, ENDPOINT_BACKOFF_FIELDS, 'leave it out ({ firstMs: 1000, maxMs: 60000 })', (_field, value, named) => positiveMsLine(where, named, value, 'leave it out (its default) or give a number of ms')),
    ...nestedOptionLines(where, 'receiptSchedule', options.receiptSchedule, RECEIPT_SCHEDULE_FIELDS, 'leave it out (the default schedule, a 72 h window) or give { lookDelaysMs, windowMs }', (field, value, named) =>
      field === 'windowMs' ? positiveMsLine(where, named, value, 'give the receipt window in ms, e.g. windowMs: 259200000 (72 h, as SMSQ_RECEIPT_WINDOW_HOURS=72)') : undefined,
    ),
  );
  return lines;
}

/**
 * A worker option in ms, checked where its setting's schema would check it: left out, or a number
 * from `min` (to `max`); else a ConfigError naming it, the value given and its default.
 */
function checkMsOption(name: string, value: number | undefined, defaultMs: number, min: number, max?: number): void {
  if (value === undefined || (Number.isFinite(value) && value >= min && (max === undefined || value <= max))) return;
  const range = max === undefined ? `>= ${min}` : `in ${min}..${max}`;
  const give = max === undefined ? 'give a number of ms' : 'give a number of ms in that range';
  throw new ConfigError([`${WORKER_OPTIONS}: ${name} must be a number of ms ${range}, got ${String(value)}. Fix: leave it out (${defaultMs} ms) or ${give}`]);
}

/** The options behind a call deadline that claims would outlive, as a caller of createSmsWorker set them. */
function claimHoldWords(options: SmsWorkerOptions, timing: ReconcileTiming, durability: ResolvedDurability): ClaimHoldWords {
  const deadlineGiven = options.reconcile?.callDeadlineMs !== undefined;
  return {
    deadline: deadlineGiven
      ? `reconcile.callDeadlineMs (${timing.callDeadlineMs} ms)`
      : `the call deadline of ${timing.callDeadlineMs} ms (half of ${options.reconcile?.settleMs === undefined ? 'the default ' : ''}reconcile.settleMs, ${timing.settleMs} ms)`,
    confirmation: `durability.timeoutMs (${durability.timeoutMs} ms, mode ${durability.mode})`,
    longerDeadline: (minMs) => (deadlineGiven ? `raise reconcile.callDeadlineMs to ${minMs} ms or more` : `raise reconcile.settleMs to ${2 * minMs} ms or more`),
    shorterConfirmation: (maxMs) => `lower durability.timeoutMs to ${maxMs} ms or less`,
    // WAIT and WAITAOF read a timeout of 0 as "wait for ever".
    leastTimeoutMs: 1,
  };
}

/** Whether Redis answers a PING within `ms` (a frozen one never does; the PING is left to settle). */
async function answersWithin(redis: RedisConnection, ms: number): Promise<boolean> {
  const ping = redis.ping().then(
    () => true,
    () => false,
  );
  return (await finishedWithin(ping, ms)) && (await ping);
}
