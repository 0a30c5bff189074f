/**
 * Reads what every process's call-metrics recorder added to Redis, in one round trip, and turns
 * the raw hashes into series. `parseCallMetrics` is pure, for unit tests.
 */
import type { RedisConnection } from '../queue/connection.js';
import { RECEIPT_OPERATION_PREFIX } from './call-aggregate.js';
import { WRITER_TTL_MS } from './call-metrics.js';
import { FIELD_SEP, metricKeys } from './metric-keys.js';

export interface CallSeries {
  operation: string;
  outcome: string;
  calls: number;
  recipients: number;
}

export interface LatencySeries {
  operation: string;
  /** Cumulative counts per upper bound, ascending; the last one is `Infinity`. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

export interface WaitSeries {
  reason: string;
  count: number;
  seconds: number;
}

export interface CallMetricsSnapshot {
  calls: CallSeries[];
  latency: LatencySeries[];
  /** Acceptance-to-receipt latency; `operation` holds the source (`query`, `report`). */
  receipts: LatencySeries[];
  waits: WaitSeries[];
  /** Worker processes (recorders with a heartbeat, not the server's) that flushed within the last minute. */
  writers: number;
  /** Recipients per state across every send, when the chunk scripts maintain the totals hash. */
  recipients: Record<string, number> | undefined;
}

export interface RawCallMetrics {
  calls: Record<string, string>;
  latency: Record<string, string>;
  waits: Record<string, string>;
  recipients: Record<string, string>;
  writers: number;
}

const num = (v: string | undefined) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

export function parseCallMetrics(raw: RawCallMetrics): CallMetricsSnapshot {
  const calls = new Map<string, CallSeries>();
  for (const [field, value] of Object.entries(raw.calls)) {
    const [operation, outcome, what] = field.split(FIELD_SEP);
    if (!operation || !outcome || (what !== 'calls' && what !== 'recipients')) continue;
    const key = `${operation}${FIELD_SEP}${outcome}`;
    let s = calls.get(key);
    if (!s) calls.set(key, (s = { operation, outcome, calls: 0, recipients: 0 }));
    s[what] += num(value);
  }

  const perOp = new Map<string, { bins: Map<number, number>; sum: number; count: number }>();
  for (const [field, value] of Object.entries(raw.latency)) {
    const [operation, what] = field.split(FIELD_SEP);
    if (!operation || !what) continue;
    let s = perOp.get(operation);
    if (!s) perOp.set(operation, (s = { bins: new Map(), sum: 0, count: 0 }));
    if (what === 'sum') s.sum += num(value);
    else if (what === 'count') s.count += num(value);
    else if (what.startsWith('le=')) {
      const bound = what === 'le=+Inf' ? Infinity : Number(what.slice(3));
      if (!Number.isNaN(bound)) s.bins.set(bound, (s.bins.get(bound) ?? 0) + num(value));
    }
  }
  const latency: LatencySeries[] = [];
  for (const [operation, s] of perOp) {
    const bounds = [...s.bins.keys()].filter((b) => b !== Infinity).sort((a, b) => a - b);
    let acc = 0;
    const buckets = bounds.map((le) => ({ le, count: (acc += s.bins.get(le) ?? 0) }));
    // +Inf is the total: taken from `count` so that it always matches `_count`.
    buckets.push({ le: Infinity, count: Math.max(s.count, acc + (s.bins.get(Infinity) ?? 0)) });
    latency.push({ operation, buckets, sum: s.sum, count: Math.max(s.count, acc + (s.bins.get(Infinity) ?? 0)) });
  }

  const waits = new Map<string, WaitSeries>();
  for (const [field, value] of Object.entries(raw.waits)) {
    const [reason, what] = field.split(FIELD_SEP);
    if (!reason || (what !== 'count' && what !== 'seconds')) continue;
    let s = waits.get(reason);
    if (!s) waits.set(reason, (s = { reason, count: 0, seconds: 0 }));
    s[what] += num(value);
  }

  const recipients = Object.keys(raw.recipients).length
    ? Object.fromEntries(Object.entries(raw.recipients).map(([state, n]) => [state, num(n)]))
    : undefined;

  const byName = <T>(a: T[], key: (t: T) => string) => a.sort((x, y) => key(x).localeCompare(key(y)));
  return {
    calls: byName([...calls.values()], (s) => `${s.operation}|${s.outcome}`),
    latency: byName(latency.filter((s) => !s.operation.startsWith(RECEIPT_OPERATION_PREFIX)), (s) => s.operation),
    receipts: byName(
      latency.filter((s) => s.operation.startsWith(RECEIPT_OPERATION_PREFIX)).map((s) => ({ ...s, operation: s.operation.slice(RECEIPT_OPERATION_PREFIX.length) })),
      (s) => s.operation,
    ),
    waits: byName([...waits.values()], (s) => s.reason),
    writers: raw.writers,
    recipients,
  };
}

/** Reads the call-metrics hashes, the recipient totals and the live-writer count in one pipeline; `nowMs` on Redis's clock, as readAlertState's. */
export async function readCallMetrics(redis: RedisConnection, prefix: string, nowMs: number): Promise<CallMetricsSnapshot> {
  const keys = metricKeys(prefix);
  const res = await redis
    .pipeline()
    .hgetall(keys.calls)
    .hgetall(keys.latency)
    .hgetall(keys.waits)
    .hgetall(keys.recipients)
    .zcount(keys.writers, nowMs - WRITER_TTL_MS, '+inf')
    .exec();
  if (!res) throw new Error('Redis pipeline was aborted');
  const err = res.find(([e]) => e)?.[0];
  if (err) throw err;
  const [calls, latency, waits, recipients, writers] = res.map(([, v]) => v) as [
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
    number,
  ];
  return parseCallMetrics({ calls, latency, waits, recipients, writers });
}
