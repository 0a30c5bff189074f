/**
 * What a Redis that forgets its last writes (a host crash with appendfsync everysec, a failover to
 * a lagging replica) does to a send, produced for real: a redis-server with an AOF is SIGKILLed and
 * its AOF cut back to an earlier mark, then started again (test/support/crashable-redis.ts).
 */
import { uniformRetention } from '../../src/queue/retention.js';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { DEFAULT_DURABILITY, type DurabilityOptions } from '../../src/durability/mode.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore, type ChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { JOB } from '../../src/queue/job-schemas.js';
import { createKeys, type Keys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { createSmsClient } from '../../src/sms/client.js';
import type { SmsClient } from '../../src/sms/types.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { createClaimJournal } from '../../workers/claim-journal.js';
import { createRollbackRecovery } from '../../workers/rollback-recovery.js';
import { createSmsWorker, type SmsWorker } from '../../workers/sms-worker.js';
import { startCrashableRedis, type CrashableRedis } from '../support/crashable-redis.js';
import { FAST_TIMING } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';
import { createProducerConnection } from '../support/redis.js';

const NONE: DurabilityOptions = { ...DEFAULT_DURABILITY, mode: 'none' };
const logger = createLogger({ level: 'silent' });

interface World {
  redisServer: CrashableRedis;
  redis: Redis;
  emulator: Emulator;
  endpoint: string;
  client: SmsClient;
  keys: Keys;
  prefix: string;
  chunks: ChunkStore;
  producer: Producer;
  /** The producer's connection (role 'client': it fails commands while Redis is down). */
  producerRedis: RedisConnection;
  startWorker(): Promise<SmsWorker>;
}

const closers: (() => Promise<void> | void)[] = [];
const processes = workerProcesses();
afterEach(async () => {
  processes.killAll();
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * The Redis runs `appendfsync always` whatever the mode under test: every write it has answered is
 * then in the file, so a mark taken after an answer holds it, and cutting back to the mark loses
 * exactly what came after (with `everysec` Redis may hold a write back from the file for up to 2 s,
 * and a mark would miss it). The producers and workers run in mode `none`: nothing waits.
 */
async function world(appendfsync: 'always' | 'everysec', durability: DurabilityOptions): Promise<World> {
  const redisServer = await startCrashableRedis({ appendfsync });
  closers.push(() => redisServer.stop());
  const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 } });
  const { endpoint } = await emulator.listen();
  closers.push(() => emulator.close());
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  redis.on('error', () => {}); // the test kills Redis on purpose
  closers.push(() => void redis.disconnect());
  const prefix = '{smsq-rollback}';
  const keys = createKeys(prefix);
  const producerRedis = createProducerConnection(redisServer.url, durability);
  closers.push(() => void producerRedis.disconnect());
  const producer = createProducer({ redis: producerRedis, prefix, logger, durability });
  closers.push(() => producer.close());
  return {
    redisServer,
    redis,
    emulator,
    endpoint,
    client,
    keys,
    prefix,
    chunks: createChunkStore({ redis, keys, clock: systemClock }),
    producer,
    producerRedis,
    async startWorker() {
      const worker = createSmsWorker({ connection: redis, client, logger, prefix, qps: 200, readTimeoutMs: 1000, concurrency: 4, durability, ...FAST_TIMING });
      closers.push(() => worker.close());
      await worker.start();
      return worker;
    },
  };
}

/** Crash Redis back to `mark` and start it again; resolves once the connections work again. */
async function rollBack(w: World, mark: ReturnType<CrashableRedis['mark']>): Promise<void> {
  // What Redis had not yet written to the file is lost with the process, the rest is cut back.
  await w.redisServer.crash(mark);
  await w.redisServer.start();
  await waitFor(async () => (await w.redis.ping()) === 'PONG', 'the connection to come back');
  // The producer's connection fails its calls until it has connected again, as a caller's would.
  await waitFor(() => w.producerRedis.status === 'ready', "the producer's connection to come back");
}

/** The queues and follow-ups a worker would schedule look-ups with, closed after the test. */
function followUpsOf(w: World) {
  const calls = createCallsQueue({ connection: w.redis, prefix: w.prefix });
  const housekeeping = createHousekeepingQueue({ connection: w.redis, prefix: w.prefix });
  closers.push(async () => {
    await calls.close();
    await housekeeping.close();
  });
  return { calls, followUps: createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE }) };
}

function acceptedFor(emulator: Emulator, phone: string): number {
  return emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;
}

describe('a Redis that lost its last writes', () => {
  it('an attempt made again after a rollback gets a new OutId, never the lost one', async () => {
    const w = await world('always', NONE);
    const res = await w.producer.send({ phones: ['13900000001'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    const mark = w.redisServer.mark();
    const first = await w.chunks.claim(chunkId, res.sendId);
    await rollBack(w, mark);
    expect(await w.chunks.get(chunkId)).toMatchObject({ state: 'queued', attempt: 0 });
    const second = await w.chunks.claim(chunkId, res.sendId);
    expect(first).toMatchObject({ type: 'send', attempt: 1 });
    expect(second).toMatchObject({ type: 'send', attempt: 1 });
    if (first.type !== 'send' || second.type !== 'send') throw new Error('unreachable');
    expect(second.outId).not.toBe(first.outId);
  }, 30_000);

  it('what SMSQ_DURABILITY=none risks: a claim lost with the tail is made again, and the recipient gets the SMS twice', async () => {
    const w = await world('always', NONE);
    const phone = '13900000007';
    const res = await w.producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    const sendOnce = async () => {
      const claim = await w.chunks.claim(chunkId, res.sendId);
      if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
      await w.client.sendSms({ phoneNumbers: [phone], signName: N.sign, templateCode: N.plainTemplate, outId: claim.outId });
    };
    const mark = w.redisServer.mark();
    await sendOnce(); // claimed, not yet written to the file, then called
    await rollBack(w, mark); // a host crash: the claim is gone, the SMS is not
    await sendOnce(); // nothing in Redis says it was sent: it is sent again
    expect(acceptedFor(w.emulator, phone)).toBe(2);
  }, 30_000);

  it('an answer for an attempt the record lost is adopted (accepted at that attempt), not dropped as obsolete', async () => {
    const w = await world('always', NONE);
    const res = await w.producer.send({ phones: ['13900000002', '13900000003'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    const mark = w.redisServer.mark();
    const claim = await w.chunks.claim(chunkId, res.sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    await rollBack(w, mark);
    const t = await w.chunks.transition(chunkId, res.sendId, {
      trigger: 'answer-accepted',
      outId: claim.outId,
      fields: { bizId: 'b-1', code: 'OK', resolvedBy: 'answer' },
    });
    expect(t).toMatchObject({ applied: true, from: 'queued', to: 'accepted', adoptedAttempt: 1 });
    expect(await w.chunks.get(chunkId)).toMatchObject({ state: 'accepted', attempt: 1, outId: claim.outId, bizId: 'b-1' });
    // The counts moved with it: nothing is left queued, nothing counted twice.
    const status = await w.producer.getStatus(res.sendId);
    expect(status.counts).toMatchObject({ queued: 0, accepted: 2 });
    // A stale answer for an OLDER attempt still changes nothing.
    const stale = await w.chunks.transition(chunkId, res.sendId, { trigger: 'answer-failed', outId: `${chunkId}.0-aa` });
    expect(stale.applied).toBe(false);
  }, 30_000);

  it('a look-up for an attempt the record lost finds it at Alibaba and adopts it: accepted once, nothing resent', async () => {
    const w = await world('always', NONE);
    const phone = '13900000004';
    const res = await w.producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    // A worker that claimed and called, then Redis lost the claim and the job's completion.
    const mark = w.redisServer.mark();
    const claim = await w.chunks.claim(chunkId, res.sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    const sentAt = Date.now();
    const answer = await w.client.sendSms({ phoneNumbers: [phone], signName: N.sign, templateCode: N.plainTemplate, outId: claim.outId });
    expect(answer.ok).toBe(true);
    await rollBack(w, mark);
    // The look-up that the lost answer would have scheduled (the job outlived the rollback in this story).
    const queue = createCallsQueue({ connection: w.redis, prefix: w.prefix });
    closers.push(() => queue.close());
    // The send job, written before the mark, is back in the wait list; drop it so that only the
    // look-up decides here (the worker's own recovery, tested below, covers a re-run of it).
    await queue.drain(true);
    await queue.add(JOB.reconcile, { sendId: res.sendId, chunkId, attempt: claim.attempt, look: 1, dateIndex: 0, page: 1, sentAt, outId: claim.outId });
    await w.startWorker();
    // Generous: under a loaded CI a look-up that times out is retried with back-off (1 s, 2 s, ...).
    const chunk = await waitFor(async () => {
      const c = await w.chunks.get(chunkId);
      return c?.state === 'accepted' ? c : undefined;
    }, 'the chunk to be accepted by the look-up', 40_000).catch(async (err: unknown) => {
      const jobs = await queue.getJobs(['wait', 'prioritized', 'delayed', 'active', 'completed', 'failed']);
      const seen = jobs.map((j) => `${j.name} ${JSON.stringify(j.returnvalue)} ${j.failedReason ?? ''} tries=${j.attemptsMade}`);
      throw new Error(`${String(err)}; chunk ${JSON.stringify(await w.chunks.get(chunkId))}; jobs ${seen.join(' | ')}`);
    });
    expect(chunk).toMatchObject({ attempt: 1, outId: claim.outId, resolvedBy: 'reconcile' });
    expect(acceptedFor(w.emulator, phone)).toBe(1);
  }, 60_000);

  it('a pushed report for an attempt the record lost adopts it as unknown and looks it up: accepted once, nothing resent', async () => {
    const w = await world('always', NONE);
    const phone = '13900000006';
    const res = await w.producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    const mark = w.redisServer.mark();
    const claim = await w.chunks.claim(chunkId, res.sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    const answer = await w.client.sendSms({ phoneNumbers: [phone], signName: N.sign, templateCode: N.plainTemplate, outId: claim.outId });
    if (!answer.ok) throw new Error('send refused');
    await rollBack(w, mark);
    expect(await w.chunks.get(chunkId)).toMatchObject({ state: 'queued', attempt: 0 });
    const { ingest, close } = openReportIngest({
      redis: w.redis,
      prefix: w.prefix,
      clock: systemClock,
      logger,
      retention: uniformRetention(86_400),
      receiptPolicies: DEFAULT_RECEIPT_POLICIES,
      receiptSchedule: DEFAULT_RECEIPT_SCHEDULE,
    });
    closers.push(close);
    const result = await ingest.applyReports([
      { phone_number: phone, send_time: '2026-12-04 12:00:00', report_time: '2026-12-04 12:00:05', success: true, err_code: 'DELIVERED', err_msg: '用户接收成功', sms_size: '1', biz_id: answer.data.bizId, out_id: claim.outId },
    ]);
    expect(result).toMatchObject({ adopted: 1 });
    expect(await w.chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 1, outId: claim.outId });
    // The worker runs the look-up (and the restored send job finds the chunk unknown: no call).
    await w.startWorker();
    await waitFor(async () => (await w.chunks.get(chunkId))?.state === 'accepted', 'the look-up to accept the adopted attempt');
    expect(acceptedFor(w.emulator, phone)).toBe(1);
  }, 30_000);

  it('a worker that sees Redis come back without its recent claims writes them back as unknown and looks them up first', async () => {
    const w = await world('always', NONE);
    const res = await w.producer.send({ phones: ['13900000005'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    const { calls, followUps } = followUpsOf(w);
    const journal = createClaimJournal({ clock: systemClock, horizonMs: 10_000 });
    let paused = 0;
    const recovery = createRollbackRecovery({
      redis: w.redis,
      chunks: w.chunks,
      followUps,
      journal,
      timing: FAST_TIMING.reconcile,
      clock: systemClock,
      logger,
      pauseIntake: async () => void paused++,
      resumeIntake: () => {},
    });
    await recovery.start();
    closers.push(() => recovery.stop());
    const mark = w.redisServer.mark();
    const claim = await w.chunks.claim(chunkId, res.sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    journal.record({ sendId: res.sendId, chunkId, kind: 'notification', attempt: claim.attempt, outId: claim.outId, sentAt: Date.now() });
    expect(recovery.claimsHeld()).toBeUndefined();
    const lost = new Promise((resolve) => w.redis.once('close', resolve));
    const rolledBack = rollBack(w, mark);
    await lost;
    // A job fetched now (a free slot of this worker) claims only once the recovery has run, as
    // the send processor does: it then finds the chunk in doubt, not free to send again.
    const held = recovery.claimsHeld();
    expect(held).toBeInstanceOf(Promise);
    const gatedClaim = (async () => {
      await held;
      return w.chunks.claim(chunkId, res.sendId);
    })();
    await rolledBack;
    // The reconnect (a new run_id) triggers the recovery by itself.
    const chunk = await waitFor(async () => {
      const c = await w.chunks.get(chunkId);
      return c?.state === 'unknown' ? c : undefined;
    }, 'the lost claim to be written back as unknown');
    expect(chunk).toMatchObject({ attempt: 1, outId: claim.outId, code: 'SMSQ_REDIS_ROLLBACK' });
    expect(await gatedClaim).toMatchObject({ type: 'unknown', attempt: 1 });
    expect(recovery.claimsHeld()).toBeUndefined();
    expect(paused).toBe(1);
    const jobs = await calls.getJobs(['delayed', 'wait', 'prioritized']);
    expect(jobs.filter((j) => j.name === JOB.reconcile).map((j) => j.data)).toEqual([expect.objectContaining({ chunkId, attempt: 1, outId: claim.outId })]);
    // And a second look finds nothing more to do.
    expect(await recovery.recover()).toMatchObject({ restored: 0, intact: 1 });
  }, 30_000);
  it('a recovery that fails keeps the claims held and is tried again; they are released only once it has compared', async () => {
    const w = await world('always', NONE);
    const { followUps } = followUpsOf(w);
    let failures = 0;
    let comparisons = 0;
    const recovery = createRollbackRecovery({
      redis: w.redis,
      // The first comparison after the reconnect fails, as "no master serves the slot yet" can.
      server: async () => {
        comparisons++;
        if (comparisons === 2) {
          failures++;
          throw new Error('no master serves the slot yet');
        }
        return w.redis;
      },
      chunks: w.chunks,
      followUps,
      journal: createClaimJournal({ clock: systemClock, horizonMs: 10_000 }),
      timing: FAST_TIMING.reconcile,
      clock: systemClock,
      logger,
      pauseIntake: async () => {},
      resumeIntake: () => {},
    });
    await recovery.start();
    closers.push(() => recovery.stop());
    const lost = new Promise((resolve) => w.redis.once('close', resolve));
    const restarted = rollBack(w, w.redisServer.mark());
    await lost;
    const held = recovery.claimsHeld();
    expect(held).toBeInstanceOf(Promise);
    await restarted;
    await waitFor(() => failures === 1 || undefined, 'the first comparison to fail');
    // Failed: still held (before, the failure released them with nothing compared).
    expect(recovery.claimsHeld()).toBe(held);
    await waitFor(() => recovery.claimsHeld() === undefined || undefined, 'the retried comparison to release the claims', 10_000);
    expect(comparisons).toBeGreaterThanOrEqual(3);
  }, 30_000);

  /** The end-to-end test's timeout, and so the least its worker's call must stay in flight. */
  const END_TO_END_MS = 60_000;
  it('end to end, a worker process whose in-flight claim Redis lost: it notices the new run_id, looks the chunk up before any resend, each recipient accepted once', async () => {
    const w = await world('always', NONE);
    const phones = ['13900000011', '13900000012', '13900000013'];
    const res = await w.producer.send({ phones, signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkId = `${res.sendId}.0`;
    // The call is in flight across the crash and the recovery: its answer is lost, and the worker's
    // read timeout outlasts the test, so only the recovery can write the lost claim back. (With a
    // 1 s timeout a restart slower than that, as on a loaded CI, let the timed-out answer adopt the
    // attempt first, also a safe outcome, and the recovery then rightly found it `intact`.)
    // The worker has free job slots: the restored send job may be fetched again before the
    // recovery has run, and its claim must wait for it (before claims were held, 3 runs in 5
    // re-claimed the chunk first: `reused`, every recipient sent twice).
    w.emulator.setFaults([{ kind: 'lost-answer', delayMs: 2 * END_TO_END_MS, phones, times: 1 }]);
    // Taken before the worker exists: its claim, and everything after it, is lost in the crash.
    const mark = w.redisServer.mark();
    const worker = await processes.start(
      { redisUrl: w.redisServer.url, prefix: w.prefix, endpoint: w.endpoint },
      {
        durability: NONE,
        concurrency: 4,
        logLevel: 'info',
        repair: null,
        readTimeoutMs: END_TO_END_MS,
        // The settling window must cover the call deadline + connect and read timeouts (call-deadline.ts).
        reconcile: { ...FAST_TIMING.reconcile, settleMs: FAST_TIMING.reconcile.callDeadlineMs + 2 * END_TO_END_MS },
      },
    );
    const lines: { msg?: string; restored?: number }[] = [];
    let partial = '';
    worker.stdout?.on('data', (d: Buffer) => {
      const text = partial + d.toString();
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line) as { msg?: string; restored?: number });
    });
    const sent = await waitFor(() => w.emulator.accepted().find((a) => a.phoneNumbers.includes(phones[0] ?? '')), 'the worker to claim and call', 20_000);
    expect(await w.chunks.get(chunkId)).toMatchObject({ state: 'sending', attempt: 1, outId: sent.outId });

    const { bytesLost } = await w.redisServer.crash(mark);
    expect(bytesLost).toBeGreaterThan(0);
    const restartedAt = Date.now();
    await w.redisServer.start();
    await waitFor(async () => (await w.redis.ping()) === 'PONG', 'the connection to come back');

    const recovered = await waitFor(() => lines.find((l) => l.msg === 'rollback recovery done'), 'the worker to notice the new run_id and recover', 15_000);
    expect(lines.some((l) => l.msg?.startsWith('Redis came back as another server'))).toBe(true);
    expect(recovered).toMatchObject({ restored: 1, intact: 0, missing: 0, reused: 0 });
    const chunk = await waitFor(async () => {
      const c = await w.chunks.get(chunkId);
      return c?.state === 'accepted' ? c : undefined;
    }, 'the look-up to accept the chunk', 30_000);
    expect(chunk).toMatchObject({ attempt: 1, outId: sent.outId, resolvedBy: 'reconcile' });

    // What Dysmsapi saw of the chunk: the one call, then look-ups only (made after the restart).
    const seen = w.emulator.calls().filter((c) => c.phones.some((p) => phones.includes(p)));
    expect(seen[0]).toMatchObject({ action: 'SendSms', fault: 'lost-answer' });
    expect(seen.slice(1).map((c) => c.action)).toEqual(seen.slice(1).map(() => 'QuerySendDetails'));
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[1]?.at ?? 0).toBeGreaterThanOrEqual(restartedAt);
    for (const phone of phones) expect(acceptedFor(w.emulator, phone)).toBe(1);
    expect((await w.producer.getStatus(res.sendId)).counts).toMatchObject({ queued: 0, sending: 0, unknown: 0, accepted: 3 });
  }, END_TO_END_MS);
});
