import { describe, expect, it } from 'vitest';
import { bucketOf, createCallAggregate, isFloatField, labelValue, receiptLatencySeconds } from '../../src/metrics/call-aggregate.js';
import { outcomeClass } from '../../src/metrics/call-metrics.js';
import { parseCallMetrics } from '../../src/metrics/metrics-snapshot.js';
import { renderHistogram, renderPrometheus } from '../../src/metrics/prometheus.js';
import { SmsError } from '../../src/sms/errors.js';

const fieldsOf = (m: Map<string, number>) => Object.fromEntries(m);

describe('call aggregate', () => {
  it('counts calls and recipients by operation and outcome, latency in non-cumulative buckets', () => {
    const a = createCallAggregate([0.1, 1]);
    expect(a.empty).toBe(true);
    a.recordCall({ operation: 'SendSms', outcome: 'accepted', seconds: 0.05, recipients: 1000 });
    a.recordCall({ operation: 'SendSms', outcome: 'accepted', seconds: 0.5, recipients: 10 });
    a.recordCall({ operation: 'SendSms', outcome: 'throttled', seconds: 7 });
    a.recordWait('throttled', 2);
    expect(a.empty).toBe(false);
    const d = a.drain();
    expect(fieldsOf(d.calls)).toEqual({ 'SendSms|accepted|calls': 2, 'SendSms|accepted|recipients': 1010, 'SendSms|throttled|calls': 1 });
    expect(fieldsOf(d.latency)).toEqual({ 'SendSms|le=0.1': 1, 'SendSms|le=1': 1, 'SendSms|le=+Inf': 1, 'SendSms|sum': 7.55, 'SendSms|count': 3 });
    expect(fieldsOf(d.waits)).toEqual({ 'throttled|count': 1, 'throttled|seconds': 2 });
    expect(a.empty).toBe(true);
    expect(a.drain().calls.size).toBe(0);
  });

  it('puts back what a failed flush drained, adding to what came since', () => {
    const a = createCallAggregate();
    a.recordCall({ operation: 'QuerySendDetails', outcome: 'ok', seconds: 0.02 });
    const lost = a.drain();
    a.recordCall({ operation: 'QuerySendDetails', outcome: 'ok', seconds: 0.02 });
    a.restore(lost);
    expect(a.drain().calls.get('QuerySendDetails|ok|calls')).toBe(2);
  });

  it('keeps label values to a safe alphabet and knows which fields are fractional', () => {
    expect(labelValue('a|b c')).toBe('a_b_c');
    expect(labelValue('')).toBe('unknown');
    expect(bucketOf(0.01, [0.01, 0.1])).toBe('le=0.01');
    expect(bucketOf(0.2, [0.01, 0.1])).toBe('le=+Inf');
    expect(isFloatField('SendSms|sum')).toBe(true);
    expect(isFloatField('throttled|seconds')).toBe(true);
    expect(isFloatField('SendSms|le=0.1')).toBe(false);
  });

  it('classes outcomes: accepted for sends, ok for other calls, else the error class', () => {
    expect(outcomeClass('SendSms', { ok: true, requestId: 'r', data: {} })).toBe('accepted');
    expect(outcomeClass('SendBatchSms', { ok: true, requestId: 'r', data: {} })).toBe('accepted');
    expect(outcomeClass('QuerySendDetails', { ok: true, requestId: 'r', data: {} })).toBe('ok');
    const error = new SmsError({ code: 'Throttling.User', message: 'slow down', errorClass: 'throttled' });
    expect(outcomeClass('SendSms', { ok: false, error })).toBe('throttled');
  });
});

describe('metrics snapshot', () => {
  it('sums the hashes into series, with cumulative buckets ending at +Inf = count', () => {
    const s = parseCallMetrics({
      calls: { 'SendSms|accepted|calls': '3', 'SendSms|accepted|recipients': '2500', 'GetSmsTemplate|ok|calls': '1', junk: '9' },
      latency: { 'SendSms|le=0.1': '1', 'SendSms|le=0.05': '1', 'SendSms|le=+Inf': '1', 'SendSms|sum': '12.5', 'SendSms|count': '3' },
      waits: { 'throttled|count': '2', 'throttled|seconds': '3.5' },
      recipients: { queued: '10', accepted: '2500' },
      writers: 2,
    });
    expect(s.calls).toEqual([
      { operation: 'GetSmsTemplate', outcome: 'ok', calls: 1, recipients: 0 },
      { operation: 'SendSms', outcome: 'accepted', calls: 3, recipients: 2500 },
    ]);
    expect(s.latency).toEqual([
      {
        operation: 'SendSms',
        buckets: [
          { le: 0.05, count: 1 },
          { le: 0.1, count: 2 },
          { le: Infinity, count: 3 },
        ],
        sum: 12.5,
        count: 3,
      },
    ]);
    expect(s.waits).toEqual([{ reason: 'throttled', count: 2, seconds: 3.5 }]);
    expect(s.recipients).toEqual({ queued: 10, accepted: 2500 });
    expect(s.writers).toBe(2);
    expect(parseCallMetrics({ calls: {}, latency: {}, waits: {}, recipients: {}, writers: 0 }).recipients).toBeUndefined();
  });
});

describe('Prometheus text', () => {
  it('writes a histogram family by hand in the exposition format', () => {
    const text = renderHistogram('x_seconds', 'Help.', [
      { operation: 'SendSms', buckets: [{ le: 0.1, count: 1 }, { le: Infinity, count: 2 }], sum: 0.3, count: 2 },
    ]);
    expect(text).toBe(
      [
        '# HELP x_seconds Help.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{operation="SendSms",le="0.1"} 1',
        'x_seconds_bucket{operation="SendSms",le="+Inf"} 2',
        'x_seconds_sum{operation="SendSms"} 0.3',
        'x_seconds_count{operation="SendSms"} 2',
        '',
      ].join('\n'),
    );
  });

  it('renders queues, recipients, calls and waits with their types', async () => {
    const text = await renderPrometheus({
      queues: [{ queue: 'calls', counts: { waiting: 4, active: 1 }, paused: true, rateLimitedMs: 1500, workers: undefined }],
      calls: {
        calls: [{ operation: 'SendSms', outcome: 'accepted', calls: 2, recipients: 20 }],
        latency: [],
        receipts: [{ operation: 'report', buckets: [{ le: 5, count: 3 }, { le: Infinity, count: 4 }], sum: 30, count: 4 }],
        waits: [{ reason: 'account', count: 5, seconds: 0.25 }],
        writers: 1,
        recipients: { accepted: 20 },
      },
    });
    expect(text).toMatch(/^smsq_receipt_latency_seconds_bucket\{source="report",le="5"\} 3$/m);
    expect(text).toMatch(/^smsq_receipt_latency_seconds_count\{source="report"\} 4$/m);
    expect(text).toContain('# TYPE smsq_queue_jobs gauge\nsmsq_queue_jobs{queue="calls",state="waiting"} 4\nsmsq_queue_jobs{queue="calls",state="active"} 1');
    expect(text).toMatch(/^smsq_queue_paused\{queue="calls"\} 1$/m);
    expect(text).toMatch(/^smsq_queue_rate_limited_seconds\{queue="calls"\} 1\.5$/m);
    expect(text).not.toMatch(/^smsq_queue_workers\{/m);
    expect(text).toMatch(/^smsq_recipients\{state="accepted"\} 20$/m);
    expect(text).toContain('# TYPE smsq_api_calls_total counter\nsmsq_api_calls_total{operation="SendSms",outcome="accepted"} 2');
    expect(text).toMatch(/^smsq_limiter_waits_total\{reason="account"\} 5$/m);
    expect(text).toContain('# TYPE smsq_api_call_duration_seconds histogram');
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('receipt latency', () => {
  it('is aggregated with its own buckets and read back as its own series', async () => {
    const { createCallAggregate } = await import('../../src/metrics/call-aggregate.js');
    const { parseCallMetrics } = await import('../../src/metrics/metrics-snapshot.js');
    const agg = createCallAggregate();
    agg.recordReceipt('query', 4);
    agg.recordReceipt('query', 400);
    agg.recordCall({ operation: 'SendSms', outcome: 'accepted', seconds: 0.02 });
    const d = agg.drain();
    const latency = Object.fromEntries([...d.latency].map(([k, v]) => [k, String(v)]));
    const snap = parseCallMetrics({ calls: {}, latency, waits: {}, recipients: {}, writers: 1 });
    expect(snap.latency.map((s) => s.operation)).toEqual(['SendSms']);
    expect(snap.receipts).toHaveLength(1);
    expect(snap.receipts[0]).toMatchObject({ operation: 'query', count: 2, sum: 404 });
    expect(snap.receipts[0]!.buckets.find((b) => b.le === 5)?.count).toBe(1);
    expect(snap.receipts[0]!.buckets.find((b) => b.le === 900)?.count).toBe(2);
  });
});

describe('receipt latency', () => {
  it('is taken from a receipt time that can be the receipt\'s own, and nothing is recorded otherwise (a pushed report_time of 9999 or 1970)', () => {
    const acceptedAt = Date.parse('2026-12-05T10:00:00Z');
    expect(receiptLatencySeconds(acceptedAt, acceptedAt + 4_000)).toBe(4);
    expect(receiptLatencySeconds(acceptedAt, acceptedAt - 2_000)).toBe(0); // clock skew
    expect(receiptLatencySeconds(acceptedAt, acceptedAt + 3 * 86_400_000)).toBe(3 * 86_400);
    expect(receiptLatencySeconds(acceptedAt, Date.parse('9999-12-31T00:00:00Z'))).toBeUndefined();
    expect(receiptLatencySeconds(acceptedAt, -1000)).toBeUndefined();
    expect(receiptLatencySeconds(undefined, acceptedAt)).toBeUndefined();
  });
});
