/**
 * In-memory totals of Dysmsapi calls, limiter waits and call and receipt latencies between two
 * flushes to Redis.
 * Pure: no I/O, no timers; `call-metrics.ts` drains it every second.
 */
import { FIELD_SEP } from './metric-keys.js';

/** Upper bounds (seconds) of the call-latency histogram buckets; `+Inf` is implied. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10]);

/** Upper bounds (seconds) of the receipt-latency histogram: acceptance to final receipt. */
export const RECEIPT_BUCKETS_SECONDS: readonly number[] = Object.freeze([1, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400]);

/** Receipt latencies share the latency hash under this operation prefix (`receipt.query`, `receipt.report`). */
export const RECEIPT_OPERATION_PREFIX = 'receipt.';

/** How far a receipt's time may fall from its acceptance and still be taken as its latency. */
const PLAUSIBLE_RECEIPT = Object.freeze({ earlyMs: 3_600_000, lateMs: 7 * 86_400_000 });

/**
 * Seconds from acceptance to a final receipt, for `recordReceipt`; `undefined` (nothing to record)
 * when either time is unknown, or when the receipt's time cannot be its own: more than an hour
 * before acceptance or a week after it (a carrier keeps an SMS three days at most). A pushed
 * `report_time` is whatever the push says: one of year 9999 would have weighed on the histogram's
 * sum for ever. A receipt stamped a little before acceptance (clock skew) counts as 0.
 */
export function receiptLatencySeconds(acceptedAt: number | undefined, receivedAt: number | undefined): number | undefined {
  if (acceptedAt === undefined || receivedAt === undefined) return undefined;
  const latencyMs = receivedAt - acceptedAt;
  if (latencyMs < -PLAUSIBLE_RECEIPT.earlyMs || latencyMs > PLAUSIBLE_RECEIPT.lateMs) return undefined;
  return Math.max(0, latencyMs) / 1000;
}

/** One finished API call. */
export interface CallRecord {
  /** Dysmsapi action, e.g. `SendSms`, `QuerySendDetails`. */
  operation: string;
  /** `accepted` (a send that was accepted), `ok` (any other call that succeeded), or the error class. */
  outcome: string;
  /** Wall time of the call in seconds. */
  seconds: number;
  /** Numbers the call addressed (sends only). */
  recipients?: number;
}

/** Field increments per hash, ready for HINCRBY (integers) and HINCRBYFLOAT (`sum`, `seconds`). */
export interface CallDeltas {
  calls: Map<string, number>;
  latency: Map<string, number>;
  waits: Map<string, number>;
}

export interface CallAggregate {
  recordCall(call: CallRecord): void;
  /** Time spent held back by a limiter (`reason` is a short snake_case word, e.g. `throttled`). */
  recordWait(reason: string, seconds: number): void;
  /** Time from acceptance to a final receipt, by where the receipt came from (`query`, `report`). */
  recordReceipt(source: string, seconds: number): void;
  /** Whether anything was recorded since the last drain. */
  readonly empty: boolean;
  /** Returns the increments recorded since the last drain and starts again from zero. */
  drain(): CallDeltas;
  /** Adds increments back (a flush that failed), so that they go out with the next one. */
  restore(deltas: CallDeltas): void;
}

/** Label values go into Redis hash fields: keep them to a safe alphabet. */
export function labelValue(v: string): string {
  const clean = v.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return clean === '' ? 'unknown' : clean;
}

/** The histogram bucket a latency falls in, as its `le=` field suffix. */
export function bucketOf(seconds: number, bounds: readonly number[] = LATENCY_BUCKETS_SECONDS): string {
  for (const b of bounds) if (seconds <= b) return `le=${b}`;
  return 'le=+Inf';
}

function add(map: Map<string, number>, field: string, n: number): void {
  map.set(field, (map.get(field) ?? 0) + n);
}

function emptyDeltas(): CallDeltas {
  return { calls: new Map(), latency: new Map(), waits: new Map() };
}

/** A duration as recorded: a negative, NaN or infinite one counts as 0. */
function clampSeconds(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}

export function createCallAggregate(bounds: readonly number[] = LATENCY_BUCKETS_SECONDS): CallAggregate {
  let unflushed = emptyDeltas();
  let count = 0;
  /** One latency-histogram observation of `op` (bucket, sum, count). */
  const observe = (op: string, seconds: number, histogramBounds: readonly number[]) => {
    const s = clampSeconds(seconds);
    add(unflushed.latency, `${op}${FIELD_SEP}${bucketOf(s, histogramBounds)}`, 1);
    add(unflushed.latency, `${op}${FIELD_SEP}sum`, s);
    add(unflushed.latency, `${op}${FIELD_SEP}count`, 1);
    count++;
  };
  return {
    recordCall({ operation, outcome, seconds, recipients }) {
      const op = labelValue(operation);
      const oc = labelValue(outcome);
      add(unflushed.calls, `${op}${FIELD_SEP}${oc}${FIELD_SEP}calls`, 1);
      if (recipients !== undefined && recipients > 0) add(unflushed.calls, `${op}${FIELD_SEP}${oc}${FIELD_SEP}recipients`, recipients);
      observe(op, seconds, bounds);
    },
    recordReceipt(source, seconds) {
      observe(`${RECEIPT_OPERATION_PREFIX}${labelValue(source)}`, seconds, RECEIPT_BUCKETS_SECONDS);
    },
    recordWait(reason, seconds) {
      const r = labelValue(reason);
      add(unflushed.waits, `${r}${FIELD_SEP}count`, 1);
      add(unflushed.waits, `${r}${FIELD_SEP}seconds`, clampSeconds(seconds));
      count++;
    },
    get empty() {
      return count === 0;
    },
    drain() {
      const out = unflushed;
      unflushed = emptyDeltas();
      count = 0;
      return out;
    },
    restore(deltas) {
      for (const key of ['calls', 'latency', 'waits'] as const) {
        for (const [f, n] of deltas[key]) {
          add(unflushed[key], f, n);
          count++;
        }
      }
    },
  };
}

/** Fields whose values are fractional (HINCRBYFLOAT); every other field is an integer count. */
export function isFloatField(field: string): boolean {
  return field.endsWith(`${FIELD_SEP}sum`) || field.endsWith(`${FIELD_SEP}seconds`);
}
