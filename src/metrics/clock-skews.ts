/**
 * The workers' clock skews as they record them in Redis (hash `clock-skew` of metric-keys.ts,
 * field: the worker id) for `/metrics` and `/readyz` to read: each worker measures its own clock
 * against Redis's (src/queue/clock-skew-check.ts), and only it knows its threshold.
 */
import { z } from 'zod';
import { skewText } from '../clock-skew.js';

/** One worker's last measure: its skew, the round trip it was measured over, its threshold, and when (ms on Redis's clock). */
export interface ClockSkewRecord {
  skewMs: number;
  roundTripMs: number;
  thresholdMs: number;
  /** Whether the skew was past the threshold, its round trip allowed for (src/clock-skew.ts). */
  past: boolean;
  atMs: number;
}

const RecordSchema = z.object({ skewMs: z.number(), roundTripMs: z.number(), thresholdMs: z.number(), past: z.boolean(), atMs: z.number() });

export function clockSkewField(record: ClockSkewRecord): string {
  return JSON.stringify(record);
}

/**
 * The records of the hash measured since `sinceMs`, by worker, and the fields older than that
 * (workers gone: a worker takes its own back when it closes, one that died leaves it), for the
 * reader to remove. A field this version cannot read (a later version's) is left out, and left.
 */
export function parseClockSkews(hash: Record<string, string>, sinceMs: number): { records: { worker: string; record: ClockSkewRecord }[]; stale: string[] } {
  const records: { worker: string; record: ClockSkewRecord }[] = [];
  const stale: string[] = [];
  for (const [worker, value] of Object.entries(hash)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const record = RecordSchema.safeParse(parsed);
    if (!record.success) continue;
    if (record.data.atMs >= sinceMs) records.push({ worker, record: record.data });
    else stale.push(worker);
  }
  return { records, stale };
}

/**
 * What `/readyz` says of the records past their worker's threshold: how many, and the furthest,
 * without naming a worker (its id names its host; `/metrics` and the worker's own log do).
 * Undefined when none is.
 */
export function clockSkewWarning(records: readonly ClockSkewRecord[]): string | undefined {
  const past = records.filter((r) => r.past);
  if (past.length === 0) return undefined;
  const furthest = past.reduce((a, b) => (Math.abs(b.skewMs) > Math.abs(a.skewMs) ? b : a));
  const whose = past.length === 1 ? "1 worker's clock is" : `${past.length} workers' clocks are`;
  return (
    `${whose} off Redis's by more than SMSQ_CLOCK_SKEW_WARN_MS (the furthest ${skewText(furthest.skewMs)} Redis's): Lua scripts take the time from the worker that runs them, so a send's deadline and the quiet hours are judged on each worker's clock, and a claiming worker behind a reconciling one by more than the settling window's margin could see its attempt resent while it still calls. ` +
    "Fix: run NTP on the workers' hosts (chrony or systemd-timesyncd); smsq_worker_clock_skew_seconds on /metrics and each worker's log name them"
  );
}
