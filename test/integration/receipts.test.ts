import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { Queue } from 'bullmq';
import { jobIds } from '../../src/queue/job-schemas.js';
import { HOUSEKEEPING_QUEUE } from '../../src/queue/keys.js';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { isLookedUp } from '../../src/queue/receipt-policy.js';
import type { RecipientState } from '../../src/receipts/send-recipients.js';
import { ingestFor, startReceiver, startSignedReceiver } from '../support/ingest.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { justAfterMidnightInChina } from '../support/china-clock.js';
import { everyKind } from '../support/receipt-policies.js';
import { collector } from '../support/text-collector.js';
import { createLogger } from '../../src/logger.js';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';

const harnesses = harnessPerTest();

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const ALL = everyKind('all');
const NONE = everyKind('none');
const fast = (lookDelaysMs: number[] = [200, 500, 900], windowMs = 2500) => ({ receiptSchedule: { lookDelaysMs, windowMs } });
const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => String(base + i));

async function recipientsOf(harness: Harness, sendId: string): Promise<RecipientState[]> {
  const out: RecipientState[] = [];
  for await (const r of harness.producer.recipients(sendId)) out.push(r);
  return out;
}

const queries = (harness: Harness) => harness.emulator.calls().filter((c) => c.action === 'QuerySendDetails');

async function untilCounts(harness: Harness, sendId: string, want: Record<string, number>, timeoutMs = 15_000) {
  return waitFor(async () => {
    const s = await harness.producer.getStatus(sendId);
    return Object.entries(want).every(([k, v]) => s.counts[k as keyof typeof s.counts] === v) ? s : undefined;
  }, `counts ${JSON.stringify(want)}`, timeoutMs);
}

describe('receipts by QuerySendDetails', () => {
  it('delivered: one look-up per recipient once receipts are final', async () => {
    const h = await harnesses.create({ label: 'rc-deliv', emulator: { delivery: { delayMs: 50, failureRatio: 0 } } });
    const res = await h.producer.send({ ...NOTE, phones: phones(20, 13830000000) });
    await h.startWorker({ receiptPolicies: ALL, ...fast() });
    await untilCounts(h, res.sendId, { delivered: 20, accepted: 0 });
    const rs = await recipientsOf(h, res.sendId);
    expect(rs.every((r) => r.state === 'delivered' && r.code === 'DELIVERED' && r.receivedAt && r.sentAt && r.bizId)).toBe(true);
    expect(queries(h).length / 20).toBeLessThanOrEqual(1.2);
    expect(await h.redis.hgetall(`${h.prefix}:recipients`)).toMatchObject({ accepted: '0', delivered: '20' });
  });

  it('just after midnight in China: still one look-up per recipient, on the day of the send', async () => {
    // Sent at 00:00:30 CST, a message is filed under the new day; the day before is asked only if
    // it is not found there (a run of the suite at 16:00 UTC asked it first: 2 look-ups each).
    const clock = justAfterMidnightInChina(30_000);
    const h = await harnesses.create({ label: 'rc-midnight', clock, emulator: { clock, delivery: { delayMs: 50, failureRatio: 0 } } });
    const list = phones(10, 13830100000);
    const res = await h.producer.send({ ...NOTE, phones: list });
    await h.startWorker({ clock, receiptPolicies: ALL, ...fast() });
    await untilCounts(h, res.sendId, { delivered: 10, accepted: 0 });
    expect(queries(h).flatMap((q) => q.phones).sort()).toEqual(list);
  });

  it('failed: the carrier code is kept', async () => {
    const h = await harnesses.create({ label: 'rc-fail', emulator: { delivery: { delayMs: 20, failureRatio: 1 } } });
    const res = await h.producer.send({ ...NOTE, phones: phones(5, 13831000000) });
    await h.startWorker({ receiptPolicies: ALL, ...fast() });
    await untilCounts(h, res.sendId, { failed: 5, accepted: 0 });
    const rs = await recipientsOf(h, res.sendId);
    expect(rs.every((r) => r.state === 'failed' && r.code && r.code !== 'DELIVERED')).toBe(true);
  });

  it('waiting, then final: looks again on the back-off schedule', async () => {
    // The emulator's clock stands still until every number was found waiting twice: on a loaded
    // machine the look-up due at 400 ms ran after the receipt (700 ms) and found it final, so the
    // count of look-ups measured the machine, not the schedule.
    const receiptClock = createManualClock(Date.now());
    const h = await harnesses.create({ label: 'rc-wait', emulator: { delivery: { delayMs: 700, failureRatio: 0 }, clock: receiptClock } });
    const list = phones(3, 13832000000);
    const res = await h.producer.send({ ...NOTE, phones: list });
    await h.startWorker({ receiptPolicies: ALL, ...fast([150, 400, 1000], 5000) });
    const looksAt = (phone: string) => queries(h).filter((q) => q.phones.includes(phone)).length;
    await waitFor(() => list.every((p) => looksAt(p) >= 2), 'two look-ups of each number, both answered waiting');
    const { sent } = await h.producer.getStatus(res.sendId).then((s) => ({ sent: s.counts.accepted }));
    expect(sent).toBe(3); // still waiting: nothing final was answered while the clock stood
    receiptClock.advance(700);
    await untilCounts(h, res.sendId, { delivered: 3 });
    const final = list.map(looksAt);
    // Once final, a number is not looked up again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(list.map(looksAt)).toEqual(final);
    // Each number: the waiting answers, then the one that found it delivered (9 on a quiet machine).
    for (const n of final) expect(n).toBeGreaterThanOrEqual(3);
  });

  it('receipt window: recipients without a final receipt expire with the reason', async () => {
    const h = await harnesses.create({ label: 'rc-expire', emulator: { delivery: { delayMs: 60_000, failureRatio: 0 } } });
    const res = await h.producer.send({ ...NOTE, phones: phones(4, 13833000000) });
    await h.startWorker({ receiptPolicies: ALL, ...fast([200], 1200) });
    await untilCounts(h, res.sendId, { expired: 4, accepted: 0 });
    const rs = await recipientsOf(h, res.sendId);
    expect(rs.every((r) => r.state === 'expired' && r.code === 'SMSQ_RECEIPT_WINDOW')).toBe(true);
  });

  it('samples a share of marketing recipients when configured', async () => {
    const h = await harnesses.create({ label: 'rc-sample', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    const list = phones(400, 13834000000);
    const policy = { mode: 'sample' as const, sampleRate: 0.1 };
    const res = await h.producer.send({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'x' }, kind: 'marketing', phones: list });
    // The sample is a stable function of send id and number, so the test knows it in advance.
    const sampled = list.filter((p) => isLookedUp(policy, res.sendId, p)).length;
    expect(sampled).toBeGreaterThan(15);
    expect(sampled).toBeLessThan(80);
    await h.startWorker({ receiptPolicies: { ...ALL, marketing: policy }, ...fast([200], 60_000) });
    const s = await untilCounts(h, res.sendId, { delivered: sampled, accepted: 400 - sampled });
    expect(queries(h)).toHaveLength(sampled);
    expect(s.counts.delivered).toBe(sampled);
  });
});

describe('pushed reports', () => {
  it('push mode: receipts arrive by SmsReport push with no look-up at all', async () => {
    const h = await harnesses.create({ label: 'rc-push', emulator: { delivery: { delayMs: 50, failureRatio: 0 } } });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const receiver = await startReceiver(async (body) => (await ingest.applyReports(body), 200));
    harnesses.defer(receiver.close);
    h.emulator.configure({ reportUrl: receiver.url });
    const res = await h.producer.send({ ...NOTE, phones: phones(10, 13835000000) });
    await h.startWorker({ receiptPolicies: NONE, ...fast() });
    await untilCounts(h, res.sendId, { delivered: 10, accepted: 0 });
    expect(queries(h)).toHaveLength(0);
  });

  it('a report before the look-up makes it unnecessary; one after it changes nothing', async () => {
    const h = await harnesses.create({ label: 'rc-before', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const [a, b] = ['13836000001', '13836000002'];
    const res = await h.producer.send({ ...NOTE, phones: [a, b] });
    await h.startWorker({ receiptPolicies: ALL, ...fast([800], 5000) });
    await untilCounts(h, res.sendId, { accepted: 2 });
    const { outId, bizId } = h.emulator.accepted()[0]!;
    const report = (phone: string, success: boolean, code: string) => ({
      phone_number: phone,
      send_time: '2026-11-24 10:00:00',
      report_time: '2026-11-24 10:00:05',
      success,
      err_code: code,
      err_msg: code,
      sms_size: '1',
      biz_id: bizId,
      out_id: outId,
    });
    // Before the look-up (at 800 ms): a is final by push.
    expect(await ingest.applyReports([report(a, true, 'DELIVERED')])).toMatchObject({ applied: 1 });
    await untilCounts(h, res.sendId, { delivered: 2 });
    expect(queries(h).map((q) => q.phones).flat()).toEqual([b]);
    // After the look-up resolved b as delivered, a late failure report for b changes nothing.
    expect(await ingest.applyReports([report(b, false, 'MK:0001')])).toMatchObject({ applied: 0, duplicates: 1 });
    const rs = await recipientsOf(h, res.sendId);
    expect(rs.find((r) => r.phone === b)).toMatchObject({ state: 'delivered' });
  });

  it('duplicate and out-of-order pushes are idempotent; a final state never goes back', async () => {
    const h = await harnesses.create({ label: 'rc-dup' });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const phone = '13837000001';
    const res = await h.producer.send({ ...NOTE, phones: [phone] });
    await h.startWorker({ receiptPolicies: NONE, ...fast() });
    await untilCounts(h, res.sendId, { accepted: 1 });
    const { outId, bizId } = h.emulator.accepted()[0]!;
    const r = (success: boolean, code: string) => ({ phone_number: phone, success, err_code: code, biz_id: bizId, out_id: outId, report_time: '2026-11-24 10:00:05' });
    const first = await ingest.applyReports([r(false, 'IC:0055'), r(false, 'IC:0055')]);
    expect(first).toMatchObject({ applied: 1, duplicates: 1 });
    expect(await ingest.applyReports([r(true, 'DELIVERED')])).toMatchObject({ applied: 0, duplicates: 1 });
    const s = await h.producer.getStatus(res.sendId);
    expect(s.counts).toMatchObject({ failed: 1, delivered: 0, accepted: 0 });
    // Reports about other senders' messages are ignored; a body that is no array changes nothing,
    // and an item that is no report is set aside (counted as malformed), not the push refused.
    expect(await ingest.applyReports([{ phone_number: phone, success: true, out_id: 'not-ours' }])).toMatchObject({ ignored: 1 });
    await expect(ingest.applyReports({ phone_number: phone })).rejects.toMatchObject({ code: 'SMSQ_INVALID_REQUEST' });
    expect(await ingest.applyReports([{ phone_number: phone, success: 'yes', out_id: outId }])).toMatchObject({ applied: 0, malformed: 1 });
    expect(await h.redis.hget(`${h.prefix}:receipts-refused`, 'malformed')).toBe('1');
    expect((await h.producer.getStatus(res.sendId)).counts.failed).toBe(1);
  });

  it('a report resolves a lost answer as accepted: nothing is resent', async () => {
    const h = await harnesses.create({ label: 'rc-lost', readTimeoutMs: 300, emulator: { delivery: { delayMs: 30, failureRatio: 0 } } });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const receiver = await startReceiver(async (body) => (await ingest.applyReports(body), 200));
    harnesses.defer(receiver.close);
    h.emulator.configure({ reportUrl: receiver.url });
    h.emulator.setFaults([{ kind: 'lost-answer', delayMs: 3000 }]);
    const res = await h.producer.send({ ...NOTE, phones: ['13838000001'] });
    // A long first look-up delay: the push must be what resolves it.
    await h.startWorker({ receiptPolicies: NONE, ...fast(), reconcile: { firstLookAfterMs: 5000, settleMs: 10_000, lookIntervalMs: 1000 } });
    await untilCounts(h, res.sendId, { delivered: 1 });
    expect(h.emulator.accepted()).toHaveLength(1);
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toHaveLength(0);
  });
});

describe('opt-out replies', () => {
  it('TD / T / 退订 suppress marketing, not notifications', async () => {
    const h = await harnesses.create({ label: 'rc-optout' });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const [x, y, z] = ['13839000001', '13839000002', '13839000003'];
    // Replies come from numbers that were sent to.
    const note = await h.producer.send({ ...NOTE, phones: [x, y, z] });
    expect(note).toMatchObject({ recipients: 3, suppressed: 0 });
    expect(await ingest.applyReplies([
      { phone_number: x, content: ' td ', send_time: '2026-11-24 10:00:00', dest_code: '1', sequence_id: 1 },
      { phone_number: y, content: '退订' },
      { phone_number: z, content: 'thanks' },
    ])).toEqual({ replies: 3, optedOut: 2, refused: 0, malformed: 0 });
    const mkt = await h.producer.send({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing', phones: [x, y, z] });
    expect(mkt).toMatchObject({ recipients: 1, suppressed: 2 });
    async function* rows() {
      for (const p of [x, y, z, '13839000004']) yield { phone: p };
    }
    const camp = await h.producer.campaign(rows(), { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } });
    expect(camp).toMatchObject({ recipients: 2, suppressed: 2 });
    await h.startWorker({ receiptPolicies: NONE });
    await untilCounts(h, mkt.sendId, { accepted: 1, suppressed: 2 });
    const rs = await recipientsOf(h, mkt.sendId);
    expect(rs.filter((r) => r.state === 'suppressed').map((r) => r.phone).sort()).toEqual([x, y]);
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(x))).toHaveLength(1); // the notification only
  });
});

describe('events and callbacks', () => {
  it('publishes every change on a stream that a consumer group reads', async () => {
    const h = await harnesses.create({ label: 'rc-events', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    const consumer = await h.producer.events({ group: 'orders', consumer: 'c1' });
    const res = await h.producer.send({ ...NOTE, phones: ['13840000001'] });
    await h.startWorker({ receiptPolicies: ALL, ...fast() });
    await untilCounts(h, res.sendId, { delivered: 1 });
    const events = await consumer.read({ count: 100, blockMs: 100 });
    const mine = events.filter((e) => e.sendId === res.sendId);
    expect(mine.map((e) => `${e.type}:${e.state}`)).toEqual(['send:active', 'chunk:sending', 'chunk:accepted', 'send:sent', 'recipient:delivered', 'send:completed']);
    expect(mine[4]).toMatchObject({ phone: '13840000001', code: 'DELIVERED' });
    expect(mine[3]).toMatchObject({ type: 'send', from: 'active', state: 'sent', chunkId: '' });
    expect(await consumer.ack(mine.map((e) => e.id))).toBe(6);
    expect(await consumer.pending()).toEqual([]);
  });

  it("calls the send's callback URL with the final state, signed, retrying after a failure", async () => {
    const h = await harnesses.create({ label: 'rc-callback', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    const secret = 'a-very-secret-callback-key';
    const got: { body: unknown; ok: boolean }[] = [];
    const receiver = await startReceiver((body, headers, raw) => {
      const ts = String(headers['x-smsq-timestamp']);
      const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
      got.push({ body, ok: headers['x-smsq-signature'] === expected });
      return got.length === 1 ? 503 : 200; // the first try fails
    });
    harnesses.defer(receiver.close);
    const { createProducer } = await import('../../producers/producer.js');
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, callbacks: true });
    harnesses.defer(() => producer.close());
    const res = await producer.send({ ...NOTE, phones: ['13841000001', '13841000002'], callbackUrl: receiver.url });
    await h.startWorker({ receiptPolicies: ALL, ...fast(), callbackSecret: secret });
    await waitFor(() => got.length >= 2, 'the callback to be retried and delivered', 20_000);
    expect(got.every((g) => g.ok)).toBe(true);
    expect(got[1]!.body).toMatchObject({ event: 'send.completed', state: 'completed', sendId: res.sendId, counts: { delivered: 2, accepted: 0 } });
    // Without callbacks enabled, a callbackUrl is refused at the door.
    await expect(h.producer.send({ ...NOTE, phones: ['13841000003'], callbackUrl: receiver.url })).rejects.toMatchObject({ code: 'SMSQ_INVALID_REQUEST' });
  });

  it('a cancelled send completes too: its callback reports the cancelled recipients', async () => {
    const h = await harnesses.create({ label: 'rc-cancel-cb', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    const got: unknown[] = [];
    const receiver = await startReceiver((body) => (got.push(body), 200));
    harnesses.defer(receiver.close);
    const { createProducer } = await import('../../producers/producer.js');
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, callbacks: true });
    harnesses.defer(() => producer.close());
    // 30 single-number verification chunks at 5 calls a second: most are still queued at the cancel.
    const res = await producer.send({
      signName: N.sign,
      templateCode: N.verificationTemplate,
      templateParam: { code: '123456' },
      kind: 'verification',
      phones: phones(30, 13842000000),
      callbackUrl: receiver.url,
    });
    await h.startWorker({ qps: 5, concurrency: 1, receiptPolicies: ALL, ...fast(), callbackSecret: 'another-secret-callback-key' });
    const harness = h;
    const counts = async () => (await harness.producer.getStatus(res.sendId)).counts;
    await waitFor(async () => (await counts()).accepted >= 2, 'two codes sent');
    // Pause, and let what was sent reach its final state (delivered, or expired with the short
    // window): then only the cancel can complete the send.
    await producer.pause(res.sendId);
    await waitFor(async () => {
      const c = await counts();
      return c.sending + c.unknown + c.accepted === 0;
    }, 'the codes sent to be final', 20_000);
    expect(got).toEqual([]);
    await producer.cancel(res.sendId);
    await waitFor(() => got.length >= 1, 'the callback of the cancelled send', 20_000);
    const body = got[0] as { event: string; sendId: string; counts: { cancelled: number; delivered: number; expired: number } };
    expect(body).toMatchObject({ event: 'send.cancelled', state: 'cancelled', sendId: res.sendId });
    expect(body.counts.cancelled).toBeGreaterThan(0);
    // Everyone is in a final state: the few sent delivered (or expired), the rest cancelled.
    expect(body.counts.cancelled + body.counts.delivered + body.counts.expired).toBe(30);
    expect(body.counts.cancelled).toBeGreaterThanOrEqual(20);
  });

  it('a cancel is an end state: its callback fires at once, even while sent recipients still wait for receipts', async () => {
    const h = await harnesses.create({ label: 'rc-cancel-now', emulator: { delivery: { delayMs: 60_000, failureRatio: 0 } } });
    const got: unknown[] = [];
    const receiver = await startReceiver((body) => (got.push(body), 200));
    harnesses.defer(receiver.close);
    const { createProducer } = await import('../../producers/producer.js');
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, callbacks: true });
    harnesses.defer(() => producer.close());
    const res = await producer.send({
      signName: N.sign,
      templateCode: N.verificationTemplate,
      templateParam: { code: '123456' },
      kind: 'verification',
      phones: phones(30, 13843000000),
      callbackUrl: receiver.url,
    });
    // No look-ups and a long window: what was sent stays `accepted` for the whole test.
    await h.startWorker({ qps: 5, concurrency: 1, receiptPolicies: NONE, callbackSecret: 'a-third-secret-callback-key' });
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted >= 2, 'two codes sent');
    const cancelled = await producer.cancel(res.sendId);
    expect(cancelled.send.state).toBe('cancelled');
    expect(cancelled.send.history.map((c) => c.state)).toEqual(['enqueuing', 'active', 'cancelled']);
    await waitFor(() => got.length >= 1, 'the callback of the cancelled send', 10_000);
    const body = got[0] as { event: string; state: string; sendId: string; counts: { accepted: number; cancelled: number } };
    expect(body).toMatchObject({ event: 'send.cancelled', state: 'cancelled', sendId: res.sendId });
    expect(body.counts.accepted).toBeGreaterThanOrEqual(2);
    expect(body.counts.cancelled).toBeGreaterThan(0);
  });

  it('a callback does not follow a redirect: the URL checked at the door is the only one asked', async () => {
    const h = await harnesses.create({ label: 'rc-cb-redirect', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    // Where a redirect would lead (the metadata service, in an attack): it must never be asked.
    const elsewhere = await countingServer(() => [200, {}]);
    const receiver = await countingServer(() => [302, { location: elsewhere.url }]);
    const producer = await callbackProducer(h);
    await producer.send({ ...NOTE, phones: ['13841000011'], callbackUrl: receiver.url });
    const worker = await h.startWorker({ receiptPolicies: ALL, ...fast(), callbackSecret: 'a-fifth-secret-callback-key' });
    await waitFor(() => receiver.hits.length >= 1, 'the callback to be posted', 15_000);
    await waitFor(async () => (await housekeepingFailure(h)).includes('not followed'), 'the redirect to fail the callback job');
    expect(receiver.hits[0]).toMatchObject({ method: 'POST' });
    expect(elsewhere.hits).toEqual([]);
    await worker.close();
  });

  it('a callback to an address it may not reach is not sent: a record from an earlier door, or a name that resolves there', async () => {
    const h = await harnesses.create({ label: 'rc-cb-forbidden', emulator: { delivery: { delayMs: 20, failureRatio: 0 } } });
    const receiver = await countingServer(() => [200, {}]);
    const producer = await callbackProducer(h);
    const port = new URL(receiver.url).port;
    // Accepted at the door as a name; the worker resolves it to the metadata service.
    const byName = await producer.send({ ...NOTE, phones: ['13841000012'], callbackUrl: `http://metadata.smsq.test:${port}/` });
    // 0.0.0.0 reaches this machine on Linux; written into the record as an earlier version's door let it through.
    const byLiteral = await producer.send({ ...NOTE, phones: ['13841000013'], callbackUrl: receiver.url });
    await h.redis.hset(`${h.prefix}:send:${byLiteral.sendId}`, 'callbackUrl', `http://0.0.0.0:${port}/`);
    const resolveCallbackHost: LookupFunction = (hostname, options, callback) =>
      hostname === 'metadata.smsq.test' ? (options.all ? callback(null, [{ address: '100.100.100.200', family: 4 }]) : callback(null, '100.100.100.200', 4)) : lookup(hostname, options, callback);
    await h.startWorker({ receiptPolicies: ALL, ...fast(), callbackSecret: 'a-sixth-secret-callback-key', resolveCallbackHost });
    await waitFor(async () => (await housekeepingFailure(h, byName.sendId)).includes('names metadata.smsq.test, which resolves to 100.100.100.200, a link-local or cloud metadata address'), 'the name to be refused as it resolves');
    await waitFor(async () => (await housekeepingFailure(h, byLiteral.sendId)).includes('points at 0.0.0.0, a link-local or cloud metadata address'), 'the record\'s literal address to be refused');
    // Not retried: one failure each, and nothing reached the receiver.
    const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => housekeeping.close());
    for (const id of [byName.sendId, byLiteral.sendId]) expect(await (await housekeeping.getJob(jobIds.callback(id)))?.getState()).toBe('failed');
    expect(receiver.hits).toEqual([]);
  });

  it('a worker without SMSQ_CALLBACK_SECRET does not lose the callback: it waits, said loudly, counted, and is delivered once a worker has the secret', async () => {
    const h = await harnesses.create({ label: 'rc-no-secret' });
    const secret = 'the-producers-callback-secret';
    const receiver = await startSignedReceiver(secret);
    const { got } = receiver;
    harnesses.defer(receiver.close);
    const producer = await callbackProducer(h);
    const res = await producer.send({ phones: ['13845000001'], signName: N.rejectedSign, templateCode: N.plainTemplate, callbackUrl: receiver.url });
    const metrics = createCallMetricsRecorder({ redis: h.redis, prefix: h.prefix, heartbeat: false });
    harnesses.defer(() => metrics.close());
    const log = collector();
    const without = await h.startWorker({ receiptPolicies: NONE, metrics, logger: createLogger({ level: 'warn' }, log) });
    await waitFor(async () => Number(await h.redis.hget(`${h.prefix}:metrics:housekeeping-failures`, 'callback|deferred')) >= 1, 'the take without the secret counted');
    const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => housekeeping.close());
    // Moved back for later without using an attempt, not failed.
    const job = await waitFor(async () => {
      const j = await housekeeping.getJob(jobIds.callback(res.sendId));
      return (await j?.getState()) === 'delayed' ? j : undefined;
    }, 'the callback to wait');
    expect(job.attemptsMade).toBe(0);
    const lines = log.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.find((l) => l.msg.startsWith('SMSQ_CALLBACK_SECRET is not set on this worker'))).toMatchObject({ level: 50, msg: expect.stringContaining('Fix: set SMSQ_CALLBACK_SECRET on every worker, the same value as on the producers') });
    await without.close();
    // A worker that starts without the secret while a callback waits says so at once.
    const startLog = collector();
    const another = await h.startWorker({ receiptPolicies: NONE, logger: createLogger({ level: 'warn' }, startLog) });
    expect(startLog.text).toMatch(/SMSQ_CALLBACK_SECRET is not set on this worker, and 1 callback wait in the housekeeping queue/);
    await another.close();
    expect(got).toHaveLength(0);
    // The operator sets the secret: the callback is delivered, signed with it (taken at once here, not a minute later).
    await h.startWorker({ receiptPolicies: NONE, callbackSecret: secret });
    await job.promote();
    await waitFor(() => got.length >= 1, 'the retried callback to be delivered', 20_000);
    expect(got[0]).toMatchObject({ ok: true, body: { event: 'send.failed', sendId: res.sendId } });
  });

  it('a send that fails as a whole calls back too, once', async () => {
    const h = await harnesses.create({ label: 'rc-failed-cb' });
    const got: unknown[] = [];
    const receiver = await startReceiver((body) => (got.push(body), 200));
    harnesses.defer(receiver.close);
    const { createProducer } = await import('../../producers/producer.js');
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, callbacks: true });
    harnesses.defer(() => producer.close());
    // A rejected signature: the first call fails the whole send; the other chunks fail unsent.
    const res = await producer.send({ phones: phones(1500, 13844000000), signName: N.rejectedSign, templateCode: N.plainTemplate, callbackUrl: receiver.url });
    await h.startWorker({ concurrency: 1, receiptPolicies: NONE, callbackSecret: 'a-fourth-secret-callback-key' });
    await waitFor(() => got.length >= 1, 'the callback of the failed send', 15_000);
    expect(got[0]).toMatchObject({ event: 'send.failed', state: 'failed', sendId: res.sendId });
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.failed === 1500, 'every recipient failed');
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(1);
  });
});

/** An HTTP server that answers every request with what `answer` says and records each one. */
async function countingServer(answer: () => [number, Record<string, string>]): Promise<{ url: string; hits: { method: string; url: string }[] }> {
  const hits: { method: string; url: string }[] = [];
  const server = createServer((req, res) => {
    hits.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    const [status, headers] = answer();
    res.writeHead(status, headers).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  harnesses.defer(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, hits };
}

async function callbackProducer(h: Harness) {
  const { createProducer } = await import('../../producers/producer.js');
  const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, callbacks: true });
  harnesses.defer(() => producer.close());
  return producer;
}

/** Why the callback job of a send (the only one, when not given) last failed; '' while it has not. */
async function housekeepingFailure(h: Harness, sendId?: string): Promise<string> {
  const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
  try {
    const jobs = sendId ? [await housekeeping.getJob(jobIds.callback(sendId))] : await housekeeping.getJobs(['failed', 'delayed', 'wait', 'active', 'completed']);
    return jobs.map((j) => j?.failedReason ?? '').join(' ');
  } finally {
    await housekeeping.close();
  }
}
