/**
 * Per-call metrics, recorded by worker processes (calls, limiter waits, looked-up receipts) and by
 * `smsq server` (pushed receipts). `instrumentSmsClient` wraps an {@link SmsClient} so every call
 * is counted by operation and outcome class and timed; the recorder aggregates in memory and adds
 * its totals to Redis hashes once a second, where `smsq server`'s `/metrics` reads the sum of
 * every process. Metrics never slow a call down or make it fail: a flush that fails is retried
 * with the next one.
 */
import type { RedisConnection } from '../queue/connection.js';
import type { Logger } from '../logger.js';
import type { SmsClient, SmsOutcome } from '../sms/types.js';
import { createCallAggregate, isFloatField, LATENCY_BUCKETS_SECONDS, type CallRecord } from './call-aggregate.js';
import { FIELD_SEP, metricKeys, unknownOutcomeMember } from './metric-keys.js';
import { SMS_CLIENT_ACTIONS, SMS_CLIENT_METHODS } from '../sms/actions.js';
import { newWorkerId } from '../queue/worker-words.js';
import { isRedisConnectionError } from '../queue/redis-errors.js';

export interface CallMetricsRecorderOptions {
  /** Redis to flush to (a worker's connection is fine); the recorder does not close it. */
  redis: RedisConnection;
  /** Key prefix with a hash tag; must match the server's. */
  prefix: string;
  /** How often totals are added to Redis (ms). Default 1000. */
  flushIntervalMs?: number;
  /** Milliseconds since the epoch, for the writer heartbeat. Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
  /** Names this process in the writers set. Default `host:pid:random`. */
  writerId?: string;
  /** Histogram bucket bounds in seconds. Default {@link LATENCY_BUCKETS_SECONDS}. */
  buckets?: readonly number[];
  /**
   * Whether this process announces itself in the writers set, which `/readyz` and `smsq status`
   * read as "a worker is alive". Default true; the server, which records only receipts, sets
   * false. The heartbeat starts when the worker given this recorder is running
   * ({@link CallMetricsRecorder.startHeartbeat}), not when the recorder is made: a worker refused
   * at start (Redis's durability settings) writes nothing, and none is counted as serving.
   */
  heartbeat?: boolean;
}

export interface CallMetricsRecorder {
  /**
   * The id its heartbeat names the process by (`writerId`): `createSmsWorker` takes it as its own
   * worker id, so that the process's clock skew and other words carry the same one on /metrics.
   * Optional for recorders of one's own.
   */
  readonly writerId?: string;
  recordCall(call: CallRecord): void;
  /**
   * Starts the writer heartbeat (every flush from now on); `createSmsWorker` calls it once it takes
   * jobs. Optional for recorders of one's own.
   */
  startHeartbeat?(): void;
  /**
   * A pause a limiter imposed: `throttled` (Dysmsapi said slow down: the queue's rate limit holds
   * every worker for `seconds`), `account` (the account is blocked: sending paused until resumed;
   * `seconds` 0 when unknown). Pauses requested by several workers at once may overlap. Also every
   * call's wait for its pacer slot, lane included: `pacer-urgent` (verification codes),
   * `pacer-normal` (notifications), `pacer-bulk` (marketing, look-ups).
   */
  recordLimiterWait(reason: string, seconds: number): void;
  /** A final receipt, `seconds` after acceptance; `source` is `query` (look-up) or `report` (pushed). */
  recordReceipt(source: string, seconds: number): void;
  /**
   * An attempt whose outcome is unknown and is being looked up (reconcile), known since `sinceMs`.
   * Indexed in Redis so that `/metrics` can say how long the oldest unresolved one has waited.
   */
  recordUnknownOutcome(chunkId: string, attempt: number, sinceMs: number): void;
  /** A send auto-paused at `atMs` (too many failed chunks), for the gauge of auto-paused sends. */
  recordAutoPause(sendId: string, atMs: number): void;
  /**
   * A failed attempt of a housekeeping job (`name`: a callback), by what became of it
   * ({@link HousekeepingFailure}). Written to Redis at once: failures are rare.
   */
  recordHousekeepingFailure(name: string, outcome: HousekeepingFailure): Promise<void>;
  /**
   * How a reconcile look-up decided an attempt whose outcome was unknown ({@link ReconcileResult}),
   * counted once per decision that moved the chunk. Written to Redis at once: unknown outcomes are rare.
   */
  recordReconcileResult(result: ReconcileResult): Promise<void>;
  /** Adds what was recorded since the last flush to Redis now. */
  flush(): Promise<void>;
  /** Stops the timer and flushes one last time. */
  close(): Promise<void>;
}

/**
 * What became of a failed housekeeping attempt: `retried` with back-off, `given-up` after its last
 * attempt, or `deferred`: the worker could not make it at all (a callback on a worker without
 * SMSQ_CALLBACK_SECRET), so it was moved back for later without using an attempt.
 */
export const HOUSEKEEPING_FAILURES = ['retried', 'given-up', 'deferred'] as const;
export type HousekeepingFailure = (typeof HOUSEKEEPING_FAILURES)[number];

/**
 * What a reconcile look-up decided of an attempt whose answer was lost: `found` accepted at Alibaba
 * (not resent), `not-found` after the settle window (resent with a new OutId), `gave-up` (its
 * look-ups failed or could not be made: its recipients expire as SMSQ_OUTCOME_UNKNOWN).
 */
export const RECONCILE_RESULTS = ['found', 'not-found', 'gave-up'] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];

/** How long a writer that stopped flushing still counts as present (ms). */
export const WRITER_TTL_MS = 60_000;

/**
 * Index entries of unknown outcomes older than this are dropped by the writers: a look-up gives up
 * within about an hour (the recipients then expire as unknown), so an older entry is stale.
 */
export const UNKNOWN_INDEX_HORIZON_MS = 24 * 3600_000;

/** The auto-paused index keeps this many newest sends. */
export const AUTO_PAUSED_KEEP = 1000;

export function createCallMetricsRecorder(options: CallMetricsRecorderOptions): CallMetricsRecorder & Required<Pick<CallMetricsRecorder, 'startHeartbeat'>> {
  const keys = metricKeys(options.prefix);
  const now = options.now ?? Date.now;
  const aggregate = createCallAggregate(options.buckets ?? LATENCY_BUCKETS_SECONDS);
  const writerId = options.writerId ?? newWorkerId();
  const log = options.logger?.child({ component: 'call-metrics' });
  let inFlight: Promise<void> | undefined;
  let closed = false;
  let beating = false;
  // Said once: while closing, a flush behind a failed one fails too, carrying what that one put back.
  let lostSaid = false;
  let failures = 0;
  // Index entries waiting for the next flush: member → score (ms).
  let unknownOutcomes = new Map<string, number>();
  let autoPauses = new Map<string, number>();

  async function flushOnce(): Promise<void> {
    // Before anything is drained: a clock that throws then loses nothing (the catch below restores only what the MULTI carried).
    const t = now();
    const deltas = aggregate.drain();
    const unknownBatch = unknownOutcomes;
    const pauseBatch = autoPauses;
    unknownOutcomes = new Map();
    autoPauses = new Map();
    // One MULTI: all increments of a flush land together or not at all.
    const multi = options.redis.multi();
    for (const [key, map] of [
      [keys.calls, deltas.calls],
      [keys.latency, deltas.latency],
      [keys.waits, deltas.waits],
    ] as const) {
      for (const [field, n] of map) {
        if (isFloatField(field)) multi.hincrbyfloat(key, field, n);
        else multi.hincrby(key, field, n);
      }
    }
    if (unknownBatch.size > 0) {
      // NX: the first time an attempt was found unknown is what its age counts from.
      for (const [member, since] of unknownBatch) multi.zadd(keys.unknownOutcomes, 'NX', since, member);
      multi.zremrangebyscore(keys.unknownOutcomes, '-inf', t - UNKNOWN_INDEX_HORIZON_MS);
    }
    if (pauseBatch.size > 0) {
      for (const [sendId, at] of pauseBatch) multi.zadd(keys.autoPaused, at, sendId);
      multi.zremrangebyrank(keys.autoPaused, 0, -AUTO_PAUSED_KEEP - 1);
    }
    const carries = deltas.calls.size + deltas.latency.size + deltas.waits.size + unknownBatch.size + pauseBatch.size > 0;
    // The heartbeat doubles as "a worker was seen" for /readyz when CLIENT LIST is unavailable.
    // Never once closing: close() takes this process out of the set, and no later flush may put it back.
    const beat = options.heartbeat !== false && beating && !closed;
    // Nothing to write: no round trip, and nothing to lose.
    if (!carries && !beat) return;
    if (beat) {
      multi.zadd(keys.writers, t, writerId);
      multi.zremrangebyscore(keys.writers, '-inf', t - 24 * 3600_000);
    }
    try {
      const res = await multi.exec();
      const err = res?.find(([e]) => e)?.[0];
      if (err) throw err;
      failures = 0;
    } catch (err) {
      aggregate.restore(deltas);
      for (const [member, since] of unknownBatch) unknownOutcomes.set(member, Math.min(since, unknownOutcomes.get(member) ?? since));
      for (const [sendId, at] of pauseBatch) autoPauses.set(sendId, Math.max(at, autoPauses.get(sendId) ?? at));
      const reason = err instanceof Error ? err.message : String(err);
      // Once closing there is no next flush; the reason alone (ioredis's error carries a stack and its earlier errors).
      if (closed) {
        // A heartbeat alone is no metrics to lose.
        if (carries && !lostSaid) log?.warn({ reason }, 'could not write the last call metrics to Redis while closing; they are lost');
        lostSaid ||= carries;
      }
      // Redis gone or frozen: the reason alone, as above (the Redis watch says the outage itself).
      else if (failures++ % 60 === 0) log?.warn(isRedisConnectionError(err) ? { reason } : { err }, 'could not flush call metrics to Redis; keeping them for the next flush');
    }
  }

  // A flush asked for while one is writing: it runs after that one (callers asking meanwhile share it).
  let next: Promise<void> | undefined;

  function flush(): Promise<void> {
    // Never two flushes at once: the second would drain what the first restores on failure. Nor
    // may a caller get the running one: it took its data before the caller's last records.
    if (!inFlight) {
      inFlight = flushOnce().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    }
    // After the running one however it ends: a rejection must not leave `next` set (every later
    // caller would get that old rejection and its records would wait for the timer).
    const after = () => {
      next = undefined;
      return flush();
    };
    next ??= inFlight.then(after, after);
    return next;
  }

  const timer = setInterval(() => {
    if (!closed) void flush();
  }, options.flushIntervalMs ?? 1000);
  timer.unref();

  return {
    writerId,
    recordCall: (call) => aggregate.recordCall(call),
    startHeartbeat() {
      if (beating || closed || options.heartbeat === false) return;
      beating = true;
      // At once: status counts a worker from its first beat, not a flush interval later.
      void flush();
    },
    recordLimiterWait: (reason, seconds) => aggregate.recordWait(reason, seconds),
    recordReceipt: (source, seconds) => aggregate.recordReceipt(source, seconds),
    recordUnknownOutcome(chunkId, attempt, sinceMs) {
      const member = unknownOutcomeMember(chunkId, attempt);
      unknownOutcomes.set(member, Math.min(sinceMs, unknownOutcomes.get(member) ?? sinceMs));
    },
    recordAutoPause(sendId, atMs) {
      autoPauses.set(sendId, atMs);
    },
    async recordHousekeepingFailure(name, outcome) {
      await options.redis.hincrby(keys.housekeepingFailures, `${name}${FIELD_SEP}${outcome}`, 1).catch((err: unknown) => log?.warn({ err }, 'could not count a failed housekeeping job'));
    },
    async recordReconcileResult(result) {
      await options.redis.hincrby(keys.reconcileResults, result, 1).catch((err: unknown) => log?.warn({ err }, 'could not count a reconcile result'));
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await flush();
      // A flush asked for behind a running one can start after the one awaited here: what it
      // carries is written before close() returns (the caller may disconnect Redis next).
      for (let pending = next ?? inFlight; pending; pending = next ?? inFlight) await pending.catch(() => undefined);
      // Only a heartbeat ever added this process to the writers set.
      if (beating) await options.redis.zrem(keys.writers, writerId).catch(() => {});
    },
  };
}

/** What an outcome counts as: `accepted` for a send that went through, `ok` for other calls, else the error class. */
export function outcomeClass(operation: string, outcome: SmsOutcome<unknown>): string {
  if (outcome.ok) return operation === 'SendSms' || operation === 'SendBatchSms' ? 'accepted' : 'ok';
  return outcome.error.errorClass;
}

/**
 * Wraps every method of `client` to record its operation, outcome class, latency and (for sends)
 * the number of recipients. Calls are passed through unchanged; a call that throws (the client's
 * contract says it never does) is recorded as `exception` and rethrown.
 */
export function instrumentSmsClient(client: SmsClient, recorder: Pick<CallMetricsRecorder, 'recordCall'>, clock: () => number = () => performance.now()): SmsClient {
  const wrapped: Partial<Record<keyof SmsClient, unknown>> = {};
  // The `operation` label is the Dysmsapi action.
  for (const method of SMS_CLIENT_METHODS) {
    const operation = SMS_CLIENT_ACTIONS[method];
    const original = client[method] as (arg: unknown) => Promise<SmsOutcome<unknown>>;
    wrapped[method] = async (arg: unknown) => {
      const started = clock();
      const recipients =
        method === 'sendSms' || method === 'sendBatchSms' ? (arg as { phoneNumbers?: unknown[] } | undefined)?.phoneNumbers?.length : undefined;
      try {
        const outcome = await original.call(client, arg);
        recorder.recordCall({ operation, outcome: outcomeClass(operation, outcome), seconds: (clock() - started) / 1000, recipients });
        return outcome;
      } catch (err) {
        recorder.recordCall({ operation, outcome: 'exception', seconds: (clock() - started) / 1000, recipients });
        throw err;
      }
    };
  }
  return wrapped as SmsClient;
}
