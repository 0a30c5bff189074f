/**
 * The repair sweep and the chunks a killed campaign producer wrote without their jobs. They are
 * `queued`, never claimed (attempt 0, no OutId): nothing of them reached Dysmsapi. The sweep took
 * each for a chunk behind a lost claim (orphan-rules.ts decideChunk, `look-up-queued`): marked it
 * unknown at attempt 1 and scheduled QuerySendDetails look-ups, out of the account's QPS cap,
 * though its send was failed as abandoned (SMSQ_ENQUEUE_ABANDONED) and nothing of it would ever be
 * sent; the look-ups found nothing, the chunks were "resent", and only the claim of that resend
 * failed them. It did the same while the send was still enqueuing, within the enqueue grace.
 * A campaign killed for real (test/support/forced-exit-campaign.ts), a private Redis, the emulator
 * through the real SDK; the look-ups are counted at the emulator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
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
import { killedBetweenChunksAndJobs, SPAWNED_MS, personalList, openForcedExitDeployment, type ForcedExitDeployment } from '../support/forced-exit-campaign.js';
import type { Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-sweep-lookups-'));
const NO_RECEIPTS = { verification: { mode: 'none', sampleRate: 0 }, notification: { mode: 'none', sampleRate: 0 }, marketing: { mode: 'none', sampleRate: 0 } } as const;
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


/** The repair sweep as a worker runs it, judging every chunk (min age 0), with the enqueue grace given. */
function sweep(enqueueGraceMs: number) {
  const keys = createKeys(h.prefix);
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  queues.push(calls, housekeeping);
  const sends = createSendStore({ redis: h.redis, keys });
  const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
  const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });
  return createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock: systemClock, logger: h.logger, firstLookAfterMs: 50, minAgeMs: 0, enqueueGraceMs });
}

/** How many of the send's chunks `0..chunks-1` have no first send job. */
async function joblessChunks(sendId: string, chunks: number): Promise<number> {
  const p = h.redis.pipeline();
  for (let i = 0; i < chunks; i++) p.exists(`${h.prefix}:${CALLS_QUEUE}:s.${sendId}.${i}.a1`);
  const rows = (await p.exec()) ?? [];
  return rows.filter(([, n]) => n === 0).length;
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
    const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
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
