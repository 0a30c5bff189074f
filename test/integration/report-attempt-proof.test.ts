/**
 * A pushed report is a claim (anyone with the report token can make one); an accepted answer is
 * proof. A probe found a push naming the attempt after the one a worker was mid-call on (no OutId
 * nonce needed: Redis cannot know the nonce of an attempt it never recorded) moving the chunk to
 * `unknown` at that attempt (report-lost-attempt, SMSQ_REDIS_ROLLBACK); the worker's accepted
 * answer then met a newer attempt and was dropped, its BizId lost, and once the look-up of the
 * forged OutId had found nothing within the settling window (Alibaba's records lagging), the chunk
 * was sent again: two accepted SendSms to the same numbers.
 *
 * Real Redis, the emulator through the real SDK, a real worker for the race.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { JOB } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { ingestFor } from '../support/ingest.js';
import { fastReconcileFor, harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

describe('a pushed report naming a newer attempt than the record', () => {
  it('while the chunk is mid-call, is not adopted: the worker\'s accepted answer settles the chunk, its BizId kept, nothing resent', async () => {
    // Answers take 1 s, and Alibaba's records lag past the settling window: a look-up finds nothing.
    const h = await harnesses.create({ label: 'forged-mid-call', readTimeoutMs: 2500, emulator: { latencyMs: 1000, detailsLagMs: 120_000 } });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const phones = ['13866290001', '13866290002'];
    const { sendId } = await h.producer.send({ ...NOTE, phones });
    const chunkId = `${sendId}.0`;
    const key = `${h.prefix}:chunk:${chunkId}`;
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    await h.startWorker({ compactFinished: false, reconcile: fastReconcileFor(undefined, 2500) });
    await waitFor(async () => (await h.redis.hget(key, 'state')) === 'sending', 'the worker mid-call');

    const forged = await ingest.applyReports([{ phone_number: phones[0], success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc` }]);
    const afterPush = await h.redis.hmget(key, 'state', 'attempt');

    await waitFor(async () => (await h.redis.hget(key, 'state')) === 'accepted', 'the worker\'s answer', 10_000);
    // Whatever look-up the push scheduled has run out (past the settling window), and nothing was resent.
    await waitFor(async () => ((await calls.getJobs(['wait', 'prioritized', 'delayed', 'active'])).some((j) => j.name === JOB.reconcile) ? undefined : true), 'no look-up pending', 20_000);
    const sent = h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phones[0] as string));
    expect(sent).toHaveLength(1);
    const [real] = sent as [(typeof sent)[number]];
    expect(await h.redis.hmget(key, 'state', 'attempt', 'outId', 'bizId')).toEqual(['accepted', '1', real.outId, real.bizId]);
    // A real report of the attempt that was sent applies.
    const report = await ingest.applyReports([{ phone_number: phones[1], success: true, err_code: 'DELIVERED', biz_id: real.bizId, out_id: real.outId }]);
    expect(report).toMatchObject({ applied: 1, refused: 0 });
    // The push was set aside: the chunk was left to its worker.
    expect(forged).toMatchObject({ adopted: 0, refused: 1 });
    expect(afterPush).toEqual(['sending', '1']);
  }, 40_000);

  it('adopted while the chunk was in doubt, gives way to an accepted answer for the attempt before it: accepted at that attempt, with its OutId and BizId', async () => {
    const h = await harnesses.create({ label: 'forged-then-answer' });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const phones = ['13866290003', '13866290004'];
    const { sendId } = await h.producer.send({ ...NOTE, phones });
    const chunkId = `${sendId}.0`;
    const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
    const claim = await chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    // Its worker was taken for dead (held up past the call deadline) while its call went on.
    const lost = await chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } });
    expect(lost).toMatchObject({ applied: true, to: 'unknown' });
    const forged = await ingest.applyReports([{ phone_number: phones[0], success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc` }]);
    expect(forged).toMatchObject({ adopted: 1 });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 2 });

    const answer = await chunks.transition(chunkId, sendId, { trigger: 'answer-accepted', outId: claim.outId, fields: { bizId: 'biz-1', code: 'OK', resolvedBy: 'answer', acceptedAt: Date.now() } });
    expect(answer).toMatchObject({ applied: true, from: 'unknown', to: 'accepted', provedAttempt: 1 });
    // `attempt` keeps counting the claims (the adopted one may have been made); the OutId says which was accepted.
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'accepted', attempt: 2, outId: claim.outId, bizId: 'biz-1' });
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ unknown: 0, accepted: 2 });
    const report = await ingest.applyReports([{ phone_number: phones[1], success: true, err_code: 'DELIVERED', biz_id: 'biz-1', out_id: claim.outId }]);
    expect(report).toMatchObject({ applied: 1, refused: 0 });
    // Only an accepted answer is proof: a refusal or no answer for an earlier attempt still changes nothing.
    const { sendId: other } = await h.producer.send({ ...NOTE, phones: ['13866290005'] });
    const otherId = `${other}.0`;
    const c2 = await chunks.claim(otherId, other);
    if (c2.type !== 'send') throw new Error(`claim: ${c2.type}`);
    await chunks.transition(otherId, other, { trigger: 'answer-unknown', outId: c2.outId, fields: { code: 'SMSQ_WORKER_LOST' } });
    await ingest.applyReports([{ phone_number: '13866290005', success: true, biz_id: 'x^0', out_id: `${otherId}.2-abc` }]);
    for (const trigger of ['answer-failed', 'answer-unknown', 'answer-not-sent'] as const) {
      const t = await chunks.transition(otherId, other, { trigger, outId: c2.outId, fields: { code: 'isv.X' } });
      expect(t, trigger).toMatchObject({ applied: false, refused: 'other-attempt' });
    }
  });
  it('an accepted answer for the record\'s own attempt, late past a look-up that found nothing (queued again, not yet claimed), settles it: not sent a second time', async () => {
    // A worker held up mid-call (a paused process, a long GC) answers after its chunk was taken for
    // lost and looked up; Alibaba's records lagged past the settling window, so it went back to
    // `queued` for a new attempt. The answer is Dysmsapi's word that the attempt was accepted: it
    // was refused (not from `queued`), and the chunk's next claim sent it again.
    const h = await harnesses.create({ label: 'late-answer-queued' });
    const phones = ['13866290006'];
    const { sendId } = await h.producer.send({ ...NOTE, phones });
    const chunkId = `${sendId}.0`;
    const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
    const claim = await chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    await chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } });
    const notFound = await chunks.transition(chunkId, sendId, { trigger: 'lookup-not-found', outId: claim.outId, fields: { resolvedBy: 'lookup' } });
    expect(notFound).toMatchObject({ applied: true, to: 'queued' });
    const answer = await chunks.transition(chunkId, sendId, { trigger: 'answer-accepted', outId: claim.outId, fields: { bizId: 'biz-late', code: 'OK', resolvedBy: 'answer', acceptedAt: Date.now() } });
    expect(answer).toMatchObject({ applied: true, from: 'queued', to: 'accepted' });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'accepted', attempt: 1, outId: claim.outId, bizId: 'biz-late' });
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ queued: 0, accepted: 1 });
    expect((await chunks.claim(chunkId, sendId)).type).not.toBe('send');
  });
});
