/**
 * A receipt look-up job that ran to its end at its last allowed start (its follow-up added, the
 * last thing it does) and then stalled before BullMQ marked it complete: its worker SIGKILLed
 * between the two. The worker's high maxStalledCount puts it back to wait; BullMQ starts it once
 * more, past `maxStartedAttempts`, and fails it without running it. Before, the failed handler made
 * the look-up anew (`.r1`) though the follow-up already carried the chunk's chain: from then on
 * every look of the chunk was made twice, each spending a QuerySendDetails of the account's cap.
 * Now nothing is made anew while a job the failed one could have added exists.
 *
 * Real worker processes, real Redis, the emulator through the real SDK: the first worker's Redis
 * connections run through a trap that SIGKILLs it when it sends the failed job's id (its
 * completion, moveToFinished), after its follow-up was added.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { startCommandTrap } from '../support/command-trap.js';
import { harnessPerTest } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const harnesses = harnessPerTest();
const processes = workerProcesses();

type LogLine = { level: number; msg: string; chunkId?: string; successor?: string; cursor?: number };

describe('a receipt look-up job failed at its start limit after it added its follow-up', () => {
  it('is not made anew: the follow-up carries the chain, and each recipient is looked up once', async () => {
    const h = await harnesses.create({ label: 'receipt-successor' });
    harnesses.defer(async () => processes.killAll());
    const calls = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    const redisUrl = new URL(testRedisUrl());
    const trap = await startCommandTrap({ port: Number(redisUrl.port || 6379) });
    harnesses.defer(() => trap.close());
    const trapped = new URL(redisUrl);
    trapped.port = String(trap.port);

    // The first look 3 s after acceptance: time to see the job added and arm the trap before it runs.
    const receiptSchedule = { lookDelaysMs: [3000], windowMs: 120_000 };
    // A lock long enough that no lock renewal (which names the job) is sent while it runs.
    const child = await processes.start({ redisUrl: trapped.toString(), prefix: h.prefix, endpoint: h.endpoint }, { receiptSchedule, repair: null, lockDurationMs: 4000 });

    const phones = ['13800138080', '13800138081'];
    const { sendId } = await h.producer.send({ ...NOTE, phones });
    const chunkId = chunkIdOf(sendId, '0');
    const first = jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1 });
    await waitFor(async () => (await calls.getJob(first)) !== undefined, 'the first receipt look-up job', 10_000);
    await waitFor(() => h.emulator.recipients().filter((r) => phones.includes(r.phone) && r.sendStatus === 3).length === 2, 'Dysmsapi to hold both receipts', 5_000);

    // Killed when it sends the job's id: its completion, after its follow-up was added.
    trap.arm([first], async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    });
    await trap.sprung();
    expect(await calls.getJobState(first)).toBe('active');
    const successors = (await calls.getJobs(['wait', 'delayed', 'prioritized', 'active'])).filter((j) => j?.name === 'receipt' && j.id !== first && j.id?.startsWith(`q.${chunkId}.`));
    expect(successors.map((j) => j.id)).toEqual([jobIds.receipt({ chunkId, look: 1, cursor: 1, dateIndex: 0, page: 1 })]);
    const successor = successors[0]!.id;

    // Another worker with a start limit of 1: the stalled job goes back to wait and its second start is refused.
    const sink = collector();
    // Not compacted when it completes: the stalled job's failure, handled after the follow-up completed the send, would find no chunk and say nothing.
    await h.startWorker({ logger: createLogger({ level: 'info' }, sink), maxStartedAttempts: 1, repair: null, receiptSchedule, compactFinished: false });
    const lines = () => sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
    await waitFor(async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, first)) !== null, 'the stalled job to fail at its start limit', 15_000);
    expect((await calls.getJob(first))?.failedReason).toBe('job started more than allowable limit');
    // The stalled job's own line: under load the killed child may have fetched the follow-up too, which then
    // stalls and fails at its limit as well (it never ran: made anew, rightly, under its own cursor).
    const said = await waitFor(() => lines().find((l) => l.level === 40 && /start limit/.test(l.msg) && l.cursor === 0), 'the start-limit failure to be said', 15_000);

    const status = await waitFor(async () => {
      const s = await h.producer.getStatus(sendId);
      return s.counts.delivered === 2 ? s : undefined;
    }, 'both receipts applied', 10_000);
    expect(status.counts).toMatchObject({ accepted: 0, delivered: 2 });
    // No second chain: nothing under the restarted id, and the warn line says the chain goes on.
    expect(await calls.getJob(jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, restarts: 1 }))).toBeUndefined();
    expect(said).toMatchObject({ chunkId, successor });
    expect(said.msg).toMatch(/not made anew, the chunk.s receipt look-ups go on from there/);
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'OK')).toHaveLength(2);
  }, 60_000);
});
