import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import type { SendRequest } from '../../producers/schemas.js';
import { waitFor } from '../support/wait.js';

const phones = (n: number, base = 13800000000) => Array.from({ length: n }, (_, i) => String(base + i));
const SIGN = N.sign;
const NOTE = { templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Recipients of every accepted call, counted per number. */
function deliveriesPerPhone(harness: Harness): Map<string, number> {
  const m = new Map<string, number>();
  for (const a of harness.emulator.accepted()) for (const p of a.phoneNumbers) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

describe('producers → workers → emulator', () => {
  it('chunks one message to 2,500 numbers into three SendSms calls, each number once', async () => {
    h = await createHarness({ label: 'chunks' });
    const res = await h.producer.send({ phones: phones(2500), signName: SIGN, ...NOTE });
    expect(res).toMatchObject({ recipients: 2500, chunks: 3, apiCalls: 3, duplicate: false, rejectedCount: 0 });
    await h.startWorker();
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === 2500, 'all accepted');
    const calls = h.emulator.accepted();
    expect(calls.map((c) => c.phoneNumbers.length).sort((a, b) => a - b)).toEqual([500, 1000, 1000]);
    expect(calls.every((c) => c.action === 'SendSms')).toBe(true);
    const per = deliveriesPerPhone(h);
    expect(per.size).toBe(2500);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    // Each attempt carries its own OutId (sendId.index.attempt) for reconcile to match.
    expect(new Set(calls.map((c) => c.outId)).size).toBe(3);
    expect(calls.every((c) => c.outId.startsWith(`${res.sendId}.`) && /\.1-[0-9a-f]+$/.test(c.outId))).toBe(true);
    // The totals across sends (the /metrics gauge) move with the per-send counts.
    expect(await h.redis.hgetall(`${h.prefix}:recipients`)).toMatchObject({ queued: '0', sending: '0', accepted: '2500' });
  });

  it('sends verification codes one number per call and personalised messages 100 per SendBatchSms', async () => {
    h = await createHarness({ label: 'shapes' });
    const v = await h.producer.send({ phones: phones(3), signName: SIGN, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    expect(v).toMatchObject({ chunks: 3, apiCalls: 3 });
    const b = await h.producer.sendBatch({
      templateCode: N.notificationTemplate,
      messages: phones(250, 13900000000).map((phone, i) => ({ phone, signName: SIGN, templateParam: { name: 'Bo', order: `o${i}` } })),
    });
    expect(b).toMatchObject({ recipients: 250, chunks: 3, apiCalls: 3 });
    await h.startWorker();
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(b.sendId)).counts.accepted === 250 && (await harness.producer.getStatus(v.sendId)).counts.accepted === 3, 'both sends accepted');
    const batch = h.emulator.accepted().filter((a) => a.action === 'SendBatchSms');
    expect(batch.map((c) => c.phoneNumbers.length).sort((x, y) => x - y)).toEqual([50, 100, 100]);
    const one = batch.find((c) => c.phoneNumbers.includes('13900000105'))!;
    const at = one.phoneNumbers.indexOf('13900000105');
    expect(one.templateParams?.[at]).toEqual({ name: 'Bo', order: 'o105' });
    const codes = h.emulator.accepted().filter((a) => a.action === 'SendSms');
    expect(codes).toHaveLength(3);
    expect(codes.every((c) => c.phoneNumbers.length === 1)).toBe(true);
  });

  it('serves a verification code before a backlog of marketing chunks', async () => {
    h = await createHarness({ label: 'prio' });
    const marketing = await h.producer.send({ phones: phones(40 * 1000), signName: SIGN, templateCode: N.marketingTemplate, templateParam: { name: 'all' }, kind: 'marketing' });
    expect(marketing.chunks).toBe(40);
    const code = await h.producer.send({ phones: ['13700000001'], signName: SIGN, templateCode: N.verificationTemplate, templateParam: { code: '9' }, kind: 'verification' });
    await h.startWorker({ concurrency: 1, qps: 50 });
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(code.sendId)).counts.accepted === 1, 'code accepted');
    const order = h.emulator.accepted().map((a) => a.phoneNumbers[0]);
    // Enqueued last, sent first.
    expect(order[0]).toBe('13700000001');
  });

  it('drops duplicates, lists invalid numbers with reasons and sends the rest', async () => {
    h = await createHarness({ label: 'validate' });
    const res = await h.producer.send({
      phones: ['13800138000', '+86 138 0013 8000', '0086-13800138000', '12345', 'abc', '85291234567'],
      signName: SIGN,
      ...NOTE,
    });
    expect(res.recipients).toBe(2);
    expect(res.duplicates).toBe(2);
    expect(res.rejected.map((r) => r.input)).toEqual(['12345', 'abc']);
    expect(res.rejected.every((r) => r.reason.length > 5)).toBe(true);
  });

  it('refuses malformed requests with the field named, and enqueues nothing', async () => {
    h = await createHarness({ label: 'refuse' });
    const attempts: unknown[] = [
      { phones: ['13800138000'], signName: SIGN, templateCode: 'nope' },
      { phones: [], signName: SIGN, ...NOTE },
      { phones: ['13800138000'], signName: SIGN, templateCode: N.notificationTemplate, templateParam: { order: 5 } },
      { phones: ['bad', 'worse'], signName: SIGN, ...NOTE },
      { phones: ['13800138000'], signName: SIGN, ...NOTE, kind: 'urgent' },
    ];
    const fields: string[] = [];
    for (const a of attempts) {
      // As a JavaScript caller may pass anything: refused at run time.
      const err = await h.producer.send(a as SendRequest).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).code).toBe('SMSQ_INVALID_REQUEST');
      fields.push(...(err as ValidationError).issues.map((i) => i.field));
    }
    expect(fields).toEqual(expect.arrayContaining(['templateCode', 'phones', 'templateParam.order', 'kind']));
    const queue = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    const counts = await queue.getJobCounts();
    await queue.close();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(await h.redis.keys(`${h.prefix}:send:*`)).toEqual([]);
  });

  it('returns the first send id for a repeated idempotency key and enqueues nothing new', async () => {
    h = await createHarness({ label: 'idem' });
    const req = { phones: ['13800138000'], signName: SIGN, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' as const, idempotencyKey: 'order-42' };
    const first = await h.producer.send(req);
    const second = await h.producer.send(req);
    expect(second.sendId).toBe(first.sendId);
    expect(second.duplicate).toBe(true);
    expect(await h.redis.ttl(`${h.prefix}:idem:order-42`)).toBeGreaterThan(86_000);
    await h.startWorker();
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(first.sendId)).counts.accepted === 1, 'accepted');
    expect(h.emulator.accepted()).toHaveLength(1);
  });

  it('streams a campaign with shared and per-recipient params into SendSms and SendBatchSms chunks', async () => {
    h = await createHarness({ label: 'campaign' });
    async function* rows() {
      for (let i = 0; i < 2100; i++) yield { phone: String(13600000000 + i) };
      for (let i = 0; i < 150; i++) yield { phone: String(13500000000 + i), params: { order: `p${i}` } };
      yield { phone: '13600000000' }; // duplicate
      yield { phone: 'not-a-number' };
    }
    const progress: number[] = [];
    const res = await h.producer.campaign(rows(), { signName: SIGN, templateCode: N.notificationTemplate, templateParam: { name: 'all', order: 'shared' } }, { onProgress: (p) => progress.push(p.chunks) });
    expect(res).toMatchObject({ recipients: 2250, duplicates: 1, rejectedCount: 1, chunks: 5 });
    expect(progress.at(-1)).toBe(5);
    await h.startWorker();
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === 2250, 'campaign accepted');
    const calls = h.emulator.accepted();
    expect(calls.filter((c) => c.action === 'SendSms').map((c) => c.phoneNumbers.length).sort((a, b) => a - b)).toEqual([100, 1000, 1000]);
    expect(calls.filter((c) => c.action === 'SendBatchSms').map((c) => c.phoneNumbers.length).sort((a, b) => a - b)).toEqual([50, 100]);
    const status = await h.producer.getStatus(res.sendId);
    expect(status.send).toMatchObject({ kind: 'marketing', recipients: 2250, chunks: 5, state: 'sent' });
    expect(status.send.history.map((c) => c.state)).toEqual(['enqueuing', 'active', 'sent']);
  });
});
