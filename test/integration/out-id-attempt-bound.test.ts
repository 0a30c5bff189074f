/**
 * The attempt of an OutId is bounded (MAX_ATTEMPT, out-id.ts) in the scripts as in parseOutId: a
 * caller that skips parseOutId cannot make a chunk adopt an attempt Lua would store as `1e+20`,
 * and a claim never makes an attempt past the bound (its OutId would be no OutId of ours). Nor can
 * it make one adopt an OutId whose nonce parseOutId would not read.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { MAX_ATTEMPT, MAX_ATTEMPT_LEAD, parseOutId } from '../../src/queue/out-id.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

describe('the attempt of an OutId, in the scripts', () => {
  it('a transition adopts no attempt past MAX_ATTEMPT, nor one not written as digits, nor one of another chunk', async () => {
    const h = await harnesses.create({ label: 'attempt-bound-adopt' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13865000001'] });
    const chunkId = `${sendId}.0`;
    const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
    for (const attempt of ['99999999999999999999', '100000000000000', String(MAX_ATTEMPT + 1), '0', '02', '2.5']) {
      const t = await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.${attempt}-abcdef`, fields: { resolvedBy: 'report' } });
      expect(t, attempt).toMatchObject({ applied: false, refused: 'other-attempt' });
    }
    // A nonce as parseOutId reads one: 1 to 16 of [0-9a-z].
    for (const nonce of ['0123456789abcdefg', 'ABCDEF', '']) {
      expect(parseOutId(`${chunkId}.2-${nonce}`), nonce).toBeUndefined();
      const t = await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.2-${nonce}`, fields: { resolvedBy: 'report' } });
      expect(t, nonce).toMatchObject({ applied: false, refused: 'other-attempt' });
    }
    const other = await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${sendId}.1.2-abcdef`, fields: { resolvedBy: 'report' } });
    expect(other).toMatchObject({ applied: false, refused: 'other-attempt' });
    expect(await h.redis.hmget(`${h.prefix}:chunk:${chunkId}`, 'state', 'attempt')).toEqual(['queued', '0']);
    // The largest is adopted from a record at most MAX_ATTEMPT_LEAD behind it, stored as the digits it came as.
    await h.redis.hset(`${h.prefix}:chunk:${chunkId}`, 'attempt', String(MAX_ATTEMPT - MAX_ATTEMPT_LEAD));
    const top = await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.${MAX_ATTEMPT}-abcdef`, fields: { resolvedBy: 'report' } });
    expect(top).toMatchObject({ applied: true, adoptedAttempt: MAX_ATTEMPT });
    expect(await h.redis.hget(`${h.prefix}:chunk:${chunkId}`, 'attempt')).toBe(String(MAX_ATTEMPT));
  });

  it('a transition adopts an attempt at most MAX_ATTEMPT_LEAD ahead of the record, none further', async () => {
    const h = await harnesses.create({ label: 'attempt-bound-lead' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13865000003'] });
    const chunkId = `${sendId}.0`;
    const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
    await h.redis.hset(`${h.prefix}:chunk:${chunkId}`, 'attempt', '5');
    const past = await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.${5 + MAX_ATTEMPT_LEAD + 1}-abcdef`, fields: { resolvedBy: 'report' } });
    expect(past).toMatchObject({ applied: false, refused: 'other-attempt' });
    expect(await h.redis.hmget(`${h.prefix}:chunk:${chunkId}`, 'state', 'attempt')).toEqual(['queued', '5']);
    const within = await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.${5 + MAX_ATTEMPT_LEAD}-abcdef`, fields: { resolvedBy: 'report' } });
    expect(within).toMatchObject({ applied: true, adoptedAttempt: 5 + MAX_ATTEMPT_LEAD });
  });

  it('a look-up that finds an attempt further ahead than MAX_ATTEMPT_LEAD records the chunk accepted, its attempt not adopted', async () => {
    const h = await harnesses.create({ label: 'attempt-bound-found' });
    const phone = '13865000004';
    const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
    const chunkId = `${sendId}.0`;
    // Found at Alibaba, so sent (by whatever sent it): proof the chunk was accepted, not of lost claims.
    const ahead = `${chunkId}.${2 + MAX_ATTEMPT_LEAD}-abcdef`;
    expect((await h.client.sendSms({ phoneNumbers: [phone], signName: NOTE.signName, templateCode: NOTE.templateCode, templateParam: NOTE.templateParam, outId: ahead })).ok).toBe(true);
    // The worker's own attempt 1 is not accepted and has no answer: looked up.
    h.emulator.addFault({ kind: 'reset', actions: ['SendSms'], phones: [phone] });
    await h.startWorker({ compactFinished: false });
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'accepted', 30_000).catch(() => undefined);
    expect(await h.redis.hmget(`${h.prefix}:chunk:${chunkId}`, 'state', 'attempt', 'outId')).toEqual(['accepted', '1', ahead]);
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).map((a) => a.outId)).toEqual([ahead]);
  }, 40_000);

  it('a chunk whose attempts reached MAX_ATTEMPT is given up (SMSQ_GAVE_UP), not sent under an OutId of no one', async () => {
    const h = await harnesses.create({ label: 'attempt-bound-claim' });
    const phone = '13865000002';
    const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
    await h.redis.hset(`${h.prefix}:chunk:${sendId}.0`, 'attempt', String(MAX_ATTEMPT));
    // Kept once final (not compacted), for its record to be read.
    await h.startWorker({ compactFinished: false });
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.failed === 1, 'failed');
    expect(await h.redis.hmget(`${h.prefix}:chunk:${sendId}.0`, 'state', 'code', 'attempt')).toEqual(['failed', 'SMSQ_GAVE_UP', String(MAX_ATTEMPT)]);
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toEqual([]);
  }, 30_000);
});
