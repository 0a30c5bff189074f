/**
 * OpenTelemetry, with an in-memory exporter: one send through the real producer, BullMQ on real
 * Redis, a real worker and the emulator through the real SDK makes one trace, from the producer's
 * span through its jobs to each Dysmsapi call, and no span says a phone number or a param.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import type { TracingConfig } from '../../src/telemetry/tracing-config.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createProducer } from '../../producers/producer.js';
import { traceProducer } from '../../producers/traced-producer.js';
import { traceSmsClient } from '../../src/telemetry/traced-client.js';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const CONFIG: TracingConfig = {
  tracesEndpoint: 'http://127.0.0.1:4318/v1/traces',
  headers: {},
  timeoutMs: 1000,
  serviceName: 'smsq-test',
  resourceAttributes: { 'deployment.environment': 'test' },
  sampler: { name: 'parentbased_always_on', ratio: 1 },
};
const PHONES = ['13800138000', '13912345678'];
const PARAMS = { name: 'Ada Lovelace', order: 'ORDER-77' };

let h: Harness | undefined;
let tracing: Tracing | undefined;
afterEach(async () => {
  await h?.close();
  await tracing?.shutdown();
  h = undefined;
  tracing = undefined;
});

/** Every string a span carries: name, attributes, events, status, resource. */
function textOf(span: ReadableSpan): string {
  return JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, resource: span.resource.attributes, links: span.links });
}

describe('tracing (OTEL_* set)', () => {
  it('one send is one trace: producer span → BullMQ enqueue → each job → a span per Dysmsapi call, with no number in any span', async () => {
    const exporter = new InMemorySpanExporter();
    h = await createHarness({ label: 'otel' });
    tracing = await startTracing({ config: CONFIG, role: 'test', logger: h.logger, exporter });
    const producer = traceProducer(createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, telemetry: tracing.bullmq }), tracing.spans);
    // Receipts looked up 100 ms after acceptance: the look-ups continue the same trace.
    await h.startWorker({ client: traceSmsClient(h.client, tracing.spans), telemetry: tracing.bullmq, receiptSchedule: { lookDelaysMs: [100, 300], windowMs: 3_600_000 } });
    try {
      const sent = await producer.send({ phones: PHONES, signName: N.sign, templateCode: N.notificationTemplate, templateParam: PARAMS });
      const harness = h;
      await waitFor(async () => ((await harness.producer.getStatus(sent.sendId)).counts.delivered ?? 0) === 2, 'both delivered, receipts looked up');
      await tracing.flush();
      const spans = exporter.getFinishedSpans();

      const root = spans.find((s) => s.name === 'smsq send');
      expect(root?.kind).toBe(SpanKind.PRODUCER);
      expect(root?.parentSpanContext).toBeUndefined();
      expect(root?.attributes).toMatchObject({ 'smsq.send_id': sent.sendId, 'smsq.recipients': 2, 'smsq.chunks': 1, 'smsq.api_calls': 1 });
      const traceId = root!.spanContext().traceId;
      const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
      const childOf = (parent: ReadableSpan) => inTrace.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

      // BullMQ's enqueue, under the producer's span.
      const enqueue = childOf(root!).find((s) => s.kind === SpanKind.PRODUCER && /calls/.test(s.name));
      expect(enqueue, spans.map((s) => s.name).join(', ')).toBeDefined();

      // The send job's processing continues the trace, and its SendSms call is its child.
      const processes = inTrace.filter((s) => s.kind === SpanKind.CONSUMER && /process/.test(s.name));
      const sendJob = processes.find((s) => s.attributes['bullmq.job.name'] === 'send');
      expect(sendJob).toBeDefined();
      const sendCall = childOf(sendJob!).find((s) => s.name === 'Dysmsapi/SendSms');
      expect(sendCall?.kind).toBe(SpanKind.CLIENT);
      expect(sendCall?.attributes).toMatchObject({ 'smsq.action': 'SendSms', 'smsq.outcome': 'accepted', 'smsq.code': 'OK', 'smsq.recipients': 2, 'rpc.method': 'SendSms' });
      expect(sendCall?.attributes['smsq.request_id']).toEqual(expect.stringMatching(/\S{8,}/));
      expect(sendCall?.status.code).not.toBe(SpanStatusCode.ERROR);

      // The receipt look-ups were added by the send job: same trace, each call its own span.
      const receiptJob = processes.find((s) => s.attributes['bullmq.job.name'] === 'receipt');
      expect(receiptJob).toBeDefined();
      const lookup = childOf(receiptJob!).find((s) => s.name === 'Dysmsapi/QuerySendDetails');
      expect(lookup?.attributes).toMatchObject({ 'smsq.action': 'QuerySendDetails', 'smsq.outcome': 'ok' });
      expect(lookup?.attributes['smsq.request_id']).toBeTruthy();

      // No number, no param, in any span of the run (any trace).
      expect(spans.length).toBeGreaterThan(5);
      for (const s of spans) {
        const text = textOf(s);
        for (const secret of [...PHONES, PARAMS.name, PARAMS.order]) expect(text, s.name).not.toContain(secret);
        // Any mainland mobile number, spelled alone (timestamps are longer digit runs). UUIDs (BullMQ's
        // worker ids) are taken out first: one held the run 18158010483 between hex letters, and a clean-clone run failed.
        expect(text.replace(/[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}/gi, '<uuid>'), s.name).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/);
      }
      expect(root!.resource.attributes).toMatchObject({ 'service.name': 'smsq-test', 'smsq.role': 'test', 'deployment.environment': 'test' });
    } finally {
      await producer.close();
    }
  });

  it('a failed call is an error span with its code and request id, not its message', async () => {
    const exporter = new InMemorySpanExporter();
    h = await createHarness({ label: 'otel-fail' });
    tracing = await startTracing({ config: CONFIG, role: 'test', logger: h.logger, exporter });
    const client = traceSmsClient(h.client, tracing.spans);
    const outcome = await client.sendSms({ phoneNumbers: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate });
    expect(outcome.ok).toBe(false);
    await tracing.flush();
    const [span] = exporter.getFinishedSpans();
    const code = outcome.ok ? '' : outcome.error.code;
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: code });
    expect(span?.attributes).toMatchObject({ 'smsq.outcome': 'permanent', 'smsq.code': code });
    expect(span?.attributes['smsq.request_id']).toBe(outcome.ok ? undefined : outcome.error.requestId);
    expect(textOf(span!)).not.toContain('13800138000');
  });
});
