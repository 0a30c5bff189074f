/**
 * The repair sweep after a real rollback: a redis-server with an AOF is SIGKILLed and its AOF cut
 * back to a mark (a host crash losing its last writes), then started again; a worker and two
 * producers that lived through it carry on. What the rollback orphans (a chunk whose accepted
 * claim was erased while its job completed, chunks whose jobs were lost, sends stuck `enqueuing`)
 * is found by the sweep and resolved: every recipient accepted once or, for the send nobody can
 * finish, never; every send final.
 */
import { uniformRetention } from '../../src/queue/retention.js';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnqueuer } from '../../producers/enqueuer.js';
import { createProducer } from '../../producers/producer.js';
import { systemClock } from '../../src/clock.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore, chunkIdOf } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { parseOutId } from '../../src/queue/out-id.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createOrphanSweep } from '../../src/repair/orphan-sweep.js';
import { createSmsClient } from '../../src/sms/client.js';
import type { SmsClient } from '../../src/sms/types.js';
import { createSmsWorker, type SmsWorker } from '../../workers/sms-worker.js';
import { startCrashableRedis, type AofMark, type CrashableRedis } from '../support/crashable-redis.js';
import { FAST_TIMING } from '../support/pipeline.js';
import { createProducerConnection, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' } };
const NO_RECEIPTS = { verification: { mode: 'none', sampleRate: 0 }, notification: { mode: 'none', sampleRate: 0 }, marketing: { mode: 'none', sampleRate: 0 } } as const;
const payload = (phone: string) => ({ api: 'SendSms' as const, phones: [phone], ...CODE });

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('repair sweep after a host crash (AOF cut back to a mark)', () => {
  it('finds and resolves every orphan the rollback left: each recipient accepted at most once, every send final', async () => {
    const redisServer: CrashableRedis = await startCrashableRedis({ appendfsync: 'always' });
    cleanup.push(() => redisServer.stop());
    const emulator: Emulator = createEmulator({ delivery: { delayMs: 20, failureRatio: 0 } });
    const { endpoint } = await emulator.listen();
    cleanup.push(() => emulator.close());
    const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    redis.on('error', () => {}); // the connection drops with the crash and comes back
    cleanup.push(async () => void redis.disconnect());
    const prefix = uniquePrefix('crash');
    const keys = createKeys(prefix);
    const logger = createLogger({ level: 'silent' });
    const chunks = createChunkStore({ redis, keys, clock: systemClock });
    const sends = createSendStore({ redis, keys });
    const calls = createCallsQueue({ connection: redis, prefix });
    const housekeeping = createHousekeepingQueue({ connection: redis, prefix });
    cleanup.push(async () => void (await Promise.all([calls.close(), housekeeping.close()])));
    const producerRedis = createProducerConnection(redisServer.url);
    cleanup.push(async () => void producerRedis.disconnect());
    const producer = createProducer({ redis: producerRedis, prefix, logger });
    cleanup.push(() => producer.close());
    const enqueuer = createEnqueuer({ keys, redis, queue: calls, chunks, sends, retention: uniformRetention(3600) });
    const workers: SmsWorker[] = [];
    cleanup.push(async () => void (await Promise.all(workers.map((w) => w.close()))));

    // Before the mark. X: a verification code, queued with its job.
    const x = await producer.send({ phones: ['13900000001'], ...CODE, kind: 'verification' });
    const chunkX = chunkIdOf(x.sendId, '0');
    // P1: a send whose producer wrote its record and chunks; its jobs and "enqueued" come after the mark.
    const p1 = 'scrashfull01';
    const p1Phones = ['13900000011', '13900000012'];
    await enqueuer.createSend({ sendId: p1, kind: 'verification', api: 'SendSms', templateCode: CODE.templateCode, signName: CODE.signName, recipients: 2, rejected: 0, duplicates: 0, chunks: 2, createdAt: Date.now() });
    await enqueuer.writeChunks(p1, 'verification', 0, p1Phones.map(payload));
    // P2: a campaign (chunk count known only at the end) that wrote two chunks before the mark.
    const p2 = 'scrashcamp01';
    const p2Phones = ['13900000021', '13900000022', '13900000023', '13900000024'];
    await enqueuer.createSend({ sendId: p2, kind: 'verification', api: 'SendSms', templateCode: CODE.templateCode, signName: CODE.signName, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: Date.now() });
    await enqueuer.writeChunks(p2, 'verification', 0, p2Phones.slice(0, 2).map(payload));

    // The worker that lives through the crash: the mark is taken once it holds X's job (active,
    // locked) and before its claim; the crash comes while X's call is answered.
    let mark: AofMark | undefined;
    const crashingClient: SmsClient = {
      ...client,
      async sendSms(req) {
        const answer = await client.sendSms(req);
        // What the producers write after the mark is lost with everything else after it,
        // though they were told it was done.
        await enqueuer.addJobs(p1, 'verification', 0, 2);
        await enqueuer.finish(p1);
        await enqueuer.addJobs(p2, 'verification', 0, 2);
        await enqueuer.addChunks(p2, 'verification', 2, p2Phones.slice(2).map(payload));
        await enqueuer.finish(p2, { recipients: 4, chunks: 4 });
        if (!mark) throw new Error('no mark taken');
        const { bytesLost } = await redisServer.crash(mark);
        expect(bytesLost).toBeGreaterThan(0);
        await redisServer.start();
        return answer;
      },
    };
    const survivor = createSmsWorker({
      connection: redis,
      client: crashingClient,
      logger,
      prefix,
      qps: 500,
      readTimeoutMs: 1000,
      concurrency: 1,
      ...FAST_TIMING,
      // The lock taken before the mark outlives the restart, as a real one (30 s) does.
      lockDurationMs: 60_000,
      stalledIntervalMs: 60_000,
      receiptPolicies: NO_RECEIPTS,
      repair: null,
    });
    workers.push(survivor);
    survivor.worker.once('active', () => {
      mark = redisServer.mark();
    });
    await survivor.start();
    await waitFor(async () => (await calls.getJob(jobIds.send(chunkX, 1)))?.finishedOn, 'X’s job to finish on the restored Redis', 20_000);
    await survivor.close();
    // One call so far: X's attempt 1 (whatever its OutId's nonce).
    expect(emulator.accepted().map((a) => parseOutId(a.outId))).toEqual([expect.objectContaining({ chunkId: chunkX, attempt: 1 })]);

    // What the rollback left: X accepted at Dysmsapi but queued here with its job finished, unless
    // the survivor's own recovery (its claim journal, on seeing another Redis run_id) or the send
    // path (adopting a newer attempt's answer) got there first; P1 and P2 enqueuing with jobless chunks.
    const xBefore = await chunks.get(chunkX);
    const xOrphaned = xBefore?.state === 'queued';
    if (!xOrphaned) expect(['accepted', 'unknown']).toContain(xBefore?.state);
    expect((await sends.status(p1))?.send.state).toBe('enqueuing');
    expect((await sends.status(p2))?.send.state).toBe('enqueuing');
    expect(await calls.getJob(jobIds.send(chunkIdOf(p1, '0'), 1))).toBeUndefined();
    expect(await chunks.get(chunkIdOf(p2, '2'))).toBeUndefined();

    const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: NO_RECEIPTS, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    const sweep = createOrphanSweep({
      redis,
      keys,
      calls,
      chunks,
      sends,
      followUps,
      completion: createCompletion({ sends, onEnded: (id) => followUps.callback(id) }),
      clock: systemClock,
      logger,
      firstLookAfterMs: FAST_TIMING.reconcile.firstLookAfterMs,
      minAgeMs: 0,
      // The producers are gone: no need to wait for them in this test.
      enqueueGraceMs: 0,
    });
    const report = await sweep.run();
    // P1's two chunks (and X if orphaned) are looked up; P2's two are failed with P2, abandoned:
    // never claimed, and never to be sent, they have nothing to look up.
    expect(report.found).toMatchObject({
      queuedWithoutJob: 2 + (xOrphaned ? 1 : 0),
      enqueuingFinished: 1,
      enqueuingAbandoned: 1,
      sendingWithoutJob: 0,
      unknownWithoutJob: 0,
    });
    // A second run finds nothing left.
    const again = await sweep.run();
    expect(Object.values(again.found).every((n) => n === 0)).toBe(true);

    // Fresh workers (two processes' worth) finish the job.
    for (let i = 0; i < 2; i++) {
      const w = createSmsWorker({ connection: redis, client, logger, prefix, qps: 500, readTimeoutMs: 1000, concurrency: 4, ...FAST_TIMING, receiptPolicies: NO_RECEIPTS, repair: null });
      workers.push(w);
      await w.start();
    }
    const settled = async (sendId: string) => {
      const s = await sends.status(sendId);
      return s && s.counts.queued + s.counts.sending + s.counts.unknown === 0 ? s : undefined;
    };
    const xAfter = await waitFor(() => settled(x.sendId), 'X to settle', 20_000);
    const p1After = await waitFor(() => settled(p1), 'P1 to settle', 20_000);
    const p2After = await waitFor(() => settled(p2), 'P2 to settle', 20_000);

    // X: accepted once (found by the look-up, not sent again). P1: its acknowledged send is
    // whole again and each recipient accepted once. P2: failed; its recipients never sent.
    expect(xAfter.counts.accepted).toBe(1);
    expect(p1After.send.state).toBe('sent');
    expect(p1After.counts.accepted).toBe(2);
    expect(p2After.send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' });
    expect(p2After.counts).toMatchObject({ accepted: 0, failed: 2 });
    expect(emulator.calls().filter((c) => c.phones.some((p) => p2Phones.includes(p)))).toEqual([]);
    const perPhone = new Map<string, number>();
    for (const a of emulator.accepted()) for (const p of a.phoneNumbers) perPhone.set(p, (perPhone.get(p) ?? 0) + 1);
    expect(Object.fromEntries(perPhone)).toEqual({ '13900000001': 1, '13900000011': 1, '13900000012': 1 });
  });
});
