/**
 * A chunk record holding an attempt no claim of smsq makes, as a version before the attempt of an
 * OutId was bounded (b6f4375) left it after adopting a forged pushed report: `unknown`, code
 * SMSQ_REDIS_ROLLBACK, resolvedBy report, the forged OutId, and the attempt as Lua printed it
 * (`1e+20`, `1e+14`), or past MAX_ATTEMPT (`1000000000`); with the look-up job that version added
 * for it. That job's data does not parse; the repair sweep made a look-up of the same attempt
 * anew every round, which failed the same way: the chunk was never decided, the error said again
 * each round. Its genuine attempts' OutId and date went with the adoption, so no look-up can prove
 * them not accepted: the chunk is expired as unknown once, without any call, and said once.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { JOB, jobIds } from '../../src/queue/job-schemas.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { systemClock } from '../../src/clock.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { completionSends, createCompletion } from '../../src/receipts/completion.js';
import { createOrphanSweep } from '../../src/repair/orphan-sweep.js';
import { endForeignAttempt } from '../../src/repair/foreign-attempt.js';
import { harnessPerTest } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const ROUNDS = 4;
const harnesses = harnessPerTest();

describe('a chunk record holding an attempt no claim of smsq makes', () => {
  for (const [stored, named] of [['1e+20', '99999999999999999999'], ['1e+14', '100000000000000'], ['1000000000', '1000000000']] as const) {
    it(`attempt ${stored}: expired as unknown once, without a call, said once, over ${ROUNDS} repair rounds`, async () => {
      const h = await harnesses.create({ label: `foreign-attempt-${stored.length}` });
      const phone = '13866000001';
      const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
      const chunkId = `${sendId}.0`;
      const key = `${h.prefix}:chunk:${chunkId}`;
      const forged = `${chunkId}.${named}-abcdef`;
      // As that version's transition-7.lua adopted it (report-lost-attempt: queued -> unknown, the
      // counts moved, code SMSQ_REDIS_ROLLBACK): today's script, then its attempt as tostring(theirs)
      // printed it and the caller's OutId.
      const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
      expect(await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.1-abcdef`, fields: { resolvedBy: 'report' } })).toMatchObject({ applied: true });
      const now = Date.now() - 120_000;
      await h.redis.hset(key, 'attempt', stored, 'outId', forged, 'adoptedAt', now, 'sentAt', now, 'updatedAt', now);
      // And the look-up that version's report ingest added for it (the job data's attempt as parsed from the OutId).
      const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
      harnesses.defer(() => calls.close());
      const leftover = { sendId, chunkId, attempt: Number(named), look: 1, dateIndex: 0, page: 1, sentAt: now, outId: forged };
      await calls.add(JOB.reconcile, leftover, { jobId: jobIds.reconcilePage(leftover) });
      const logs = collector();
      const w = await h.startWorker({ logger: createLogger({ level: 'info' }, logs), compactFinished: false, repair: { intervalMs: 3_600_000, firstAfterMs: 3_600_000, minAgeMs: 0 } });
      // The leftover look-up runs first and fails (its data does not parse): it ends the chunk, or the first round does.
      await waitFor(async () => ['failed', 'completed'].includes(await calls.getJobState(jobIds.reconcilePage(leftover))), 'the leftover look-up job run');
      for (let round = 0; round < ROUNDS; round++) await w.repair?.runOnce();
      const ended = () => logs.text.split('\n').filter((l) => l.includes(chunkId) && l.includes('expired as unknown'));
      await waitFor(() => ended().length > 0, 'the chunk\'s end said');
      const chunk = await h.redis.hgetall(key);
      const lines = logs.text.split('\n').filter((l) => l.includes(chunkId) && l.includes('"level":50'));
      expect({ state: chunk.state, code: chunk.code, sent: h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length }, lines.join('\n')).toEqual({ state: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN', sent: 0 });
      expect(chunk.reason).toContain(`attempt "${stored}"`);
      // Kept on the chunk and read by every kind of caller: no one caller's command.
      expect(chunk.reason).toMatch(/: its outcome unknown, never looked up or resent; check the numbers' delivery before sending again$/);
      expect(chunk.reason).not.toMatch(/smsq (details|status)|producer\./);
      expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ unknown: 0, expired: 1 });
      // Said once with what was done: the leftover job's own failure aside, nothing said again each round.
      const said = lines.filter((l) => l.includes('expired as unknown'));
      expect(said, lines.join('\n')).toHaveLength(1);
      expect(JSON.parse(said[0] as string)).toMatchObject({ chunkId, attempt: stored });
      expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(2);
    }, 30_000);
  }
});

describe('the repair sweep alone, before any job of such a chunk ran', () => {
  const cases = [
    { state: 'unknown', stored: '1e+20', end: { state: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN' } },
    { state: 'sending', stored: '1e+14', end: { state: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN' } },
    // Queued again by a look-up of the forged OutId after it was adopted: an earlier call may have been accepted.
    { state: 'queued', stored: '1e+20', end: { state: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN' } },
  ] as const;
  for (const c of cases) {
    it(`${c.state} at ${c.stored}: ended (${c.end.state}) in the first round, found in no other; no look-up job, no call`, async () => {
      const h = await harnesses.create({ label: `foreign-attempt-sweep-${c.state}` });
      const keys = createKeys(h.prefix);
      const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
      const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
      harnesses.defer(async () => void (await Promise.all([calls.close(), housekeeping.close()])));
      const phone = '13866000002';
      const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
      const chunkId = `${sendId}.0`;
      expect(await calls.remove(jobIds.send(chunkId, 1))).toBe(1);
      const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
      // sending: an earlier version's claim at `1e+14` (its OutId `<chunk>.1e+14-<nonce>`), its worker gone.
      if (c.state === 'sending') expect((await chunks.claim(chunkId, sendId)).type).toBe('send');
      if (c.state === 'unknown') await chunks.transition(chunkId, sendId, { trigger: 'report-lost-attempt', outId: `${chunkId}.1-abcdef`, fields: { resolvedBy: 'report' } });
      await h.redis.hset(keys.chunk(chunkId), 'attempt', c.stored, 'outId', `${chunkId}.${c.stored}-abcdef`);
      const logs = collector();
      const sends = createSendStore({ redis: h.redis, keys });
      const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
      // Kept once ended (not compacted), for its record to be read.
      const completion = createCompletion({ sends: completionSends(sends, false), onEnded: (id) => followUps.callback(id) });
      const sweep = createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock: systemClock, logger: createLogger({ level: 'info' }, logs), firstLookAfterMs: 50, minAgeMs: 0 });
      const found = [];
      for (let round = 0; round < 3; round++) found.push((await sweep.run()).found.attemptNotOurs);
      expect(found).toEqual([1, 0, 0]);
      expect(await h.redis.hmget(keys.chunk(chunkId), 'state', 'code')).toEqual([c.end.state, c.end.code]);
      expect((await calls.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.id)).toEqual([]);
      const said = logs.text.split('\n').filter((l) => l.includes(chunkId) && l.includes('"level":50'));
      expect(said, logs.text).toHaveLength(1);
      expect(JSON.parse(said[0] as string)).toMatchObject({ chunkId, attempt: c.stored, state: c.end.state });
      expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ queued: 0, sending: 0, unknown: 0, [c.end.state]: 1 });
      expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toEqual([]);
    }, 30_000);
  }
});

describe('a foreign-attempt chunk ended while its call is still in flight (an older version\'s worker mid-call)', () => {
  it('the answer that arrives after is refused: no resend, the chunk stays expired as unknown (an accepted SMS is recorded so)', async () => {
    const h = await harnesses.create({ label: 'foreign-attempt-inflight' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13866000009'] });
    const chunkId = `${sendId}.0`;
    const keys = createKeys(h.prefix);
    const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
    const claim = await chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`claimed as ${claim.type}`);
    // An older version's claim at a foreign attempt: its OutId is what the in-flight call carries.
    await h.redis.hset(keys.chunk(chunkId), 'attempt', '1e+14');
    const chunk = await chunks.get(chunkId);
    if (chunk?.foreignAttempt === undefined) throw new Error('the attempt reads as one of ours');
    const ended = await endForeignAttempt({ chunks, completion: { check: () => Promise.resolve(false) }, logger: createLogger({ level: 'info' }, collector()) }, { ...chunk, foreignAttempt: chunk.foreignAttempt });
    expect(ended).toBe(true);
    const accepted = await chunks.transition(chunkId, sendId, { trigger: 'answer-accepted', outId: claim.outId, fields: { bizId: 'B1', code: 'OK', resolvedBy: 'answer', acceptedAt: Date.now() } });
    const notSent = await chunks.transition(chunkId, sendId, { trigger: 'answer-not-sent', outId: claim.outId, fields: { code: 'isv.BUSINESS_LIMIT_CONTROL' } });
    expect([accepted.applied, notSent.applied]).toEqual([false, false]);
    expect(await h.redis.hmget(keys.chunk(chunkId), 'state', 'code')).toEqual(['expired', 'SMSQ_OUTCOME_UNKNOWN']);
  }, 30_000);
});

describe('a send job claiming a chunk at a foreign attempt', () => {
  const cases = [
    // Left `sending` by an earlier version's claim, its worker gone mid-call: no look-up job could name that attempt.
    { state: 'sending', stored: '1e+14' },
    // Sent back to `queued` by a look-up of the forged OutId: an earlier call may have been accepted, so no SMSQ_GAVE_UP.
    { state: 'queued', stored: '1e+20' },
  ] as const;
  for (const c of cases) {
    it(`${c.state} at ${c.stored}: ended at once, expired as unknown; no look-up job queued, no call, said once`, async () => {
      const h = await harnesses.create({ label: `foreign-attempt-claim-${c.state}` });
      const phone = c.state === 'sending' ? '13866000010' : '13866000011';
      const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
      const chunkId = `${sendId}.0`;
      const keys = createKeys(h.prefix);
      // Its send job stays queued for the worker started below.
      if (c.state === 'sending') expect((await createChunkStore({ redis: h.redis, keys, clock: systemClock }).claim(chunkId, sendId)).type).toBe('send');
      await h.redis.hset(keys.chunk(chunkId), 'attempt', c.stored, 'outId', `${chunkId}.${c.stored}-abcdef`);
      const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
      harnesses.defer(() => calls.close());
      const logs = collector();
      await h.startWorker({ logger: createLogger({ level: 'info' }, logs), compactFinished: false });
      // `unknown` on the way: a claim of a chunk left sending marks its worker lost first (a loaded clean run read it there).
      await waitFor(async () => !['queued', 'sending', 'unknown'].includes((await h.redis.hget(keys.chunk(chunkId), 'state')) ?? ''), 'the chunk ended');
      expect(await h.redis.hmget(keys.chunk(chunkId), 'state', 'code')).toEqual(['expired', 'SMSQ_OUTCOME_UNKNOWN']);
      expect(await h.redis.hget(keys.chunk(chunkId), 'reason')).toContain(`attempt "${c.stored}"`);
      const jobs = await calls.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
      expect(jobs.filter((j) => j.name === JOB.reconcile).map((j) => j.id)).toEqual([]);
      const said = () => logs.text.split('\n').filter((l) => l.includes(chunkId) && (l.includes('expired as unknown') || l.includes('looking it up')));
      await waitFor(() => said().length > 0, 'the chunk\'s end said');
      expect(said(), logs.text).toHaveLength(1);
      expect(JSON.parse(said()[0] as string)).toMatchObject({ chunkId, attempt: c.stored, state: 'expired' });
      expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toEqual([]);
    }, 30_000);
  }
});
