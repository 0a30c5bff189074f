/**
 * The repair sweep and the chunks a killed campaign producer wrote without their jobs. They are
 * `queued`, never claimed (attempt 0, no OutId): nothing of them reached Dysmsapi. The sweep took
 * each for a chunk behind a lost claim (orphan-rules.ts decideChunk, `look-up-queued`): marked it
 * unknown at attempt 1 and scheduled QuerySendDetails look-ups, out of the account's QPS cap,
 * though its send was failed as abandoned (SMSQ_ENQUEUE_ABANDONED) and nothing of it would ever be
 * sent; the look-ups found nothing, the chunks were "resent", and only the claim of that resend
 * failed them. It did the same while the send was still enqueuing, within the enqueue grace.
 * The same for a send past its deadline (its enqueue finished by the sweep): each jobless chunk
 * was looked up, though its claim would have ended it expired without a call.
 * A campaign or send killed for real (test/support/forced-exit-campaign.ts), a private Redis, the
 * emulator through the real SDK; the look-ups are counted at the emulator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { chunkIdOf, createChunkStore } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createOrphanSweep } from '../../src/repair/orphan-sweep.js';
import type { PrivateRedis } from '../../src/runtime/private-redis.js';
import { killedAtJobOf, killedBetweenChunksAndJobs, SPAWNED_MS, personalList, openForcedExitDeployment, type ForcedExitDeployment } from '../support/forced-exit-campaign.js';
import type { Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-sweep-lookups-'));
const NO_RECEIPTS = { verification: { mode: 'none', sampleRate: 0 }, notification: { mode: 'none', sampleRate: 0 }, marketing: { mode: 'none', sampleRate: 0 } } as const;
/** A verification code: one number a chunk. */
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
let redis: PrivateRedis;
let h: Harness;
let env: NodeJS.ProcessEnv;
let deployment: ForcedExitDeployment | undefined;
const queues: Queue[] = [];

beforeAll(async () => {
  deployment = await openForcedExitDeployment('swlook');
  ({ redis, h, env } = deployment);
}, 30_000);

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await deployment?.close();
  rmSync(dir, { recursive: true, force: true });
});


/** The repair sweep as a worker runs it, judging every chunk (min age 0), with the enqueue grace given, on `clock`. */
function sweep(enqueueGraceMs: number, clock: Clock = systemClock) {
  const keys = createKeys(h.prefix);
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  queues.push(calls, housekeeping);
  const sends = createSendStore({ redis: h.redis, keys, clock });
  const chunks = createChunkStore({ redis: h.redis, keys, clock });
  const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });
  return createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock, logger: h.logger, firstLookAfterMs: 50, minAgeMs: 0, enqueueGraceMs });
}

/** The indexes of the send's chunks `0..chunks-1` that have no first send job. */
async function joblessIndexes(sendId: string, chunks: number): Promise<number[]> {
  const p = h.redis.pipeline();
  for (let i = 0; i < chunks; i++) p.exists(`${h.prefix}:${CALLS_QUEUE}:s.${sendId}.${i}.a1`);
  const rows = (await p.exec()) ?? [];
  return rows.flatMap(([, n], i) => (n === 0 ? [i] : []));
}

const joblessChunks = async (sendId: string, chunks: number): Promise<number> => (await joblessIndexes(sendId, chunks)).length;

/** The moves the events stream holds for one chunk (`chunkId`) or for the send itself (`chunkId` ''): from, state, code. */
async function movesOf(sendId: string, chunkId: string): Promise<string[][]> {
  const entries = (await h.redis.xrange(createKeys(h.prefix).events(), '-', '+')) as [string, string[]][];
  return entries.flatMap(([, flat]) => {
    const e = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1] ?? '']] : [])));
    return e.sendId === sendId && e.chunkId === chunkId ? [[e.from ?? '', e.state ?? '', e.code ?? '']] : [];
  });
}

const lookUpsOf = (phones: (p: string) => boolean) => h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.phones.some(phones));
const sendsOf = (phones: (p: string) => boolean) => h.emulator.calls().filter((c) => c.action.startsWith('Send') && c.phones.some(phones));

describe('a campaign failed as abandoned: its chunks written without a job', () => {
  it('fail with the send\'s code at the sweep, without a single QuerySendDetails or send', async () => {
    const base = 13960000000;
    const ours = (p: string) => p.startsWith('1396');
    const sendId = await killedBetweenChunksAndJobs(h, env, redis.port, personalList(dir, 'abandoned.csv', base, 200_000), 120);
    const written = (await h.producer.getStatus(sendId)).counts.queued;
    expect(written).toBeGreaterThan(0);
    const jobless = await joblessChunks(sendId, written / 100);
    expect(jobless).toBeGreaterThan(0);

    const report = await sweep(0).run();
    expect(report.found.enqueuingAbandoned).toBe(1);
    expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' });

    // A worker takes whatever the sweep scheduled, until every recipient written is failed.
    const worker = await h.startWorker({ receiptPolicies: NO_RECEIPTS, repair: null });
    const started = Date.now();
    const counts = await waitFor(
      async () => {
        const c = (await h.producer.getStatus(sendId)).counts;
        return c.failed === written ? c : undefined;
      },
      'every recipient written to be failed',
      90_000,
    );
    const endedInMs = Date.now() - started;
    await worker.close();
    const looks = lookUpsOf(ours).length;
    console.log(`abandoned campaign: ${written} recipients in ${written / 100} chunks, ${jobless} without a job; QuerySendDetails calls: ${looks}; ended ${endedInMs} ms after the sweep`);
    expect(counts).toMatchObject({ queued: 0, sending: 0, unknown: 0, accepted: 0, failed: written });
    expect(looks, 'QuerySendDetails calls for chunks never claimed').toBe(0);
    expect(sendsOf(ours).length).toBe(0);
    const chunk = await h.redis.hmget(`${h.prefix}:chunk:${sendId}.0`, 'state', 'code', 'attempt', 'outId');
    expect(chunk).toEqual(['failed', 'SMSQ_ENQUEUE_ABANDONED', '0', null]);
  }, 3 * SPAWNED_MS);
});

describe('a campaign still enqueuing (within the grace): its chunks written without a job', () => {
  it('are left queued, not looked up, until the send\'s enqueue ends', async () => {
    const ours = (p: string) => p.startsWith('1397');
    const sendId = await killedBetweenChunksAndJobs(h, env, redis.port, personalList(dir, 'enqueuing.csv', 13970000000, 200_000), 120);
    const written = (await h.producer.getStatus(sendId)).counts.queued;
    expect(await joblessChunks(sendId, written / 100)).toBeGreaterThan(0);

    const within = await sweep(600_000).run();
    expect(within.found.queuedWithoutJob, 'queued chunks of a send still enqueuing marked orphaned and looked up').toBe(0);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ queued: written, unknown: 0 });
    expect(await h.redis.hget(`${h.prefix}:chunk:${sendId}.0`, 'state')).toBe('queued');

    const past = await sweep(0).run();
    expect(past.found.enqueuingAbandoned).toBe(1);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ queued: 0, unknown: 0, failed: written });
    expect(lookUpsOf(ours).length).toBe(0);
  }, 2 * SPAWNED_MS);
});

describe('a queued chunk left without a job, its send ended otherwise', () => {
  it('failed or cancelled: ended as its claim would end it, no look-up scheduled, no call', async () => {
    const keys = createKeys(h.prefix);
    const sends = createSendStore({ redis: h.redis, keys });
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    queues.push(calls);
    /** A one-chunk send whose job is gone (removed before any worker ran): its chunk queued, attempt 0, no job. */
    const orphaned = async (phone: string) => {
      const { sendId } = await h.producer.send({ phones: [phone], ...CODE });
      expect(await calls.remove(jobIds.send(chunkIdOf(sendId, '0'), 1))).toBe(1);
      return sendId;
    };
    const failed = await orphaned('13980000001');
    expect(await sends.fail(failed, 'fail', 'template unusable', 'isv.SMS_TEMPLATE_ILLEGAL')).toBe(true);
    // A cancel cut off after its control write, before it marked its queued chunks.
    const cancelled = await orphaned('13980000002');
    expect(await sends.setControl(cancelled, 'cancel', 'by test')).toMatchObject({ to: 'cancelled' });
    const open = await orphaned('13980000004');

    const report = await sweep(600_000).run();
    expect(report.found.queuedOfEndedSend).toBe(2);
    expect(report.found.queuedWithoutJob).toBe(1); // the open send's: behind a lost claim, maybe
    // Each ended send, nothing pending any more, is settled and compacted: its counts say how its recipient ended.
    const countsOf = async (sendId: string) => (await h.producer.getStatus(sendId)).counts;
    expect(await countsOf(failed)).toMatchObject({ queued: 0, unknown: 0, failed: 1 });
    expect(await countsOf(cancelled)).toMatchObject({ queued: 0, unknown: 0, cancelled: 1 });
    expect((await h.producer.getStatus(failed)).send).toMatchObject({ state: 'failed', code: 'isv.SMS_TEMPLATE_ILLEGAL' });
    expect(await h.redis.hmget(keys.chunk(chunkIdOf(open, '0')), 'state', 'code', 'attempt')).toEqual(['unknown', 'SMSQ_ORPHANED', '1']);
    const lookUpJobs = async (sendId: string) => (await h.redis.keys(`${h.prefix}:${CALLS_QUEUE}:r.${sendId}.*`)).length;
    expect([await lookUpJobs(failed), await lookUpJobs(cancelled), await lookUpJobs(open)]).toEqual([0, 0, 1]);
    expect(h.emulator.calls().filter((c) => c.phones.some((p) => ['13980000001', '13980000002'].includes(p)))).toEqual([]);
  });
});

describe('a send past its deadline: its chunks written without a job', () => {
  it('end expired at the sweep as their claim ends them, without a single QuerySendDetails or send', async () => {
    const ours = (p: string) => p.startsWith('1399');
    const phones = Array.from({ length: 6 }, (_, i) => String(13990000000 + i));
    const deadline = Date.now() + 5 * 60_000;
    // The sweep and the worker run 10 minutes on: a send left without its jobs waits the enqueue
    // grace (10 min) before the sweep finishes its enqueue, past a code's deadline of 5.
    const late: Clock = { now: () => Date.now() + 10 * 60_000 };
    // A verification code goes one number a chunk: six chunks, killed at the job of the fourth.
    const sendId = await killedAtJobOf(h, env, redis.port, ['send', '--phones', phones.join(','), '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--deadline', String(deadline), '--yes'], 3);
    const jobless = await joblessIndexes(sendId, phones.length);
    expect(jobless.length).toBeGreaterThan(0);
    // Its twin kept its job: its claim ends it, as the sweep must.
    const { sendId: twin } = await h.producer.send({ phones: ['13990000099'], ...CODE, deadline });

    const worker = await h.startWorker({ clock: late, receiptPolicies: NO_RECEIPTS, repair: null });
    await waitFor(
      async () => ((await h.producer.getStatus(twin)).send.state === 'expired' && (await h.producer.getStatus(sendId)).counts.expired === phones.length - jobless.length ? true : undefined),
      'the twin and the chunks with a job to be claimed past the deadline',
      30_000,
    );
    // Twice: a chunk scanned before its send is judged with the send still enqueuing.
    const reports = [await sweep(0, late).run(), await sweep(0, late).run()];
    const found = (category: 'enqueuingFinished' | 'queuedOfEndedSend' | 'queuedWithoutJob') => reports.reduce((n, r) => n + r.found[category], 0);
    const started = Date.now();
    await waitFor(
      async () => ((await h.producer.getStatus(sendId)).counts.expired === phones.length ? true : undefined),
      'every recipient of the send to be expired',
      90_000,
    );
    const endedInMs = Date.now() - started;
    await worker.close();
    const looks = lookUpsOf(ours).length;
    console.log(`send past its deadline: ${phones.length} chunks, ${jobless.length} without a job; QuerySendDetails calls: ${looks}; ended ${endedInMs} ms after the sweep`);
    expect(looks, 'QuerySendDetails calls for chunks never claimed, their send past its deadline').toBe(0);
    expect(sendsOf(ours).length).toBe(0);
    expect(found('enqueuingFinished')).toBe(1);
    expect([found('queuedOfEndedSend'), found('queuedWithoutJob')]).toEqual([jobless.length, 0]);
    // Each chunk and the send moved as the twin's claim moved them: expired SMSQ_DEADLINE, then the send expired.
    const claimed = await movesOf(twin, chunkIdOf(twin, '0'));
    expect(claimed).toEqual([['queued', 'expired', 'SMSQ_DEADLINE']]);
    for (const i of jobless) expect(await movesOf(sendId, chunkIdOf(sendId, String(i))), `chunk ${i}`).toEqual(claimed);
    const ends = async (id: string) => (await movesOf(id, '')).slice(-1);
    expect(await ends(twin)).toEqual([['active', 'expired', 'SMSQ_DEADLINE']]);
    expect(await ends(sendId)).toEqual(await ends(twin));
    expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'expired', code: 'SMSQ_DEADLINE' });
  }, 3 * SPAWNED_MS);
});
