/**
 * `/metrics` in the Prometheus text format. Values that live in Redis (queue depths, recipient
 * totals, the workers' call metrics) are read fresh for every scrape and put in a registry made
 * for that scrape, as Prometheus advises for data collected elsewhere; the server's own process
 * metrics come from a long-lived registry.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { COUNTED_STATES } from '../queue/send-store.js';
import { REFUSED_REPLY_REASONS } from '../receipts/refused-replies.js';
import { REFUSED_RECEIPT_REASONS } from '../receipts/recipient-store.js';
import { REFUSABLE_REPORT_FIELDS } from '../receipts/refused-report-fields.js';
import { HOUSEKEEPING_FAILURES, RECONCILE_RESULTS } from './call-metrics.js';
import { WITHDRAWAL_OUTCOMES } from '../queue/withdrawal.js';
import type { AlertState } from './alert-state.js';
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
  redisUp: 'smsq_redis_up',
  callRateCap: 'smsq_api_call_rate_cap',
  reconcileSettle: 'smsq_reconcile_settle_seconds',
  accountBlocked: 'smsq_account_blocked',
  autoPausedSends: 'smsq_sends_auto_paused',
  pausedSends: 'smsq_sends_paused',
  pausedOldestAge: 'smsq_sends_paused_oldest_age_seconds',
  withdrawnSends: 'smsq_sends_withdrawn',
  withdrawals: 'smsq_send_withdrawals_total',
  unknownOldestAge: 'smsq_unknown_outcome_oldest_age_seconds',
  workerLastSeen: 'smsq_worker_last_seen_timestamp_seconds',
  workerClockSkew: 'smsq_worker_clock_skew_seconds',
  refusedReceipts: 'smsq_receipts_refused_total',
  refusedReportFields: 'smsq_report_fields_refused_total',
  refusedReplies: 'smsq_replies_refused_total',
  housekeepingFailures: 'smsq_housekeeping_failures_total',
  reconcileResults: 'smsq_reconcile_results_total',
  durabilityHeld: 'smsq_workers_durability_held',
  workersLive: 'smsq_workers_live',
  workersBackingOff: 'smsq_workers_backing_off',
});

/** Settings of the deployment that alert rules compare against (from the server's environment). */
export interface DeploymentSettings {
  /** SMS_QPS: the account-wide cap on Dysmsapi calls per second. */
  qps: number;
  /** SMSQ_RECONCILE_SETTLE_MS: after this long, "not found" proves an unknown attempt was not accepted. */
  reconcileSettleMs: number;
}

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
  /** The state behind the alert rules; absent in callers that only render call metrics. */
  alerts?: AlertState;
  /** Scrape time (ms, Redis's: see readAlertState), for the age of the oldest unknown outcome. Default `Date.now()`. */
  nowMs?: number;
  settings?: DeploymentSettings;
  /** Long-lived registry of this process's own metrics (prom-client default metrics). */
  processRegistry?: Registry;
}

/** `smsq_redis_up` and the settings: what this server can say without Redis. */
function renderServerState(registers: Registry[], redisUp: boolean, settings: DeploymentSettings | undefined): void {
  const N = METRIC_NAMES;
  new Gauge({ name: N.redisUp, help: '1 when this server read every metric from Redis for this scrape; 0 when Redis did not answer (only this and the process metrics are then exported).', registers }).set(redisUp ? 1 : 0);
  if (!settings) return;
  new Gauge({ name: N.callRateCap, help: 'SMS_QPS as this server is configured: the account-wide cap on Dysmsapi calls per second, all workers together.', registers }).set(settings.qps);
  new Gauge({ name: N.reconcileSettle, help: 'SMSQ_RECONCILE_SETTLE_MS in seconds: how long after an attempt "not found" proves it was not accepted.', registers }).set(settings.reconcileSettleMs / 1000);
}

/** What `/metrics` says while Redis does not answer: `smsq_redis_up 0`, the settings and this process. */
export async function renderRedisDown({ settings, processRegistry }: Pick<RenderInput, 'settings' | 'processRegistry'>): Promise<string> {
  const reg = new Registry();
  renderServerState([reg], false, settings);
  return (processRegistry ? Registry.merge([reg, processRegistry]) : reg).metrics();
}

/** A gauge with one sample per worker process (label `worker`: its id). */
function workerGauge(registers: Registry[], name: string, help: string, samples: readonly (readonly [string, number])[]): void {
  const gauge = new Gauge({ name, help, labelNames: ['worker'], registers });
  for (const [worker, value] of samples) gauge.set({ worker }, value);
}

/** The gauges of {@link AlertState}. */
function renderAlertState(registers: Registry[], alerts: AlertState, nowMs: number): void {
  const N = METRIC_NAMES;
  const blocked = new Gauge({
    name: N.accountBlocked,
    help: '1 (with the Alibaba code) while the account is blocked and every worker has stopped sending; 0 otherwise. `smsq resume` after fixing the account.',
    labelNames: ['code'],
    registers,
  });
  if (alerts.accountBlock) blocked.set({ code: alerts.accountBlock.code }, 1);
  else blocked.set(0);
  new Gauge({ name: N.autoPausedSends, help: 'Sends paused by auto-pause (too many failed chunks) and not yet resumed or cancelled.', registers }).set(alerts.autoPausedSends);
  new Gauge({
    name: N.pausedSends,
    help: 'Sends paused (by an operator or by auto-pause) and not yet resumed, cancelled or ended; their recipients wait queued, and the repair sweep cancels a send still paused at the end of its retention. Withdrawn sends are not counted (smsq_sends_withdrawn). `smsq sends --state paused` lists them.',
    registers,
  }).set(alerts.pausedSends.count);
  new Gauge({
    name: N.pausedOldestAge,
    help: 'Seconds since the longest-paused of the sends smsq_sends_paused counts was paused; 0 when none.',
    registers,
  }).set(alerts.pausedSends.oldestSinceMs === undefined ? 0 : Math.max(0, nowMs - alerts.pausedSends.oldestSinceMs) / 1000);
  new Gauge({
    name: N.withdrawnSends,
    help: 'Sends withdrawn at enqueue and still held: their writes were not confirmed durable (SMSQ_DURABILITY), the request was refused SMSQ_NOT_DURABLE, and no retry under its idempotency key took them back yet; the repair sweep cancels them after SMSQ_REPAIR_ENQUEUE_GRACE_MS.',
    registers,
  }).set(alerts.withdrawnSends);
  const withdrawals = new Counter({
    name: N.withdrawals,
    help: 'Enqueues not confirmed durable and withdrawn, by outcome: held (paused for a retry under its idempotency key), cancelled (at once: no idempotency key), and how held ones ended: taken-back (by that retry), lapsed (cancelled by the repair sweep: no retry came).',
    labelNames: ['outcome'],
    registers,
  });
  // Every outcome from 0, so that increase() sees the first withdrawal.
  for (const outcome of WITHDRAWAL_OUTCOMES) withdrawals.inc({ outcome }, alerts.withdrawals[outcome]);
  new Gauge({
    name: N.unknownOldestAge,
    help: 'Seconds since the oldest attempt whose outcome is still unknown was found so (it is being looked up before any resend); 0 when none.',
    registers,
  }).set(alerts.oldestUnknownSinceMs === undefined ? 0 : Math.max(0, nowMs - alerts.oldestUnknownSinceMs) / 1000);
  workerGauge(
    registers,
    N.workerLastSeen,
    'When each worker process last flushed its metrics heartbeat (every second), for workers seen within the last hour; a worker that stops cleanly leaves the series.',
    alerts.workers.map((w) => [w.worker, w.lastSeenMs / 1000]),
  );
  workerGauge(
    registers,
    N.workerClockSkew,
    "Each worker's clock minus Redis's TIME, as the worker last measured it (at start and every 20 s, to within half the round trip): > 0 ahead, < 0 behind. Lua scripts take the time from the worker that runs them: the spread between two workers is what can resend an attempt still being called (a claimer behind the reconciler by more than SMSQ_RECONCILE_SETTLE_MS - call deadline - SMS timeouts, 24 s by default); each one's offset moves a send's deadline and the quiet hours. Workers measured within the last hour. Fix: NTP on the worker's host.",
    alerts.clockSkews.map((w) => [w.worker, w.skewMs / 1000]),
  );
  new Gauge({
    name: N.durabilityHeld,
    help: 'Live workers that make no new call because Redis does not keep their SMSQ_DURABILITY (a setting changed under them, Redis came back otherwise, replicas missing): jobs wait, nothing is lost. `smsq status ID` of a waiting send names what Redis no longer keeps and its fix.',
    registers,
  }).set(alerts.durabilityHeldWorkers);
  new Gauge({
    name: N.workersLive,
    help: 'Worker processes that said their settings within the last minute, with or without a metrics recorder: the live workers `smsq status` counts, against which smsq_workers_backing_off tells whether every worker backs off.',
    registers,
  }).set(alerts.liveWorkers);
  const backingOff = new Gauge({
    name: N.workersBackingOff,
    help: 'Live workers that take no job because they back off from a fault of their own, by code: ConnectionRefused, HostNotFound (SMS_ENDPOINT out of their reach), RequestNotBuilt.Setup (their AccessKey ID, STS token or userAgent cannot go into an HTTP header), InvalidCredentials (their default credential chain resolves nothing), other. They put their jobs back uncounted; equal to smsq_workers_live, nothing is sent. Each one\'s warn line names the setting and its fix.',
    labelNames: ['code'],
    registers,
  });
  // Every code from 0 (the counts have them all), so that a rule's sum over codes is 0, not absent.
  for (const [code, n] of Object.entries(alerts.backingOffWorkers)) backingOff.set({ code }, n);
  // Every known reason or field is exported from the start (0), so that rate() sees the first refusal.
  countedFromZero(
    registers,
    N.refusedReceipts,
    'Pushed reports set aside without changing anything, by reason: another attempt, another BizId, not a recipient, out of bounds, unknown-out-id (no send smsq holds: no OutId, another system\'s, a send gone), or malformed (an item of the push that is no report, set aside while the rest apply).',
    'reason',
    REFUSED_RECEIPT_REASONS,
    alerts.refusedReceipts,
    true,
  );
  countedFromZero(
    registers,
    N.refusedReplies,
    'Pushed replies (SmsUp) set aside without changing anything, by reason: malformed (an item of the push that is no reply, a field missing or of another type, set aside while the rest apply) or never-sent (an opt-out from a number smsq was never asked to send to), as smsq_receipts_refused_total counts pushed reports.',
    'reason',
    REFUSED_REPLY_REASONS,
    alerts.refusedReplies,
  );
  countedFromZero(
    registers,
    N.refusedReportFields,
    'Times in pushed reports refused while their report was applied, by field: a report_time or send_time that is not a time, is before its attempt was sent or after now (an hour of skew allowed). The report\'s state was applied, its receipt time taken as when smsq received the push (receivedAtFromPush on the recipient).',
    'field',
    REFUSABLE_REPORT_FIELDS,
    alerts.refusedReportFields,
  );
  countedFromZero(
    registers,
    N.reconcileResults,
    'Attempts whose answer was lost (outcome="unknown" in smsq_api_calls_total, which stays so) as reconcile look-ups decided them, by result: found (accepted at Alibaba: not resent), not-found (not accepted after SMSQ_RECONCILE_SETTLE_MS: resent with a new OutId), gave-up (its look-ups failed or could not be made: its recipients expired SMSQ_OUTCOME_UNKNOWN).',
    'result',
    RECONCILE_RESULTS,
    alerts.reconcileResults,
  );
  const housekeeping = new Counter({
    name: N.housekeepingFailures,
    help: 'Failed attempts of housekeeping jobs by every worker, by job name (callback) and outcome (retried: with back-off; given-up: after its last attempt, the callback is not sent; deferred: a worker without SMSQ_CALLBACK_SECRET moved it back for later, no attempt used).',
    labelNames: ['name', 'outcome'],
    registers,
  });
  // Exported from 0, so that increase() sees the first failure.
  for (const outcome of HOUSEKEEPING_FAILURES) housekeeping.inc({ name: 'callback', outcome }, 0);
  for (const f of alerts.housekeepingFailures) housekeeping.inc({ name: f.name, outcome: f.outcome }, f.count);
}

export async function renderPrometheus({ queues, calls, alerts, nowMs, settings, processRegistry }: RenderInput): Promise<string> {
  const reg = new Registry();
  const registers = [reg];
  const N = METRIC_NAMES;
  renderServerState(registers, true, settings);
  if (alerts) renderAlertState(registers, alerts, nowMs ?? Date.now());

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
  // Every state from the start (0), so that rate() over a final state sees its first recipient.
  for (const state of COUNTED_STATES) recipients.set({ state }, 0);
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

/**
 * A counter of Redis-kept totals by one label, every `known` value exported from 0 (rate() sees
 * the first increment), and with `others` a kept value this version does not know, as it is.
 */
function countedFromZero(registers: Registry[], name: string, help: string, label: string, known: readonly string[], kept: Record<string, number>, others = false): void {
  const counter = new Counter({ name, help, labelNames: [label], registers });
  const values = others ? new Set([...known, ...Object.keys(kept)]) : known;
  for (const value of values) counter.inc({ [label]: value }, kept[value] ?? 0);
}
