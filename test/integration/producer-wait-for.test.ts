/**
 * `producer.waitFor(sendId)`: the Node API's wait for a send to be sent (or ended), as `smsq send
 * --wait` waits. Real Redis, a real worker and the emulator through the real SDK.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { DEFAULT_RECEIPT_POLICIES } from '../../src/queue/receipt-policy.js';
import { ProducerClosedError, ValidationError } from '../../src/errors.js';
import { createProducer } from '../../producers/producer.js';
import { harnessPerTest } from '../support/pipeline.js';

const harnesses = harnessPerTest();
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };

describe('producer.waitFor', () => {
  it('answers once every recipient is sent (receipts not waited for), and with until "ended" once the send has ended', async () => {
    const h = await harnesses.create({ label: 'wait-for', emulator: { delivery: { delayMs: 300, failureRatio: 0 } } });
    await h.startWorker({ receiptPolicies: { ...DEFAULT_RECEIPT_POLICIES, verification: { mode: 'all', sampleRate: 1 } }, receiptSchedule: { lookDelaysMs: [500, 500], windowMs: 60_000 } });
    const res = await h.producer.send({ ...CODE, phones: ['13851000001', '13851000002'] });
    const sent = await h.producer.waitFor(res.sendId, { timeoutMs: 20_000, pollMs: 50 });
    expect(sent.reached).toBe(true);
    // Receipts come later (looked up after 500 ms): the send is sent, not yet completed.
    expect(sent.status.send.state).toBe('sent');
    expect(sent.status.counts.queued + sent.status.counts.sending + sent.status.counts.unknown).toBe(0);
    expect(sent.status.counts.accepted + sent.status.counts.delivered).toBe(2);
    const ended = await h.producer.waitFor(res.sendId, { until: 'ended', timeoutMs: 20_000, pollMs: 50 });
    expect(ended).toMatchObject({ reached: true, status: { send: { state: 'completed' }, counts: { delivered: 2 } } });
  });

  it('gives up at its timeout or signal with the status as it is, refuses bad options naming them, and stops at close()', async () => {
    const h = await harnesses.create({ label: 'wait-for-none' });
    // No worker: the send stays queued.
    const res = await h.producer.send({ ...CODE, phones: ['13851000003'] });
    const timedOut = await h.producer.waitFor(res.sendId, { timeoutMs: 300, pollMs: 50 });
    expect(timedOut).toMatchObject({ reached: false, status: { counts: { queued: 1 } } });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    expect(await h.producer.waitFor(res.sendId, { signal: stop.signal, pollMs: 50 })).toMatchObject({ reached: false });
    const refused = await h.producer.waitFor(res.sendId, { until: 'delivered' as 'sent', timeoutMs: -1, pollMs: 10 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues.map((i) => i.field)).toEqual(['until', 'timeoutMs', 'pollMs']);
    await expect(h.producer.waitFor('nope-123')).rejects.toMatchObject({ code: 'SMSQ_NOT_FOUND' });

    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix });
    const waiting = producer.waitFor(res.sendId, { pollMs: 50 });
    await new Promise((r) => setTimeout(r, 150));
    await producer.close();
    await expect(waiting).rejects.toBeInstanceOf(ProducerClosedError);
  });
});
