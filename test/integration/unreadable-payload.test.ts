/**
 * A chunk whose stored payload does not parse (altered by hand, cut short, written by something
 * else than smsq's producer). What it would send cannot be read, so nothing is sent for it: the
 * worker fails it with SMSQ_PAYLOAD_UNREADABLE and a reason naming what is wrong, counts its
 * recipients failed, and the send ends as with any failed chunk. Before, the claim had moved it
 * to `sending` and the parse then threw: the chunk stayed `sending` for good, the send never ended,
 * and only the job's failedReason (V8's JSON message, which may quote the payload) said why. An
 * attempt already in doubt cannot be looked up without its numbers, and is never resent without a
 * look-up: it expires as unknown.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { systemClock } from '../../src/clock.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createProducer } from '../../producers/producer.js';
import { startSignedReceiver } from '../support/ingest.js';
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

async function chunkOf(h: Harness, chunkId: string): Promise<Record<string, string>> {
  return h.redis.hgetall(createKeys(h.prefix).chunk(chunkId));
}

describe('a chunk whose stored payload does not parse', () => {
  it('cut short: fails SMSQ_PAYLOAD_UNREADABLE without a call, its recipients failed; the send ends and calls back; an error names send and chunk', async () => {
    const h = await harnesses.create({ label: 'payload-cut' });
    const secret = 'the-producers-callback-secret';
    const receiver = await startSignedReceiver(secret);
    harnesses.defer(() => receiver.close());
    const producer = createProducer({ redis: h.redis, prefix: h.prefix, logger: h.logger, callbacks: true });
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
    expect(errors).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_PAYLOAD_UNREADABLE', msg: expect.stringMatching(/payload does not parse.*not sent/) })]);
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
    expect(logLines().filter((l) => l.level === 50)).toEqual([expect.objectContaining({ sendId, chunkId: bad, code: 'SMSQ_PAYLOAD_UNREADABLE' })]);
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
    expect(logLines().filter((l) => l.level === 50)).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_OUTCOME_UNKNOWN' })]);
  });
});
