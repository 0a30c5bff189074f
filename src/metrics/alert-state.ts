/**
 * What an operator must act on, read from Redis at scrape time for `/metrics` (and the alert
 * rules in ops/prometheus): an account block, sends auto-paused, sends paused and for how long
 * (src/metrics/paused-sends.ts), sends withdrawn at enqueue and
 * held, the oldest attempt whose outcome is still unknown, the workers' heartbeats and clock skews, the workers
 * held for durability, the live workers and those backing off from a fault of their own, and the
 * pushed reports set aside. The pure parts (`parseAccountBlock`,
 * `countAutoPaused`, `heldWithdrawn`, `isUnresolved`) are unit-tested without Redis.
 */
import { parseAccountBlock as parseBlock } from '../queue/account-block.js';
import type { RedisConnection } from '../queue/connection.js';
import { createKeys } from '../queue/keys.js';
import { DURABILITY_HOLD_TTL_MS, parseDurabilityHolds } from '../queue/durability-holds.js';
import { countBackingOff, ENDPOINT_BACKOFF_GRACE_MS } from '../queue/endpoint-backoffs.js';
import { WORKER_SETTINGS_TTL_MS } from '../queue/worker-settings.js';
import { isWithdrawn, WITHDRAWAL_OUTCOMES, type WithdrawalOutcome } from '../queue/withdrawal.js';
import { FIELD_SEP, metricKeys, parseUnknownOutcomeMember } from './metric-keys.js';
import { parseClockSkews } from './clock-skews.js';
import { readPausedSends, type PausedSends } from './paused-sends.js';
import { pipelineResults } from './pipeline-results.js';

/** Heartbeats older than this are not exported: a worker gone for an hour drops out of the series. */
export const WORKER_SERIES_HORIZON_MS = 3600_000;

/** Unknown-outcome index entries checked per batch, and batches per scrape at most. */
const UNKNOWN_BATCH = 200;
const UNKNOWN_BATCHES = 3;

export interface AlertState {
  /** The account block every worker obeys (`smsq resume` lifts it); undefined when sending is allowed. */
  accountBlock: { code: string; sinceMs: number } | undefined;
  /** Sends paused by auto-pause and not yet resumed or cancelled. */
  autoPausedSends: number;
  /** Sends paused by an operator or auto-pause and left so, and since when the longest-paused one is (src/metrics/paused-sends.ts). */
  pausedSends: PausedSends;
  /** Sends withdrawn at enqueue (not confirmed durable) and still held: no retry took them back, nor the repair sweep cancelled them yet. */
  withdrawnSends: number;
  /** Withdrawals at enqueue so far, by outcome (src/queue/withdrawal.ts), every outcome present. */
  withdrawals: Record<WithdrawalOutcome, number>;
  /** When the oldest attempt whose outcome is still unknown was first found so (ms); undefined when none. */
  oldestUnknownSinceMs: number | undefined;
  /** Worker processes with a heartbeat within {@link WORKER_SERIES_HORIZON_MS}, and when each was last seen (ms). */
  workers: { worker: string; lastSeenMs: number }[];
  /** Each worker's last measure of its clock against Redis's within {@link WORKER_SERIES_HORIZON_MS} (src/metrics/clock-skews.ts): > 0 ahead, < 0 behind (ms). */
  clockSkews: { worker: string; skewMs: number }[];
  /** Pushed reports set aside so far, by reason (docs/receipts-and-controls.md). */
  refusedReceipts: Record<string, number>;
  /** Times of pushed reports refused while their report was applied, by field (src/receipts/refused-report-fields.ts). */
  refusedReportFields: Record<string, number>;
  /** Pushed replies set aside, by reason (receipts/refused-replies.ts). */
  refusedReplies: Record<string, number>;
  /** Reconcile look-ups' decisions so far, by result (call-metrics.ts RECONCILE_RESULTS). */
  reconcileResults: Record<string, number>;
  /** Failed attempts of housekeeping jobs so far, by job name and outcome (`retried`, `given-up`). */
  housekeepingFailures: { name: string; outcome: string; count: number }[];
  /** Live workers that make no new call because Redis does not keep their durability mode (src/queue/durability-holds.ts). */
  durabilityHeldWorkers: number;
  /**
   * Live workers: those that said their settings within the last minute (src/queue/worker-settings.ts),
   * every worker with or without a metrics recorder, as `smsq status` counts them.
   */
  liveWorkers: number;
  /**
   * Live workers that back off now from a fault of their own (src/queue/endpoint-backoffs.ts), by
   * code: every code a worker backs off from, and `other`, each present.
   */
  backingOffWorkers: Record<string, number>;
}

/**
 * The account hash as the account guard writes it (src/queue/account-block.ts). The worker that hit
 * the block is left out on purpose: as a label it would start a new series at every block (its pid
 * changes with each restart), and a block re-hit by another worker would restart the alert's `for`.
 * `smsq status`, `smsq resume` and the worker's log name it.
 */
export function parseAccountBlock(hash: Record<string, string>): AlertState['accountBlock'] {
  const block = parseBlock(hash);
  return block && { code: block.code, sinceMs: block.since };
}

/** The housekeeping-failures hash (`<name>|<outcome>` → count); other fields are skipped. */
export function parseHousekeepingFailures(hash: Record<string, string>): AlertState['housekeepingFailures'] {
  return Object.entries(hash).flatMap(([field, n]) => {
    const [name, outcome, ...rest] = field.split(FIELD_SEP);
    return name && outcome && rest.length === 0 ? [{ name, outcome, count: Number(n) || 0 }] : [];
  });
}

/** Sends whose record still says they are paused by auto-pause (`[control, controlReason]` per send). */
export function countAutoPaused(records: readonly (readonly (string | null)[])[]): number {
  return records.filter(([control, reason]) => control === 'paused' && (reason ?? '').startsWith('auto-pause')).length;
}

/**
 * Which indexed sends are still held by their withdrawal (`[state, controlReason]` per send, as
 * their records say; nulls for a record gone): true at the index of each.
 */
export function heldWithdrawn(records: readonly (readonly (string | null)[])[]): boolean[] {
  return records.map(([state, controlReason]) => state === 'paused' && isWithdrawn({ state, controlReason: controlReason ?? undefined }));
}

/** The withdrawals hash (outcome → count), every outcome present; other fields are skipped. */
export function parseWithdrawals(hash: Record<string, string>): AlertState['withdrawals'] {
  return Object.fromEntries(WITHDRAWAL_OUTCOMES.map((outcome) => [outcome, Number(hash[outcome] ?? 0) || 0])) as AlertState['withdrawals'];
}

/**
 * Whether an indexed attempt is still in doubt: its chunk is at that attempt and `unknown` (or
 * still `sending`, where a worker died mid-call). Any other state, a later attempt or a chunk
 * gone means it was resolved: accepted, resent, or expired.
 */
export function isUnresolved(attempt: number, chunk: { state: string | null; attempt: string | null }): boolean {
  return Number(chunk.attempt) === attempt && (chunk.state === 'unknown' || chunk.state === 'sending');
}


/** Pairs of a WITHSCORES reply. */
function scored(flat: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as string, Number(flat[i + 1])]);
  return out;
}

/**
 * The oldest attempt of the unknown-outcome index that is still unresolved. Resolved entries met
 * on the way are removed (an attempt never becomes unknown again, so this is safe at any time).
 */
async function oldestUnknown(redis: RedisConnection, indexKey: string, chunkKey: (id: string) => string): Promise<number | undefined> {
  for (let batch = 0; batch < UNKNOWN_BATCHES; batch++) {
    const entries = scored(await redis.zrange(indexKey, 0, UNKNOWN_BATCH - 1, 'WITHSCORES'));
    if (entries.length === 0) return undefined;
    const pipeline = redis.pipeline();
    const parsed = entries.map(([member]) => parseUnknownOutcomeMember(member));
    for (const p of parsed) pipeline.hmget(chunkKey(p?.chunkId ?? ''), 'state', 'attempt');
    const chunks = pipelineResults(await pipeline.exec()) as [string | null, string | null][];
    const resolved: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const [member, since] = entries[i] as [string, number];
      const p = parsed[i];
      const [state, attempt] = chunks[i] as [string | null, string | null];
      if (p && isUnresolved(p.attempt, { state, attempt })) {
        if (resolved.length > 0) await redis.zrem(indexKey, ...resolved);
        return since;
      }
      resolved.push(member);
    }
    await redis.zrem(indexKey, ...resolved);
  }
  // Every entry looked at was resolved; the rest are judged at the next scrape.
  return undefined;
}

/**
 * Sends of the withdrawn index still held. Those no longer held (taken back, cancelled, moved by
 * another script, expired) are removed: a send is withdrawn once, by the request that enqueued it
 * right after its enqueue (the lifecycle's `withdraw` moves only an active send), so one found
 * not held is not held again, and dropping it is safe at any time.
 */
async function countWithdrawn(redis: RedisConnection, indexKey: string, sendKey: (id: string) => string, sendIds: readonly string[]): Promise<number> {
  if (sendIds.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const sendId of sendIds) pipeline.hmget(sendKey(sendId), 'state', 'controlReason');
  const held = heldWithdrawn(pipelineResults(await pipeline.exec()) as (string | null)[][]);
  const gone = sendIds.filter((_, i) => !held[i]);
  if (gone.length > 0) await redis.zrem(indexKey, ...gone);
  return sendIds.length - gone.length;
}

/**
 * Reads the state behind the alerting gauges at `nowMs`, Redis's time (redisNowMs): the workers
 * stamped what is read here, each on a clock kept near Redis's, and the reader's may be off.
 */
export async function readAlertState(redis: RedisConnection, prefix: string, nowMs: number): Promise<AlertState> {
  const keys = metricKeys(prefix);
  const records = createKeys(prefix);
  const [account, writers, refused, paused, housekeeping, holding, withdrawn, withdrawals, settings, backingOff, refusedFields, skewHash, refusedReplies, reconciled] = pipelineResults(
    await redis
      .pipeline()
      .hgetall(keys.account)
      .zrangebyscore(keys.writers, nowMs - WORKER_SERIES_HORIZON_MS, '+inf', 'WITHSCORES')
      .hgetall(keys.refusedReceipts)
      .zrange(keys.autoPaused, 0, -1)
      .hgetall(keys.housekeepingFailures)
      .zrangebyscore(records.workerDurabilityHolds(), nowMs - DURABILITY_HOLD_TTL_MS, '+inf')
      .zrange(keys.withdrawn, 0, -1)
      .hgetall(keys.withdrawals)
      // The words `smsq status` reads (send-wait-facts.ts), with the same bounds: the live workers, and their back-offs.
      .zrangebyscore(records.workerSettings(), nowMs - WORKER_SETTINGS_TTL_MS, '+inf')
      .zrangebyscore(records.workerEndpointBackoffs(), nowMs - ENDPOINT_BACKOFF_GRACE_MS, '+inf', 'WITHSCORES')
      .hgetall(records.reportFieldsRefused())
      .hgetall(keys.clockSkews)
      .hgetall(records.refusedReplies())
      .hgetall(keys.reconcileResults)
      .exec(),
  ) as [Record<string, string>, string[], Record<string, string>, string[], Record<string, string>, string[], string[], Record<string, string>, string[], string[], Record<string, string>, Record<string, string>, Record<string, string>, Record<string, string>];
  const backoffs = countBackingOff(backingOff, settings);
  const skews = parseClockSkews(skewHash, nowMs - WORKER_SERIES_HORIZON_MS);
  // A worker that died leaves its record: gone from the series with its heartbeat's.
  if (skews.stale.length > 0) await redis.hdel(keys.clockSkews, ...skews.stale);

  let autoPausedSends = 0;
  if (paused.length > 0) {
    const pipeline = redis.pipeline();
    for (const sendId of paused) pipeline.hmget(records.send(sendId), 'control', 'controlReason');
    autoPausedSends = countAutoPaused(pipelineResults(await pipeline.exec()) as (string | null)[][]);
  }

  return {
    accountBlock: parseAccountBlock(account),
    autoPausedSends,
    pausedSends: await readPausedSends(redis, records, keys.autoPaused),
    withdrawnSends: await countWithdrawn(redis, keys.withdrawn, records.send, withdrawn),
    withdrawals: parseWithdrawals(withdrawals),
    oldestUnknownSinceMs: await oldestUnknown(redis, keys.unknownOutcomes, records.chunk),
    workers: scored(writers).map(([worker, lastSeenMs]) => ({ worker, lastSeenMs })),
    clockSkews: skews.records.map(({ worker, record }) => ({ worker, skewMs: record.skewMs })),
    refusedReceipts: Object.fromEntries(Object.entries(refused).map(([reason, n]) => [reason, Number(n) || 0])),
    refusedReportFields: Object.fromEntries(Object.entries(refusedFields).map(([field, n]) => [field, Number(n) || 0])),
    refusedReplies: Object.fromEntries(Object.entries(refusedReplies).map(([reason, n]) => [reason, Number(n) || 0])),
    reconcileResults: Object.fromEntries(Object.entries(reconciled).map(([result, n]) => [result, Number(n) || 0])),
    housekeepingFailures: parseHousekeepingFailures(housekeeping),
    durabilityHeldWorkers: parseDurabilityHolds(holding)?.workers ?? 0,
    liveWorkers: backoffs.live,
    backingOffWorkers: backoffs.backingOff,
  };
}
