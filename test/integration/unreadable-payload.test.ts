/**
 * A chunk whose stored payload does not parse (altered by hand, cut short, written by something
 * else than smsq's producer). What it would send cannot be read, so nothing is sent for it: the
 * worker fails it with SMSQ_PAYLOAD_UNREADABLE and a reason naming what is wrong, counts its
 * recipients failed, and the send ends as with any failed chunk. Before, the claim had moved it
 * to `sending` and the parse then threw: the chunk stayed `sending` for good, the send never ended,
 * and only the job's failedReason (V8's JSON message, which may quote the payload) said why. An
 * attempt already in doubt cannot be looked up without its numbers, and is never resent without a
 * look-up: it expires as unknown.
 *
 * Altered after its call, an accepted chunk's receipts cannot be looked up or expired by number:
 * its send stayed `sent` for good (no completion, no callback). Its receipt look-up now says so
 * once, and when its window ends its recipients without a receipt expire by chunk, counted from
 * the chunk's tally of receipts. A record without its kind (a kind not smsq's) is the same trust
 * class: before, the call was made all the same and the job then threw a TypeError on the receipt
 * policy of kind `undefined`, silently, leaving the receipts to the window.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { CST_OFFSET_MS, DAY_MS, reconcileSendDates } from '../../src/sms/dates.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { Queue } from 'bullmq';
import { createProducer } from '../../producers/producer.js';
import { ingestFor, startSignedReceiver } from '../support/ingest.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4821' }, kind: 'verification' as const };
const harnesses = harnessPerTest();

/** Starts a worker whose log lines (info and up) are kept, parsed. */
async function workerWithLog(h: Harness, extra: Parameters<Harness['startWorker']>[0] = {}) {
  const sink = collector();
  await h.startWorker({ logger: createLogger({ level: 'info' }, sink), ...extra });
  return () =>
    sink.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; sendId?: string; chunkId?: string });
}

/** The error lines of a worker's log, once there are `count`: a worker logs its line after the change the test waited for. */
function errorLines(logLines: () => { level: number }[], count = 1) {
  return waitFor(() => {
    const errors = logLines().filter((l) => l.level === 50);
    return errors.length >= count && errors;
  }, `${count} error line(s)`);
}

async function chunkOf(h: Harness, chunkId: string): Promise<Record<string, string>> {
  return h.redis.hgetall(createKeys(h.prefix).chunk(chunkId));
}

describe('a chunk whose stored payload does not parse', () => {
  it('cut short: fails SMSQ_PAYLOAD_UNREADABLE without a call, its recipients failed; the send ends and calls back; an error names send and chunk', async () => {
    const h = await harnesses.create({ label: 'payload-cut' });
    const secret = 'the-producers-callback-secret';
    const receiver = await startSignedReceiver(secret);
    harnesses.defer(() => receiver.close());
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, callbacks: true });
    harnesses.defer(() => producer.close());
    const { sendId } = await producer.send({ ...NOTE, phones: ['13800138000', '13800138001'], callbackUrl: receiver.url });
    const chunkId = `${sendId}.0`;
    const stored = (await chunkOf(h, chunkId)).payload as string;
    await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'payload', stored.slice(0, 40));

    const logLines = await workerWithLog(h, { callbackSecret: secret });
    await waitFor(async () => (await chunkOf(h, chunkId)).state === 'failed', 'the chunk to fail', 15_000);
    const chunk = await chunkOf(h, chunkId);
    expect(chunk).toMatchObject({ state: 'failed', code: 'SMSQ_PAYLOAD_UNREADABLE' });
    expect(chunk.reason).toMatch(/^payload: not valid JSON \(40 characters, cut short\)\. Fix: /);
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms' || c.action === 'SendBatchSms')).toEqual([]);

    await waitFor(() => receiver.got.length > 0, 'the callback', 15_000);
    expect(receiver.got).toEqual([{ ok: true, body: expect.objectContaining({ event: 'send.completed', sendId }) }]);
    const status = await producer.getStatus(sendId);
    expect(status.send.state).toBe('completed');
    expect(status.counts).toMatchObject({ failed: 2, sending: 0, queued: 0, accepted: 0 });

    // `smsq status --recipients` lists them (their numbers cannot be read) with the code.
    const listed = [];
    for await (const r of producer.recipients(sendId)) listed.push(r);
    expect(listed).toEqual([0, 1].map(() => expect.objectContaining({ phone: '(unreadable)', state: 'failed', code: 'SMSQ_PAYLOAD_UNREADABLE', chunkId })));

    const errors = logLines().filter((l) => l.level === 50);
    expect(errors).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_PAYLOAD_UNREADABLE', msg: expect.stringMatching(/payload or kind does not parse.*not sent/) })]);
  });

  it('JSON of the wrong shape: fails naming the field, quoting no number; the send\'s other chunk goes out', async () => {
    const h = await harnesses.create({ label: 'payload-shape' });
    // A verification code goes one number per chunk: two chunks.
    const { sendId } = await h.producer.send({ ...CODE, phones: ['13800138002', '13800138003'] });
    const bad = `${sendId}.0`;
    const stored = JSON.parse((await chunkOf(h, bad)).payload as string) as { phones: string[] };
    await h.redis.hset(createKeys(h.prefix).chunk(bad), 'payload', JSON.stringify({ ...stored, phones: stored.phones[0] }));

    const logLines = await workerWithLog(h);
    // Sent: every recipient past the API (the accepted one awaits its receipt).
    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'sent', 'the send to be sent', 15_000);
    const chunk = await chunkOf(h, bad);
    expect(chunk).toMatchObject({ state: 'failed', code: 'SMSQ_PAYLOAD_UNREADABLE' });
    expect(chunk.reason).toMatch(/^payload\.phones: must be a list, got a string\. Fix: /);
    expect(chunk.reason).not.toContain('13800138002');
    expect((await chunkOf(h, `${sendId}.1`)).state).toBe('accepted');
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms').map((c) => c.phones)).toEqual([['13800138003']]);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ failed: 1, accepted: 1, sending: 0, queued: 0 });
    expect(await errorLines(logLines)).toEqual([expect.objectContaining({ sendId, chunkId: bad, code: 'SMSQ_PAYLOAD_UNREADABLE' })]);
  });

  it('of an attempt in doubt (its worker died mid-call): expires as unknown, neither looked up nor resent', async () => {
    const h = await harnesses.create({ label: 'payload-in-doubt' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138004'] });
    const chunkId = `${sendId}.0`;
    // A worker claimed it and died before the answer (the chunk is `sending` at attempt 1); then its payload was altered.
    const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
    expect((await chunks.claim(chunkId, sendId)).type).toBe('send');
    await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'payload', '{"api":"SendSms"}');

    const logLines = await workerWithLog(h);
    await waitFor(async () => (await chunkOf(h, chunkId)).state === 'expired', 'the chunk to expire', 15_000);
    const chunk = await chunkOf(h, chunkId);
    expect(chunk).toMatchObject({ state: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN', attempt: '1' });
    expect(chunk.reason).toMatch(/^payload\.phones: is required: a list; payload\.signName: is required: a string; payload\.templateCode: is required: a string\. Fix: /);
    expect(h.emulator.calls().map((c) => c.action)).toEqual([]);
    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'completed', 'the send to end', 15_000);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ expired: 1, sending: 0, unknown: 0, queued: 0 });
    expect(await errorLines(logLines)).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_OUTCOME_UNKNOWN' })]);
  });
});

const ALL = { verification: { mode: 'all', sampleRate: 1 }, notification: { mode: 'all', sampleRate: 1 }, marketing: { mode: 'all', sampleRate: 1 } } as const;
const NONE = { verification: { mode: 'none', sampleRate: 0 }, notification: { mode: 'none', sampleRate: 0 }, marketing: { mode: 'none', sampleRate: 0 } } as const;

/** The stored payload with a field its schema requires taken out: still JSON, its numbers still in it. */
async function dropSignName(h: Harness, chunkId: string): Promise<void> {
  const stored = JSON.parse((await chunkOf(h, chunkId)).payload as string) as Record<string, unknown>;
  delete stored.signName;
  await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'payload', JSON.stringify(stored));
}

/** The chunk events of a send on the events stream, oldest first. */
async function chunkEvents(h: Harness, sendId: string): Promise<Record<string, string>[]> {
  const entries = await h.redis.xrange(createKeys(h.prefix).events(), '-', '+');
  return entries
    .map(([, flat]) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]])) as Record<string, string>)
    .filter((e) => e.type === 'chunk' && e.sendId === sendId);
}

/** Jobs of the calls queue that threw (retried or given up), as `name: reason`. */
async function failedOrRetried(h: Harness): Promise<string[]> {
  const queue = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
  try {
    const jobs = await queue.getJobs(['failed', 'delayed', 'wait', 'prioritized', 'completed']);
    return jobs.flatMap((j) => (j?.failedReason ? [`${j.name}: ${j.failedReason}`] : []));
  } finally {
    await queue.close();
  }
}

/**
 * A clock two minutes past the next midnight, China time, moving with the system's: a send made on
 * it can be filed under either date (MIDNIGHT_MARGIN_MS), so each reconcile look asks both.
 */
function pastChinaMidnight(): Clock {
  const now = Date.now();
  const offset = DAY_MS - ((now + CST_OFFSET_MS) % DAY_MS) + 2 * 60_000;
  return { now: () => Date.now() + offset };
}

describe('a chunk whose stored payload stops parsing after its call', () => {
  it.each([
    { when: 'its own day', clock: undefined },
    { when: 'just past midnight, China time (two SendDates a look)', clock: pastChinaMidnight() },
  ])('in doubt (the call reset), altered after its first look-up: expires as unknown at the next look, never resent; $when', async ({ clock }) => {
    const h = await harnesses.create({ label: 'payload-after-doubt', ...(clock ? { clock, emulator: { clock } } : {}) });
    const phone = '13800138010';
    h.emulator.setFaults([{ kind: 'reset', times: 1 }]);
    const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
    const chunkId = `${sendId}.0`;
    // Looks a second apart while it settles: the payload is altered between the first and the second.
    const logLines = await workerWithLog(h, { ...(clock ? { clock } : {}), reconcile: { firstLookAfterMs: 50, settleMs: 4500, lookIntervalMs: 1000, callDeadlineMs: 2500 } });
    const queries = () => h.emulator.calls().filter((c) => c.action === 'QuerySendDetails');
    // A look is one QuerySendDetails per SendDate the attempt can be filed under (two near midnight,
    // China time), one job each; its last adds the next look's job. Waiting for one call instead
    // missed the first look when both of its calls came between two polls.
    const calls = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    const secondLook = jobIds.reconcilePage({ chunkId, attempt: 1, look: 2, dateIndex: 0, page: 1 });
    await waitFor(async () => (await calls.getJob(secondLook)) !== undefined, 'the first reconcile look to end', 15_000);
    const doubted = await chunkOf(h, chunkId);
    expect(doubted.state).toBe('unknown');
    const firstLook = queries().length;
    expect(firstLook).toBe(reconcileSendDates(Number(doubted.sentAt)).length);
    await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'payload', '{"api":"SendSms","phones":');

    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'completed', 'the send to end', 15_000);
    expect(await chunkOf(h, chunkId)).toMatchObject({ state: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN', attempt: '1' });
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(1);
    expect(queries()).toHaveLength(firstLook);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ expired: 1, sending: 0, unknown: 0, queued: 0, accepted: 0 });
    expect(await errorLines(logLines)).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_OUTCOME_UNKNOWN', msg: expect.stringMatching(/not resent/) })]);
    expect(JSON.stringify(logLines())).not.toContain(phone);
  });

  it('accepted, altered before its first receipt look-up: no look-up; its recipients expire by chunk when the window ends; the send completes and calls back', async () => {
    const h = await harnesses.create({ label: 'payload-after-look', emulator: { delivery: { delayMs: 60_000, failureRatio: 0 } } });
    const secret = 'the-producers-callback-secret';
    const receiver = await startSignedReceiver(secret);
    harnesses.defer(() => receiver.close());
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, callbacks: true });
    harnesses.defer(() => producer.close());
    const phones = ['13800138020', '13800138021'];
    const { sendId } = await producer.send({ ...NOTE, phones, callbackUrl: receiver.url });
    const chunkId = `${sendId}.0`;
    // First look 1 s after acceptance, the window 2.5 s.
    const logLines = await workerWithLog(h, { callbackSecret: secret, receiptPolicies: ALL, receiptSchedule: { lookDelaysMs: [1000], windowMs: 2500 } });
    await waitFor(async () => (await chunkOf(h, chunkId)).state === 'accepted', 'the chunk to be accepted', 15_000);
    await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'payload', 'not json');

    await waitFor(async () => (await producer.getStatus(sendId)).send.state === 'completed', 'the send to complete', 10_000);
    expect((await producer.getStatus(sendId)).counts).toMatchObject({ expired: 2, accepted: 0, delivered: 0 });
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toEqual([]);
    await waitFor(() => receiver.got.length > 0, 'the callback', 15_000);
    expect(receiver.got).toEqual([{ ok: true, body: expect.objectContaining({ event: 'send.completed', sendId }) }]);
    expect(await chunkEvents(h, sendId)).toContainEqual(expect.objectContaining({ chunkId, from: 'accepted', state: 'expired', n: '2', code: 'SMSQ_RECEIPT_WINDOW' }));
    const listed = [];
    for await (const r of producer.recipients(sendId)) listed.push(r);
    expect(listed).toEqual([0, 1].map(() => expect.objectContaining({ phone: '(unreadable)', state: 'expired', code: 'SMSQ_RECEIPT_WINDOW', chunkId })));
    const errors = logLines().filter((l) => l.level === 50);
    expect(errors).toEqual([
      expect.objectContaining({ sendId, chunkId, code: 'SMSQ_PAYLOAD_UNREADABLE', msg: expect.stringMatching(/receipts cannot be looked up/) }),
      expect.objectContaining({ sendId, chunkId, code: 'SMSQ_RECEIPT_WINDOW', expired: 2, msg: expect.stringMatching(/expired by chunk/) }),
    ]);
    for (const p of phones) expect(JSON.stringify(logLines())).not.toContain(p);
  });

  it('accepted, one receipt in, then altered: the window expires the other by chunk (counts stay true); a later report changes nothing', async () => {
    const h = await harnesses.create({ label: 'payload-after-window' });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const [a, b] = ['13800138030', '13800138031'];
    const { sendId } = await h.producer.send({ ...NOTE, phones: [a, b] });
    const chunkId = `${sendId}.0`;
    const logLines = await workerWithLog(h, { receiptPolicies: NONE, receiptSchedule: { lookDelaysMs: [1000], windowMs: 2500 } });
    await waitFor(async () => (await chunkOf(h, chunkId)).state === 'accepted', 'the chunk to be accepted', 15_000);
    const { outId, bizId } = h.emulator.accepted()[0]!;
    const report = (phone: string) => ({ phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: bizId, out_id: outId, report_time: '2026-11-24 10:00:05' });
    expect(await ingest.applyReports([report(a)])).toMatchObject({ applied: 1 });
    // Its numbers still in it: a report can still be matched by number, as the apply script does.
    await dropSignName(h, chunkId);

    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'completed', 'the send to complete', 10_000);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ delivered: 1, expired: 1, accepted: 0 });
    expect(await ingest.applyReports([report(b)])).toMatchObject({ applied: 0, duplicates: 1 });
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ delivered: 1, expired: 1, accepted: 0 });
    // Which number holds which is no longer known: listed in the states the chunk's tally gives.
    const listed = [];
    for await (const r of h.producer.recipients(sendId)) listed.push(r);
    expect(listed).toEqual([
      expect.objectContaining({ phone: '(unreadable)', state: 'delivered', code: 'DELIVERED', chunkId }),
      expect.objectContaining({ phone: '(unreadable)', state: 'expired', code: 'SMSQ_RECEIPT_WINDOW', chunkId }),
    ]);
    expect(logLines().filter((l) => l.level === 50)).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_RECEIPT_WINDOW', expired: 1 })]);
  });
});

describe('a chunk record without its kind', () => {
  it('before the call: fails SMSQ_PAYLOAD_UNREADABLE naming the field, without a call; the send ends', async () => {
    const h = await harnesses.create({ label: 'kind-before' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138040'] });
    const chunkId = `${sendId}.0`;
    await h.redis.hdel(createKeys(h.prefix).chunk(chunkId), 'kind');

    // Records kept whole once the send ends, to read the chunk's.
    const logLines = await workerWithLog(h, { compactFinished: false });
    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'completed', 'the send to end', 15_000);
    const chunk = await chunkOf(h, chunkId);
    expect(chunk).toMatchObject({ state: 'failed', code: 'SMSQ_PAYLOAD_UNREADABLE' });
    expect(chunk.reason).toMatch(/^kind: missing from the chunk record.*\. Fix: /);
    expect(h.emulator.calls().map((c) => c.action)).toEqual([]);
    expect(await errorLines(logLines)).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_PAYLOAD_UNREADABLE' })]);
  });

  it('after acceptance: its receipt look-up says so once and looks nothing up; the window expires its recipients by number', async () => {
    const h = await harnesses.create({ label: 'kind-after', emulator: { delivery: { delayMs: 60_000, failureRatio: 0 } } });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138050'] });
    const chunkId = `${sendId}.0`;
    const logLines = await workerWithLog(h, { receiptPolicies: ALL, receiptSchedule: { lookDelaysMs: [1000], windowMs: 2500 } });
    await waitFor(async () => (await chunkOf(h, chunkId)).state === 'accepted', 'the chunk to be accepted', 15_000);
    await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'kind', 'bulk');

    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'completed', 'the send to complete', 10_000);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ expired: 1, accepted: 0 });
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toEqual([]);
    expect(logLines().filter((l) => l.level === 50)).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_PAYLOAD_UNREADABLE', reason: expect.stringMatching(/^kind: must be one of verification, notification, marketing\. Fix: /) })]);
    // Looked up no more (once said), and did not fail: BullMQ retried the job before, a TypeError each time.
    expect(await failedOrRetried(h)).toEqual([]);
  });
});
