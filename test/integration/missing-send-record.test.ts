/**
 * A chunk whose send record is gone (deleted by hand, evicted under a maxmemory policy, lost while
 * the chunk was kept) while the chunk and its send job remain. Before, the claim claimed it all the
 * same and the worker made the SendSms call: a send nobody can read, pause, cancel or see counted,
 * sent without its deadline or control checked. Only the repair sweep ended such chunks, a minute
 * after they last changed (if no job was left). Now the claim refuses it: no call, the chunk ends
 * `cancelled` with SMSQ_SEND_MISSING, the job completes (no retry), an error line names send and
 * chunk and the fix; the sweep then leaves it alone (a final state), and it is counted once.
 * Real worker, real Redis, the emulator through the real SDK.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createManualClock } from '../../src/clock.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { NotFoundError } from '../../src/errors.js';
import { buildServer } from '../../server/build-server.js';
import { harnessPerTest } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4821' }, kind: 'verification' as const };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

type LogLine = { level: number; msg: string; sendId?: string; chunkId?: string; code?: string; component?: string };

describe('a chunk whose send record is gone', () => {
  it('is not sent: cancelled SMSQ_SEND_MISSING by the claim, the job not retried, an error names send and chunk; counted once, the sweep leaves it', async () => {
    const h = await harnesses.create({ label: 'send-missing' });
    const keys = createKeys(h.prefix);
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138050', '13800138051'] });
    const chunkId = `${sendId}.0`;
    const totalsBefore = await h.redis.hgetall(keys.recipientTotals());
    // After the enqueue, before any worker: the send record goes (its counts hash, chunk and job stay).
    expect(await h.redis.del(keys.send(sendId))).toBe(1);

    const sink = collector();
    const clock = createManualClock(Date.now());
    const worker = await h.startWorker({ logger: createLogger({ level: 'info' }, sink), clock, repair: { intervalMs: 3_600_000, minAgeMs: 0 } });
    const lines = () => sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
    const jobId = jobIds.send(chunkId, 1);
    await waitFor(async () => (await h.redis.hget(`${h.prefix}:${CALLS_QUEUE}:${jobId}`, 'finishedOn')) !== null, 'the send job to finish', 15_000);

    // No call was made for it.
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms' || c.action === 'SendBatchSms')).toEqual([]);
    const chunk = await h.redis.hgetall(keys.chunk(chunkId));
    expect(chunk).toMatchObject({ state: 'cancelled', code: 'SMSQ_SEND_MISSING', attempt: '0' });
    // The job completed with what happened (Bull Board shows it), no retry.
    const job = await h.redis.hgetall(`${h.prefix}:${CALLS_QUEUE}:${jobId}`);
    expect(JSON.parse(job.returnvalue ?? 'null')).toEqual({ outcome: 'cancelled', code: 'SMSQ_SEND_MISSING' });
    expect(await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, jobId)).toBeNull();
    expect(Number(job.atm ?? 0)).toBe(1);

    // One error line, naming send, chunk, code and what to do.
    const errorLines = () => lines().filter((l) => l.level === 50);
    await waitFor(() => errorLines().length > 0, 'the error line');
    const errors = errorLines();
    expect(errors).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_SEND_MISSING', msg: expect.stringMatching(/send record .*gone.*not sent.*Fix: /) })]);
    expect(errors[0]?.msg).not.toContain('13800138050');

    // Status and REST answer SMSQ_NOT_FOUND (no send to read); the recipients moved queued → cancelled once.
    await expect(h.producer.getStatus(sendId)).rejects.toBeInstanceOf(NotFoundError);
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 't', dashboard: { token: 'd' }, checkResponses: true });
    harnesses.defer(() => app.close());
    const rest = await app.inject({ url: `/v1/sends/${sendId}`, headers: { authorization: 'Bearer t' } });
    expect(rest.statusCode).toBe(404);
    expect(rest.json()).toMatchObject({ error: { code: 'SMSQ_NOT_FOUND' } });
    const totals = await h.redis.hgetall(keys.recipientTotals());
    expect(Number(totals.queued ?? 0)).toBe(Number(totalsBefore.queued ?? 0) - 2);
    expect(Number(totals.cancelled ?? 0)).toBe(Number(totalsBefore.cancelled ?? 0) + 2);
    expect(Number(totals.sending ?? 0)).toBe(0);

    // The repair sweep finds nothing left to do with it: not moved again, not counted again.
    clock.advance(120_000);
    const report = await worker.repair?.runOnce();
    expect(report?.found.chunksOfMissingSend).toBe(0);
    expect(await h.redis.hgetall(keys.chunk(chunkId))).toEqual(chunk);
    expect(await h.redis.hgetall(keys.recipientTotals())).toEqual(totals);
    // No counts hash is left behind without a lifetime.
    const countsTtl = await h.redis.ttl(keys.sendCounts(sendId));
    expect(countsTtl === -2 || countsTtl > 0).toBe(true);
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toEqual([]);
  });

  it('with its counts gone too (evicted): each chunk of it ends without a call, and no counts hash is made anew without a lifetime', async () => {
    const h = await harnesses.create({ label: 'send-missing-counts' });
    const keys = createKeys(h.prefix);
    // A verification code goes one number per chunk: three chunks, three jobs.
    const { sendId } = await h.producer.send({ ...CODE, phones: ['13800138052', '13800138053', '13800138054'] });
    expect(await h.redis.del(keys.send(sendId), keys.sendCounts(sendId))).toBe(2);

    await h.startWorker({ repair: null });
    const ids = [0, 1, 2].map((i) => `${sendId}.${i}`);
    await waitFor(async () => (await Promise.all(ids.map((id) => h.redis.hget(keys.chunk(id), 'state')))).every((s) => s === 'cancelled'), 'every chunk to end', 15_000);
    for (const id of ids) expect(await h.redis.hgetall(keys.chunk(id))).toMatchObject({ state: 'cancelled', code: 'SMSQ_SEND_MISSING' });
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toEqual([]);
    expect(await h.redis.exists(keys.sendCounts(sendId))).toBe(0);
  });
});
