/**
 * The ops files against a real `/metrics`: real Redis, the emulator through the real SDK, a worker
 * that made calls and looked receipts up. Every metric the Grafana dashboard and the alert rules
 * name must be exported with at least one sample; and the gauges behind the alerts must follow
 * what they stand for (an account block, an auto-paused send, an unknown outcome, a heartbeat,
 * workers backing off from an endpoint that refuses them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallMetricsRecorder, type CallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { createKeys } from '../../src/queue/keys.js';
import { ERROR_CLASS_HANDLING } from '../../src/sms/error-codes.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { lateEndpoint } from '../support/late-endpoint.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { dashboardQueries, loadAlertRules, loadDashboard, readPromql } from '../support/promql.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const SETTINGS = { qps: 500, reconcileSettleMs: 600 };

let h: Harness | undefined;
let app: SmsqServer | undefined;
let recorder: CallMetricsRecorder | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await app?.close();
  await h?.close();
  await recorder?.close();
  h = undefined;
  app = undefined;
  recorder = undefined;
});

async function setUp(label: string, readTimeoutMs?: number): Promise<{ h: Harness; app: SmsqServer; recorder: CallMetricsRecorder }> {
  h = await createHarness({ label, ...(readTimeoutMs ? { readTimeoutMs } : {}) });
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, insecure: true, queueNames: ['calls', 'housekeeping'], settings: SETTINGS });
  const heartbeating = createCallMetricsRecorder({ redis: h.redis, prefix: h.prefix, flushIntervalMs: 50, writerId: `ops-test:${process.pid}:w1` });
  heartbeating.startHeartbeat(); // as the worker it stands for does once it takes jobs
  recorder = heartbeating;
  return { h, app, recorder };
}

/** The exposition: sample names, each family's declared type, and the label values of each sample name. */
function exposition(text: string): { samples: Set<string>; types: Map<string, string>; labels: Map<string, Map<string, Set<string>>>; value(line: RegExp): number | undefined } {
  const samples = new Set<string>();
  const types = new Map<string, string>();
  const labels = new Map<string, Map<string, Set<string>>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    else if (line && !line.startsWith('#')) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
      samples.add(name);
      const byLabel = labels.get(name) ?? new Map<string, Set<string>>();
      labels.set(name, byLabel);
      for (const [, label, value] of line.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        const seen = byLabel.get(label as string) ?? new Set<string>();
        byLabel.set(label as string, seen.add(value as string));
      }
    }
  }
  return {
    samples,
    types,
    labels,
    value(pattern) {
      const line = text.split('\n').find((l) => pattern.test(l));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
  };
}

/** Labels Prometheus adds at scrape time, not smsq. */
const TARGET_LABELS = new Set(['job', 'instance']);

/**
 * Label values exported only once what they count happens, which a scrape of a working deployment
 * cannot show: the outcome classes of calls (every class of src/sms/error-codes.ts, and `ok` of
 * look-ups), the limiter's pauses (workers/account-pauses.ts).
 */
const EXPORTED_WHEN_THEY_HAPPEN: Record<string, Record<string, readonly string[]>> = {
  smsq_api_calls_total: { outcome: [...Object.keys(ERROR_CLASS_HANDLING), 'ok'] },
  smsq_api_call_recipients_total: { outcome: Object.keys(ERROR_CLASS_HANDLING) },
  smsq_limiter_waits_total: { reason: ['throttled', 'account'] },
  smsq_limiter_wait_seconds_total: { reason: ['throttled', 'account'] },
  smsq_queue_jobs: { queue: ['calls', 'housekeeping'] },
};

/**
 * The matchers that name a value their metric does not export: each `=` value, and each
 * alternative of an `=~` that is a plain list (`a|b|c`); a regex of another shape must match one
 * exported value at least.
 */
function unexportedLabelValues(matchers: { where: string; metric: string; label: string; op: string; value: string }[], labels: Map<string, Map<string, Set<string>>>): string[] {
  const wrong: string[] = [];
  for (const m of matchers) {
    if (TARGET_LABELS.has(m.label)) continue;
    const known = new Set([...(labels.get(m.metric)?.get(m.label) ?? []), ...(EXPORTED_WHEN_THEY_HAPPEN[m.metric]?.[m.label] ?? [])]);
    const plain = m.op === '=' ? [m.value] : /^[\w.-]+(\|[\w.-]+)*$/.test(m.value) ? m.value.split('|') : undefined;
    if (plain) {
      for (const v of plain) if (!known.has(v)) wrong.push(`${m.metric}{${m.label}${m.op}"${m.value}"}: "${v}" is never exported (${m.where})`);
    } else if (![...known].some((v) => new RegExp(`^(?:${m.value})$`).test(v))) wrong.push(`${m.metric}{${m.label}${m.op}"${m.value}"}: matches no exported value (${m.where})`);
  }
  return [...new Set(wrong)];
}

/** The family a sample name belongs to: a histogram's _bucket/_sum/_count belong to it. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : undefined;
}

async function scrape(server: SmsqServer) {
  const res = await server.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return exposition(res.body);
}

describe('the ops files against a real /metrics', () => {
  it('every metric the dashboard and the alert rules name is exported, with samples, by a server over a working deployment', async () => {
    const s = await setUp('ops-names');
    // Receipts looked up 200 ms after acceptance, so that receipt latency has samples too.
    await s.h.startWorker({ metrics: s.recorder, receiptSchedule: { lookDelaysMs: [200, 400], windowMs: 3_600_000 } });
    const sent = await s.h.producer.send({ phones: ['13800138000', '13800138001'], ...NOTE });
    await waitFor(async () => ((await s.h.producer.getStatus(sent.sendId)).counts.delivered ?? 0) === 2, 'both recipients delivered (receipts looked up)');
    const text = await waitFor(async () => {
      const r = await scrape(s.app);
      return r.samples.has('smsq_receipt_latency_seconds_count') && r.samples.has('smsq_worker_last_seen_timestamp_seconds') ? r : undefined;
    }, 'receipt latency and the heartbeat flushed');

    const used = new Map<string, string>();
    for (const q of dashboardQueries(loadDashboard('ops/grafana/smsq-dashboard.json'))) for (const n of readPromql(q.expr).metricNames) used.set(n, `dashboard ${q.where}`);
    for (const g of loadAlertRules('ops/prometheus/smsq-alerts.yml').groups) for (const r of g.rules) for (const n of readPromql(r.expr).metricNames) used.set(n, `rule ${r.alert}`);
    expect(used.size).toBeGreaterThan(20);
    const missing = [...used].filter(([name]) => !text.samples.has(name) || familyOf(name, text.types) === undefined).map(([name, where]) => `${name} (${where})`);
    expect(missing).toEqual([]);
    // Every label value a selector asks for is one its metric exports: a value it never has (a
    // state smsq_recipients does not count) matches nothing and the panel or rule says nothing.
    const matched: { where: string; metric: string; label: string; op: string; value: string }[] = [];
    for (const q of dashboardQueries(loadDashboard('ops/grafana/smsq-dashboard.json'))) for (const m of readPromql(q.expr).matchers) matched.push({ where: `dashboard ${q.where}`, ...m });
    for (const g of loadAlertRules('ops/prometheus/smsq-alerts.yml').groups) for (const r of g.rules) for (const m of readPromql(r.expr).matchers) matched.push({ where: `rule ${r.alert}`, ...m });
    expect(unexportedLabelValues(matched, text.labels)).toEqual([]);
    // Histogram parts are named as histograms, not as lone counters.
    expect(familyOf('smsq_api_call_duration_seconds_bucket', text.types)).toBe('smsq_api_call_duration_seconds');
    expect(familyOf('smsq_receipt_latency_seconds_count', text.types)).toBe('smsq_receipt_latency_seconds');
    expect(text.value(/^smsq_api_call_rate_cap /)).toBe(500);
    expect(text.value(/^smsq_worker_last_seen_timestamp_seconds\{worker="ops-test:\d+:w1"\} /)).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('follows an account block (with its code) and its lifting', async () => {
    const s = await setUp('ops-account');
    const worker = await s.h.startWorker({ metrics: s.recorder });
    expect((await scrape(s.app)).value(/^smsq_account_blocked /)).toBe(0);
    await worker.guard.block('isv.AMOUNT_NOT_ENOUGH', 'the account balance is not enough');
    const blocked = await scrape(s.app);
    expect(blocked.value(/^smsq_account_blocked\{code="isv.AMOUNT_NOT_ENOUGH"\} /)).toBe(1);
    expect(blocked.value(/^smsq_queue_paused\{queue="calls"\} /)).toBe(1);
    await worker.guard.resume('operator');
    const lifted = await scrape(s.app);
    expect(lifted.value(/^smsq_account_blocked /)).toBe(0);
    expect(lifted.value(/^smsq_account_blocked\{/)).toBeUndefined();
  });

  it('counts a send auto-paused by failing chunks until it is cancelled', async () => {
    const s = await setUp('ops-autopause');
    // No template params: every chunk fails permanently.
    const phones = Array.from({ length: 3000 }, (_, i) => String(13890000000 + i));
    const res = await s.h.producer.send({ signName: N.sign, templateCode: N.notificationTemplate, phones, kind: 'marketing' });
    await s.h.startWorker({ metrics: s.recorder, concurrency: 1, autoPause: { window: 2, failureRatio: 0.5 } });
    await waitFor(async () => (await scrape(s.app)).value(/^smsq_sends_auto_paused /) === 1, 'the auto-paused send counted');
    expect((await s.h.producer.getStatus(res.sendId)).send.controlReason).toMatch(/^auto-pause/);
    expect(await s.h.redis.zrange(metricKeys(s.h.prefix).autoPaused, 0, -1)).toEqual([res.sendId]);
    // Among the paused sends too, aged from its auto-pause.
    const pausedNow = await scrape(s.app);
    expect(pausedNow.value(/^smsq_sends_paused /)).toBe(1);
    expect(pausedNow.value(/^smsq_sends_paused_oldest_age_seconds /)).toBeGreaterThanOrEqual(0);
    expect(pausedNow.value(/^smsq_sends_paused_oldest_age_seconds /)).toBeLessThan(30);
    await s.h.producer.cancel(res.sendId);
    expect((await scrape(s.app)).value(/^smsq_sends_auto_paused /)).toBe(0);
    expect((await scrape(s.app)).value(/^smsq_sends_paused /)).toBe(0);
  });

  it('counts the sends paused by an operator and ages the longest-paused one, until each is resumed, cancelled or ended', async () => {
    const s = await setUp('ops-paused');
    const paused = /^smsq_sends_paused /;
    const oldest = /^smsq_sends_paused_oldest_age_seconds /;
    const before = await scrape(s.app);
    expect([before.value(paused), before.value(oldest)]).toEqual([0, 0]);

    // No worker: the sends stay queued, as a forgotten pause leaves them.
    const first = await s.h.producer.send({ phones: ['13800000031'], ...NOTE, kind: 'marketing' });
    const second = await s.h.producer.send({ phones: ['13800000032'], ...NOTE, kind: 'marketing' });
    await s.h.producer.pause(first.sendId);
    await new Promise((r) => setTimeout(r, 300));
    await s.h.producer.pause(second.sendId);
    await s.h.producer.pause(first.sendId, 'paused again: the first pause is what ages');
    const both = await scrape(s.app);
    expect(both.value(paused)).toBe(2);
    expect(both.value(oldest)).toBeGreaterThanOrEqual(0.3);
    expect(both.value(oldest)).toBeLessThan(30);
    const index = createKeys(s.h.prefix).pausedSends();
    expect((await s.h.redis.zrange(index, 0, -1)).sort()).toEqual([first.sendId, second.sendId].sort());

    // The older one resumed: the younger is the oldest now.
    await s.h.producer.resume(first.sendId);
    const one = await scrape(s.app);
    expect(one.value(paused)).toBe(1);
    expect(one.value(oldest)).toBeLessThan(both.value(oldest)!);
    await s.h.producer.cancel(second.sendId);
    const none = await scrape(s.app);
    expect([none.value(paused), none.value(oldest)]).toEqual([0, 0]);
    expect(await s.h.redis.zcard(index)).toBe(0);

    // A paused send that ends by another script (its record gone, as at the end of its retention) is dropped by the scrape.
    const third = await s.h.producer.send({ phones: ['13800000033'], ...NOTE, kind: 'marketing' });
    await s.h.producer.pause(third.sendId);
    expect((await scrape(s.app)).value(paused)).toBe(1);
    await s.h.redis.del(createKeys(s.h.prefix).send(third.sendId));
    expect((await scrape(s.app)).value(paused)).toBe(0);
    expect(await s.h.redis.zcard(index)).toBe(0);
  });

  it('ages an unknown outcome until reconcile decides it, then forgets it', async () => {
    // Read timeout 300 ms, answer after 2 s: the attempt is unknown; the first look comes 1.5 s later.
    const s = await setUp('ops-unknown', 300);
    s.h.emulator.setFaults([{ kind: 'lost-answer', delayMs: 2000 }]);
    const res = await s.h.producer.send({ phones: ['13800000011'], ...NOTE });
    // The call deadline is the least a paced worker takes (the pacer's 2 s reach + 100 ms), not half the window's 1.5 s.
    await s.h.startWorker({ metrics: s.recorder, reconcile: { firstLookAfterMs: 1500, settleMs: 3000, lookIntervalMs: 200, callDeadlineMs: 2100 } });
    const key = metricKeys(s.h.prefix).unknownOutcomes;
    await waitFor(async () => (await s.h.redis.zcard(key)) === 1, 'the unknown attempt indexed');
    expect(await s.h.redis.zrange(key, 0, -1)).toEqual([`${res.sendId}.0|1`]);
    const aged = await waitFor(async () => {
      const age = (await scrape(s.app)).value(/^smsq_unknown_outcome_oldest_age_seconds /);
      return age !== undefined && age > 0.2 ? age : undefined;
    }, 'a growing age');
    expect(aged).toBeLessThan(30);
    // Reconcile finds the attempt accepted at Alibaba: the outcome is known, the entry goes.
    await waitFor(async () => ((await s.h.producer.getStatus(res.sendId)).counts.accepted ?? 0) + ((await s.h.producer.getStatus(res.sendId)).counts.delivered ?? 0) === 1, 'resolved by reconcile');
    const resolved = await scrape(s.app);
    expect(resolved.value(/^smsq_unknown_outcome_oldest_age_seconds /)).toBe(0);
    expect(await s.h.redis.zcard(key)).toBe(0);
    expect(s.h.emulator.accepted()).toHaveLength(1);
    // The look-up's result is counted: the call itself stays outcome="unknown" in smsq_api_calls_total.
    expect(resolved.value(/^smsq_reconcile_results_total\{result="found"\} /)).toBe(1);
    expect(resolved.value(/^smsq_reconcile_results_total\{result="not-found"\} /)).toBe(0);
    expect(resolved.value(/^smsq_api_calls_total\{operation="SendSms",outcome="unknown"\} /)).toBe(1);
  });

  it('counts an unknown attempt that the look-up did not find, and so resent', async () => {
    // The connection is reset after the request was read: nothing was accepted, the outcome is unknown.
    const s = await setUp('ops-not-found');
    s.h.emulator.setFaults([{ kind: 'reset' }]);
    const res = await s.h.producer.send({ phones: ['13800000012'], ...NOTE });
    await s.h.startWorker({ metrics: s.recorder, reconcile: { firstLookAfterMs: 300, settleMs: 4500, lookIntervalMs: 500, callDeadlineMs: 2100 } });
    await waitFor(async () => ((await s.h.producer.getStatus(res.sendId)).counts.accepted ?? 0) + ((await s.h.producer.getStatus(res.sendId)).counts.delivered ?? 0) === 1, 'resent and accepted', 15_000);
    const text = await scrape(s.app);
    expect(text.value(/^smsq_reconcile_results_total\{result="not-found"\} /)).toBe(1);
    expect(text.value(/^smsq_reconcile_results_total\{result="found"\} /)).toBe(0);
    expect(text.value(/^smsq_reconcile_results_total\{result="gave-up"\} /)).toBe(0);
    expect(s.h.emulator.accepted()).toHaveLength(1);
  }, 30_000);

  it('counts the live workers and those backing off from an endpoint that refuses them, by code, and none once it answers', async () => {
    const s = await setUp('ops-backoff');
    const endpoint = await lateEndpoint();
    await s.h.startWorker({ metrics: s.recorder, client: endpoint.client, endpointBackoff: { firstMs: 300, maxMs: 1200 } });
    const backingOff = (code: string) => new RegExp(`^smsq_workers_backing_off\\{code="${code.replace(/\./g, '\\.')}"\\} `);
    const CODES = ['ConnectionRefused', 'HostNotFound', 'RequestNotBuilt.Setup', 'InvalidCredentials', 'other'];
    const before = await scrape(s.app);
    expect(before.value(/^smsq_workers_live /)).toBe(1);
    for (const code of CODES) expect(before.value(backingOff(code)), code).toBe(0);

    const res = await s.h.producer.send({ phones: ['13800000021'], ...NOTE });
    const refused = await waitFor(async () => {
      const r = await scrape(s.app);
      return r.value(backingOff('ConnectionRefused')) === 1 ? r : undefined;
    }, 'the refusing worker counted as backing off', 10_000);
    expect(refused.value(/^smsq_workers_live /)).toBe(1);
    for (const code of CODES.slice(1)) expect(refused.value(backingOff(code)), code).toBe(0);

    const late = await endpoint.comeUp();
    closers.push(() => late.close());
    await waitFor(async () => ((await s.h.producer.getStatus(res.sendId)).counts.accepted ?? 0) + ((await s.h.producer.getStatus(res.sendId)).counts.delivered ?? 0) === 1, 'the send accepted once the endpoint answers', 15_000);
    const answered = await scrape(s.app);
    expect(answered.value(backingOff('ConnectionRefused'))).toBe(0);
    expect(answered.value(/^smsq_workers_live /)).toBe(1);
  }, 40_000);
});
