/**
 * The repair sweep, one orphan category at a time, against the private Redis and the emulator
 * through the real SDK. Each orphan is made with the operations that leave it in production (a
 * job gone, a claim with no job, a chunk or send record gone); test/integration/orphan-sweep-crash
 * makes them with a real rollback.
 */
import { exitCodeOf } from '../../src/errors.js';
import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createManualClock, systemClock, type Clock } from '../../src/clock.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore, chunkIdOf, type ChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { createKeys, type Keys } from '../../src/queue/keys.js';
import { COMPACT_FIELD, createSendStore, type SendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createLeaderLease } from '../../src/repair/leader-lease.js';
import { createOrphanSweep, type OrphanSweep, type OrphanSweepOptions } from '../../src/repair/orphan-sweep.js';
import { createRepairSchedule } from '../../src/repair/repair-schedule.js';
import { REPAIR_CATEGORIES, type RepairCategory, type RepairReport } from '../../src/repair/repair-report.js';
import { runCli } from '../../cli/program.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
const NO_RECEIPTS = { verification: { mode: 'none', sampleRate: 0 }, notification: { mode: 'none', sampleRate: 0 }, marketing: { mode: 'none', sampleRate: 0 } } as const;

interface Setup {
  h: Harness;
  keys: Keys;
  calls: Queue;
  chunks: ChunkStore;
  sends: SendStore;
  sweep(opts?: Partial<OrphanSweepOptions>): OrphanSweep;
}

let current: { h: Harness; queues: Queue[] } | undefined;
afterEach(async () => {
  if (!current) return;
  await Promise.all(current.queues.map((q) => q.close()));
  await current.h.close();
  current = undefined;
});

async function setup(label: string, clock: Clock = systemClock): Promise<Setup> {
  const h = await createHarness({ label });
  const keys = createKeys(h.prefix);
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  current = { h, queues: [calls, housekeeping] };
  const chunks = createChunkStore({ redis: h.redis, keys, clock });
  const sends = createSendStore({ redis: h.redis, keys });
  const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });
  return {
    h,
    keys,
    calls,
    chunks,
    sends,
    sweep: (opts = {}) =>
      createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock, logger: h.logger, firstLookAfterMs: 50, minAgeMs: 0, ...opts }),
  };
}

/** Found per category over runs until one finds nothing (SCAN may see a job before its chunk). */
async function sweepUntilQuiet(sweep: OrphanSweep, dryRun = false): Promise<Record<RepairCategory, number>> {
  const total = Object.fromEntries(REPAIR_CATEGORIES.map((c) => [c, 0])) as Record<RepairCategory, number>;
  for (let i = 0; i < 5; i++) {
    const report: RepairReport = await sweep.run({ dryRun });
    let found = 0;
    for (const c of REPAIR_CATEGORIES) {
      total[c] += report.found[c];
      found += report.found[c];
    }
    if (found === 0 || dryRun) return total;
  }
  return total;
}

const onlyFound = (found: Record<RepairCategory, number>) => Object.fromEntries(Object.entries(found).filter(([, n]) => n > 0));

function timesAccepted(h: Harness, phone: string): number {
  return h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;
}

describe('repair sweep: chunks', () => {
  it('a queued chunk whose lost attempt was accepted is looked up and accepted, never sent again', async () => {
    const s = await setup('rep-q-found');
    const phone = '13800000001';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    // A claim that reached Dysmsapi and was then erased (its OutId is the one the claim makes), and no job left.
    expect((await s.h.client.sendSms({ phoneNumbers: [phone], signName: CODE.signName, templateCode: CODE.templateCode, templateParam: CODE.templateParam, outId: `${chunkId}.1` })).ok).toBe(true);
    expect(await s.calls.remove(jobIds.send(chunkId, 1))).toBe(1);

    expect(onlyFound(await sweepUntilQuiet(s.sweep()))).toEqual({ queuedWithoutJob: 1 });
    expect(await s.chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 1, code: 'SMSQ_ORPHANED' });

    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    await waitFor(async () => (await s.chunks.get(chunkId))?.state === 'accepted', 'the look-up to accept the chunk');
    expect(await s.chunks.get(chunkId)).toMatchObject({ resolvedBy: 'reconcile', attempt: 1 });
    expect(timesAccepted(s.h, phone)).toBe(1);
  });

  it('a queued chunk with no job and no attempt is resent once, after the look-up finds nothing', async () => {
    const s = await setup('rep-q-resend');
    const phone = '13800000002';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    await s.calls.remove(jobIds.send(chunkId, 1));

    expect(onlyFound(await sweepUntilQuiet(s.sweep()))).toEqual({ queuedWithoutJob: 1 });
    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    await waitFor(async () => (await s.chunks.get(chunkId))?.state === 'accepted', 'the resend to be accepted');
    expect(await s.chunks.get(chunkId)).toMatchObject({ attempt: 2, resolvedBy: 'answer' });
    expect(timesAccepted(s.h, phone)).toBe(1);
    expect((await s.h.producer.getStatus(sendId)).counts).toMatchObject({ queued: 0, unknown: 0, accepted: 1 });
  });

  it('a sending chunk with no job is marked unknown and looked up', async () => {
    const s = await setup('rep-sending');
    const phone = '13800000003';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    const claim = await s.chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`expected a send claim, got ${claim.type}`);
    expect((await s.h.client.sendSms({ phoneNumbers: [phone], signName: CODE.signName, templateCode: CODE.templateCode, templateParam: CODE.templateParam, outId: claim.outId })).ok).toBe(true);
    await s.calls.remove(jobIds.send(chunkId, 1));

    expect(onlyFound(await sweepUntilQuiet(s.sweep()))).toEqual({ sendingWithoutJob: 1 });
    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    await waitFor(async () => (await s.chunks.get(chunkId))?.state === 'accepted', 'the look-up to accept the chunk');
    expect(timesAccepted(s.h, phone)).toBe(1);
  });

  it('an unknown chunk whose look-up completed as obsolete gets a new look (not the finished job id) and is resolved', async () => {
    const s = await setup('rep-unknown');
    const phone = '13800000004';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    await s.calls.remove(jobIds.send(chunkId, 1));
    // A look-up of attempt 1 that ran while the record was still at attempt 0 (a rolled-back
    // claim) and completed as obsolete: its job id is taken for good.
    const followUps = createFollowUps({ calls: s.calls, housekeeping: s.calls, clock: systemClock, receiptPolicies: NO_RECEIPTS, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    await followUps.reconcile({ sendId, chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 }, 'verification', 0);
    const worker = await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    const look1 = jobIds.reconcilePage({ chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 });
    await waitFor(async () => (await s.calls.getJob(look1))?.finishedOn, 'the first look to finish');
    expect((await s.calls.getJob(look1))?.returnvalue).toMatchObject({ outcome: 'obsolete' });
    await worker.close();
    // Then the chunk reads unknown at attempt 1 with no job (its worker died mid-call, its job is gone).
    const claim = await s.chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`expected a send claim, got ${claim.type}`);
    const t = await s.chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } });
    expect(t.applied).toBe(true);

    expect(onlyFound(await sweepUntilQuiet(s.sweep()))).toEqual({ unknownWithoutJob: 1 });
    expect(await s.calls.getJob(jobIds.reconcilePage({ chunkId, attempt: 1, look: 2, dateIndex: 0, page: 1 }))).toBeDefined();
    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    // Never sent, so the look-up finds nothing, waits out the settling window and resends once.
    await waitFor(async () => (await s.chunks.get(chunkId))?.state === 'accepted', 'the chunk to be resent and accepted');
    expect(timesAccepted(s.h, phone)).toBe(1);
  });

  it('leaves chunks with live jobs, and chunks changed within min-age, alone', async () => {
    const s = await setup('rep-live');
    const a = await s.h.producer.send({ phones: ['13800000005', '13800000006'], ...CODE });
    // Claimed: sending with its job still waiting (as while a worker holds it).
    await s.chunks.claim(chunkIdOf(a.sendId, '0'), a.sendId);
    const report = await s.sweep().run();
    expect(onlyFound(report.found)).toEqual({});
    expect(report.scanned.chunks).toBeGreaterThanOrEqual(2);
    // No job, but changed just now: its follow-up may be on its way.
    await s.calls.remove(jobIds.send(chunkIdOf(a.sendId, '1'), 1));
    expect(onlyFound((await s.sweep({ minAgeMs: 60_000 }).run()).found)).toEqual({});
  });
});

describe('repair sweep: the index of sends', () => {
  it('trims the expired entries of a kind no longer sent (they were trimmed only when a send of that kind was created), and only when it writes', async () => {
    const s = await setup('rp-index');
    const { createProducer } = await import('../../producers/producer.js');
    // Two hours ago, kept for an hour: the marketing send has expired by the index's horizon.
    const past: Clock = { now: () => Date.now() - 2 * 3600_000 };
    const earlier = createProducer({ redis: s.h.producerRedis, prefix: s.h.prefix, clock: past, retention: { marketing: 3600 } });
    const old = await earlier.send({ ...CODE, kind: 'marketing', signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'Ada' }, phones: ['13860000001'] });
    await earlier.close();
    const recent = await s.h.producer.send({ ...CODE, kind: 'notification', templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, phones: ['13860000002'] });
    const entries = async (kind: 'marketing' | 'notification') => (await s.h.redis.xrange(s.keys.sendIndex(kind), '-', '+')).map(([, fields]) => fields[1]);
    expect(await entries('marketing')).toEqual([old.sendId]);

    await s.sweep().run({ dryRun: true });
    expect(await entries('marketing')).toEqual([old.sendId]);
    // The worker's periodic sweep, as it runs every interval.
    const worker = await s.h.startWorker({ receiptPolicies: NO_RECEIPTS, repair: { intervalMs: 3_600_000 } });
    expect(await worker.repair?.runOnce()).toBeDefined();
    // Today's fault: no marketing send came after it, so its entry stayed for good.
    expect(await entries('marketing')).toEqual([]);
    expect(await entries('notification')).toEqual([recent.sendId]);
  });
});

describe('repair sweep: jobs and sends', () => {
  it('removes a job whose chunk is gone, and ends a chunk whose send is gone (with its job), without a call', async () => {
    const s = await setup('rep-gone');
    const a = await s.h.producer.send({ phones: ['13800000007'], ...CODE });
    const b = await s.h.producer.send({ phones: ['13800000008'], ...CODE });
    const chunkA = chunkIdOf(a.sendId, '0');
    const chunkB = chunkIdOf(b.sendId, '0');
    await s.h.redis.del(s.keys.chunk(chunkA)); // expired before its job ran
    await s.h.redis.del(s.keys.send(b.sendId)); // the send record expired or was evicted

    const found = await sweepUntilQuiet(s.sweep());
    expect(onlyFound(found)).toEqual({ jobsWithoutChunkOrSend: 2, chunksOfMissingSend: 1 });
    expect(await s.calls.getJob(jobIds.send(chunkA, 1))).toBeUndefined();
    expect(await s.calls.getJob(jobIds.send(chunkB, 1))).toBeUndefined();
    expect(await s.chunks.get(chunkB)).toMatchObject({ state: 'cancelled', code: 'SMSQ_SEND_MISSING' });
    expect(await s.h.redis.exists(s.keys.sendCounts(b.sendId))).toBe(0);
    await s.h.startWorker();
    expect(s.h.emulator.accepted()).toEqual([]);
  });

  it('a compacted send is final: nothing of it is an orphan, and a job left for its deleted chunk is left to end by itself', async () => {
    const s = await setup('rep-compacted');
    await s.h.startWorker({
      receiptPolicies: { ...DEFAULT_RECEIPT_POLICIES, verification: { mode: 'all', sampleRate: 1 } },
      receiptSchedule: { lookDelaysMs: [200, 400], windowMs: 3_600_000 },
      compactFinished: true,
    });
    const res = await s.h.producer.send({ phones: ['13800000031'], ...CODE });
    const chunkId = chunkIdOf(res.sendId, '0');
    await waitFor(async () => ((await s.h.redis.hexists(s.keys.send(res.sendId), COMPACT_FIELD)) === 1 ? true : undefined), 'the send compacted');
    expect(await s.h.redis.exists(s.keys.chunk(chunkId))).toBe(0);
    // A stale job of the send, as a look-up scheduled before its recipient's report came in.
    await s.calls.add('send', { sendId: res.sendId, chunkId }, { jobId: jobIds.send(chunkId, 9), delay: 3_600_000 });
    expect(onlyFound(await sweepUntilQuiet(s.sweep()))).toEqual({});
    expect(await s.calls.getJob(jobIds.send(chunkId, 9))).toBeDefined();
    expect((await s.sends.status(res.sendId))?.send.state).toBe('completed');
  });

  it('finishes an enqueue whose chunks are all written, and fails one its producer abandoned part-way', async () => {
    const started = Date.now() - 30 * 60_000;
    const clock = createManualClock(started);
    const s = await setup('rep-enq', clock);
    // Send A: every chunk and job written, the producer died before marking it enqueued.
    const full = 'sfullenqueue01';
    await s.sends.create({ sendId: full, kind: 'verification', api: 'SendSms', templateCode: CODE.templateCode, signName: CODE.signName, recipients: 2, rejected: 0, duplicates: 0, chunks: 2, createdAt: started }, 3600);
    // Send B: a campaign (chunk count unknown until the end) that wrote one chunk and died.
    const part = 'spartenqueue01';
    await s.sends.create({ sendId: part, kind: 'verification', api: 'SendSms', templateCode: CODE.templateCode, signName: CODE.signName, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: started }, 3600);
    const payload = (phone: string) => ({ api: 'SendSms' as const, phones: [phone], signName: CODE.signName, templateCode: CODE.templateCode, templateParam: CODE.templateParam });
    await s.chunks.create(
      [
        { sendId: full, index: '0', kind: 'verification', payload: payload('13800000011') },
        { sendId: full, index: '1', kind: 'verification', payload: payload('13800000012') },
        { sendId: part, index: '0', kind: 'verification', payload: payload('13800000013') },
      ],
      3600,
    );
    for (const c of [chunkIdOf(full, '0'), chunkIdOf(full, '1'), chunkIdOf(part, '0')]) {
      await s.calls.add('send', { sendId: c.split('.')[0], chunkId: c }, { jobId: jobIds.send(c, 1), priority: 1 });
    }
    // An operator paused A while it was enqueuing: paused, it is still unfinished.
    expect(await s.sends.setControl(full, 'pause', 'held by an operator')).toEqual({ from: 'enqueuing', to: 'paused' });
    // Within the grace period: a slow producer, not a dead one.
    expect(onlyFound((await s.sweep({ enqueueGraceMs: 60 * 60_000 }).run()).found)).toEqual({});

    clock.set(Date.now());
    expect(onlyFound(await sweepUntilQuiet(s.sweep({ enqueueGraceMs: 10 * 60_000 })))).toEqual({ enqueuingFinished: 1, enqueuingAbandoned: 1 });
    // Finished, it stays paused until resumed.
    expect((await s.sends.status(full))?.send).toMatchObject({ state: 'paused', enqueuedAt: expect.any(Number) });
    expect(await s.sends.setControl(full, 'resume', 'resumed')).toEqual({ from: 'paused', to: 'active' });
    expect((await s.sends.status(part))?.send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' });

    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    await waitFor(async () => (await s.sends.status(full))?.counts.accepted === 2, 'the finished send to be sent');
    // Its enqueue ended at the chunk written, nothing left pending once that chunk fails: compacted then, its counts kept.
    await waitFor(async () => (await s.sends.status(part))?.counts.failed === 1, 'the abandoned send’s chunk to fail unsent');
    expect((await s.sends.status(part))?.send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED', recipients: 1, chunks: 1, enqueuedAt: expect.any(Number) });
    await waitFor(() => s.sends.isCompacted(part), 'the abandoned send to be compacted, nothing of it pending');
    // Compacted, it still says its producer never recorded the rows it refused or dropped.
    expect((await s.sends.status(part))?.send).toMatchObject({ state: 'failed', recipients: 1, chunks: 1, rejected: null, duplicates: null });
    expect(timesAccepted(s.h, '13800000013')).toBe(0);
  });
});

describe('repair sweep: on its own schedule', () => {
  it('a worker\'s periodic sweep resolves an orphan by itself once it is older than min-age: looked up, accepted once, never resent', async () => {
    const s = await setup('rep-periodic');
    const phone = '13800000031';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    // The orphan a rollback leaves: the attempt reached Dysmsapi, then Redis lost the claim and the job.
    expect((await s.h.client.sendSms({ phoneNumbers: [phone], signName: CODE.signName, templateCode: CODE.templateCode, templateParam: CODE.templateParam, outId: `${chunkId}.1` })).ok).toBe(true);
    expect(await s.calls.remove(jobIds.send(chunkId, 1))).toBe(1);
    const orphanedSince = Number(await s.h.redis.hget(s.keys.chunk(chunkId), 'updatedAt'));
    expect(orphanedSince).toBeGreaterThan(0);

    // Rounds every 300 ms from the start; the first ones find the chunk too young to judge, so
    // only a later round can resolve it: the schedule repeats, nobody calls runOnce.
    const minAgeMs = 1500;
    const worker = await s.h.startWorker({ receiptPolicies: NO_RECEIPTS, repair: { intervalMs: 300, firstAfterMs: 50, minAgeMs } });
    expect(worker.repair).toBeDefined();
    const accepted = await waitFor(async () => {
      const c = await s.chunks.get(chunkId);
      return c?.state === 'accepted' ? c : undefined;
    }, 'the periodic sweep to find the orphan and its look-up to accept it', 15_000);
    expect(accepted).toMatchObject({ attempt: 1, resolvedBy: 'reconcile' });
    // Judged only once it was min-age old: the look-up came after that.
    const looks = s.h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.phones.includes(phone));
    expect(looks.length).toBeGreaterThan(0);
    expect((looks[0]?.at ?? 0) - orphanedSince).toBeGreaterThanOrEqual(minAgeMs);
    expect(timesAccepted(s.h, phone)).toBe(1);
    expect((await s.h.producer.getStatus(sendId)).counts).toMatchObject({ queued: 0, unknown: 0, accepted: 1 });
  });
});

describe('repair sweep: dry run, lease, CLI', () => {
  it('--dry-run reports every category it would resolve and writes nothing', async () => {
    const s = await setup('rep-dry');
    const a = await s.h.producer.send({ phones: ['13800000021'], ...CODE });
    const b = await s.h.producer.send({ phones: ['13800000022'], ...CODE });
    await s.calls.remove(jobIds.send(chunkIdOf(a.sendId, '0'), 1));
    await s.h.redis.del(s.keys.chunk(chunkIdOf(b.sendId, '0')));
    await s.sends.create({ sendId: 'sdryenqueue01', kind: 'verification', api: 'SendSms', templateCode: CODE.templateCode, signName: CODE.signName, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: Date.now() - 3_600_000 }, 3600);
    // A failed send's queued chunk without its job: ended with its send, and the send announced, for real only.
    const c = await s.h.producer.send({ phones: ['13800000023'], ...CODE });
    await s.calls.remove(jobIds.send(chunkIdOf(c.sendId, '0'), 1));
    expect(await s.sends.fail(c.sendId, 'fail', 'template unusable', 'isv.SMS_TEMPLATE_ILLEGAL')).toBe(true);

    const before = await snapshot(s);
    const found = await sweepUntilQuiet(s.sweep(), true);
    expect(onlyFound(found)).toEqual({ queuedWithoutJob: 1, jobsWithoutChunkOrSend: 1, enqueuingAbandoned: 1, queuedOfEndedSend: 1, sendsNotSettled: 1 });
    expect(await snapshot(s)).toEqual(before);

    // The CLI: `smsq repair --dry-run --json` prints the report and writes nothing either.
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: s.h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: s.h.endpoint, LOG_LEVEL: 'warn' };
    const out = await cli(['repair', '--dry-run', '--json', '--min-age-ms', '0'], env);
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout) as RepairReport;
    expect(report).toMatchObject({ dryRun: true, complete: true });
    expect(report.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/); // it was epoch ms
    expect(onlyFound(report.found)).toEqual({ queuedWithoutJob: 1, jobsWithoutChunkOrSend: 1, enqueuingAbandoned: 1, queuedOfEndedSend: 1, sendsNotSettled: 1 });
    expect(await snapshot(s)).toEqual(before);

    // Then for real, in readable form.
    const real = await cli(['repair', '--min-age-ms', '0'], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/queuedWithoutJob: 1/);
    expect(real.stdout).toMatch(/enqueuingAbandoned: 1/);
    expect(real.stdout).toMatch(/queuedOfEndedSend: 1/);
    expect(await snapshot(s)).not.toEqual(before);
  });

  it('one sweeper at a time: a second schedule skips the round while the lease is held; the CLI refuses', async () => {
    const s = await setup('rep-lease');
    const leaseA = createLeaderLease({ redis: s.h.redis, key: s.keys.repairLease(), ttlMs: 10_000, owner: 'a' });
    const leaseB = createLeaderLease({ redis: s.h.redis, key: s.keys.repairLease(), ttlMs: 10_000, owner: 'b' });
    expect(await leaseA.acquire()).toBe(true);
    const scheduleB = createRepairSchedule({ sweep: s.sweep(), lease: leaseB, logger: s.h.logger, intervalMs: 60_000 });
    expect(await scheduleB.runOnce()).toBeUndefined();
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: s.h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: s.h.endpoint, LOG_LEVEL: 'warn' };
    const busy = await cli(['repair', '--json'], env);
    expect(busy.code).toBe(exitCodeOf('SMSQ_REPAIR_BUSY')); // 2: refused, nothing was written
    expect(JSON.parse(busy.stdout)).toMatchObject({ error: { code: 'SMSQ_REPAIR_BUSY' } });
    await leaseA.release();
    expect(await scheduleB.runOnce()).toMatchObject({ complete: true });
    expect(await leaseB.holder()).toBeUndefined();
  });

  it('refuses a bad --min-age-ms by name, before touching Redis', async () => {
    const out = await cli(['repair', '--min-age-ms', 'soon'], { REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--min-age-ms/);
  });
});

async function cli(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => void (stdout += t) }, stderr: { write: (t: string) => void (stderr += t) }, env });
  return { code, stdout, stderr };
}

/** Every key of the test's prefix with its type, value and whether it expires, to compare before and after. */
async function snapshot(s: Setup): Promise<Record<string, unknown>> {
  const r = s.h.redis;
  const out: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', `${s.h.prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      const type = await r.type(key);
      const value =
        type === 'hash' ? await r.hgetall(key)
        : type === 'string' ? await r.get(key)
        : type === 'list' ? await r.lrange(key, 0, -1)
        : type === 'set' ? (await r.smembers(key)).sort()
        : type === 'zset' ? await r.zrange(key, 0, -1, 'WITHSCORES')
        : type === 'stream' ? await r.xrange(key, '-', '+')
        : type;
      // Hash fields in a fixed order: Redis may rehash a large hash while reading it.
      out[key] = { type, value: value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort()) : value, expires: (await r.pttl(key)) > 0 };
    }
  } while (cursor !== '0');
  return out;
}
