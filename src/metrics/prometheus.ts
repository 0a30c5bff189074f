/**
 * `/metrics` in the Prometheus text format. Values that live in Redis (queue depths, recipient
 * totals, the workers' call metrics) are read fresh for every scrape and put in a registry made
 * for that scrape, as Prometheus advises for data collected elsewhere; the server's own process
 * metrics come from a long-lived registry.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { CallMetricsSnapshot, LatencySeries } from './metrics-snapshot.js';

/** What one queue looks like at scrape time. */
export interface QueueStats {
  queue: string;
  /** Jobs per BullMQ state (waiting, active, delayed, prioritized, completed, failed, paused, ...). */
  counts: Record<string, number>;
  paused: boolean;
  /** Remaining milliseconds of a rate-limit pause (Dysmsapi throttling, or the window is full); 0 when none. */
  rateLimitedMs: number;
  /** Worker connections; undefined when Redis does not allow CLIENT LIST. */
  workers: number | undefined;
}

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Every metric family smsq exposes (besides the `smsq_server_` process metrics). */
export const METRIC_NAMES = Object.freeze({
  queueJobs: 'smsq_queue_jobs',
  queuePaused: 'smsq_queue_paused',
  queueRateLimited: 'smsq_queue_rate_limited_seconds',
  queueWorkers: 'smsq_queue_workers',
  recipients: 'smsq_recipients',
  apiCalls: 'smsq_api_calls_total',
  apiCallRecipients: 'smsq_api_call_recipients_total',
  apiCallDuration: 'smsq_api_call_duration_seconds',
  receiptLatency: 'smsq_receipt_latency_seconds',
  limiterWaits: 'smsq_limiter_waits_total',
  limiterWaitSeconds: 'smsq_limiter_wait_seconds_total',
  metricsWriters: 'smsq_metrics_writers',
});

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * A histogram whose buckets were counted by other processes. prom-client has no public way to set
 * a histogram's bucket counts (only `observe`), so this one family is written by hand, in the
 * same text format.
 */
export function renderHistogram(name: string, help: string, series: LatencySeries[], label = 'operation'): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const s of series) {
    const op = `${label}="${escapeLabel(s.operation)}"`;
    for (const b of s.buckets) lines.push(`${name}_bucket{${op},le="${b.le === Infinity ? '+Inf' : String(b.le)}"} ${b.count}`);
    lines.push(`${name}_sum{${op}} ${s.sum}`, `${name}_count{${op}} ${s.count}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface RenderInput {
  queues: QueueStats[];
  calls: CallMetricsSnapshot;
  /** Long-lived registry of this process's own metrics (prom-client default metrics). */
  processRegistry?: Registry;
}

export async function renderPrometheus({ queues, calls, processRegistry }: RenderInput): Promise<string> {
  const reg = new Registry();
  const registers = [reg];
  const N = METRIC_NAMES;

  const jobs = new Gauge({ name: N.queueJobs, help: 'Jobs in each BullMQ state, per queue (one job is one Dysmsapi call).', labelNames: ['queue', 'state'], registers });
  const paused = new Gauge({ name: N.queuePaused, help: '1 when the queue is paused (account blocked or paused by an operator).', labelNames: ['queue'], registers });
  const limited = new Gauge({
    name: N.queueRateLimited,
    help: 'Seconds left of the current rate-limit pause of the queue (Dysmsapi throttling or a full window); 0 when none.',
    labelNames: ['queue'],
    registers,
  });
  const workers = new Gauge({ name: N.queueWorkers, help: 'Worker connections of the queue (CLIENT LIST).', labelNames: ['queue'], registers });
  for (const q of queues) {
    for (const [state, n] of Object.entries(q.counts)) jobs.set({ queue: q.queue, state }, n);
    paused.set({ queue: q.queue }, q.paused ? 1 : 0);
    limited.set({ queue: q.queue }, Math.max(0, q.rateLimitedMs) / 1000);
    if (q.workers !== undefined) workers.set({ queue: q.queue }, q.workers);
  }

  const recipients = new Gauge({
    name: N.recipients,
    help: 'Recipients per state across every send: in-flight states (queued, sending, unknown, accepted) are current; final states only grow.',
    labelNames: ['state'],
    registers,
  });
  for (const [state, n] of Object.entries(calls.recipients ?? {})) recipients.set({ state }, n);

  const apiCalls = new Counter({
    name: N.apiCalls,
    help: 'Dysmsapi calls made by all workers, by operation and outcome class (accepted, ok, or the error class).',
    labelNames: ['operation', 'outcome'],
    registers,
  });
  const apiRecipients = new Counter({
    name: N.apiCallRecipients,
    help: 'Numbers addressed by SendSms and SendBatchSms calls of all workers, by outcome class.',
    labelNames: ['operation', 'outcome'],
    registers,
  });
  for (const s of calls.calls) {
    apiCalls.inc({ operation: s.operation, outcome: s.outcome }, s.calls);
    if (s.recipients > 0) apiRecipients.inc({ operation: s.operation, outcome: s.outcome }, s.recipients);
  }

  const waits = new Counter({
    name: N.limiterWaits,
    help: 'Pauses imposed on all workers by a limiter, by reason (throttled: Dysmsapi asked to slow down; account: account blocked), and the wait of every call for its pacer slot, by lane (pacer-urgent: verification codes; pacer-normal: notifications; pacer-bulk: marketing, look-ups).',
    labelNames: ['reason'],
    registers,
  });
  const waitSeconds = new Counter({ name: N.limiterWaitSeconds, help: 'Seconds of the pauses imposed by a limiter and of the waits for a pacer slot, by reason (overlapping pauses add up; seconds / waits is the mean wait of a pacer lane).', labelNames: ['reason'], registers });
  for (const w of calls.waits) {
    waits.inc({ reason: w.reason }, w.count);
    waitSeconds.inc({ reason: w.reason }, w.seconds);
  }

  new Gauge({ name: N.metricsWriters, help: 'Worker processes that reported call metrics within the last minute.', registers }).set(calls.writers);

  const merged = processRegistry ? Registry.merge([reg, processRegistry]) : reg;
  const text = await merged.metrics();
  return (
    text +
    '\n' +
    renderHistogram(N.apiCallDuration, 'Latency of Dysmsapi calls made by all workers, by operation.', calls.latency) +
    renderHistogram(N.receiptLatency, 'Time from acceptance to a final receipt (delivered or failed), by where the receipt came from (query, report).', calls.receipts, 'source')
  );
}
