/**
 * A receipt look-up (QuerySendDetails of an accepted chunk's recipients) whose job fails for good
 * because its tries ran out: each an ordinary failure (here Dysmsapi answering `isp.SYSTEM_ERROR`
 * for as long as the job's back-off lasts; in the field ~34 minutes of 12 tries, or Redis errors
 * inside the processor). Before, nothing followed it: only one receipt job per chunk exists at a
 * time, so its recipients stayed `accepted` though Dysmsapi held their receipts, and were expired
 * when the window ended. Now the look-up is made anew where it stood, after the start-limit
 * restart's back-off on the worker's clock. Real worker, real Redis, the emulator through the real
 * SDK. The job is the one the worker adds, given 3 tries instead of 12 so that they run out in
 * seconds: the test takes it out while it waits for its look and adds it again, the same id, data,
 * priority and back-off, with `attempts: 3`.
 */
import { describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createManualClock } from '../../src/clock.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { JOB, jobIds } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { RECEIPT_PRIORITY } from '../../src/queue/kinds.js';
import { lookupRestartDelayMs } from '../../src/queue/lookup-restart.js';
import { harnessPerTest } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const harnesses = harnessPerTest();
const TRIES = 3;

type LogLine = { level: number; msg: string; sendId?: string; chunkId?: string; look?: number; cursor?: number; restarts?: number; delayMs?: number; tries?: number };

describe('a receipt look-up job whose tries ran out', () => {
  it('is made anew where it stood, after a back-off on the worker\'s clock: the receipts Dysmsapi holds are applied, not expired', async () => {
    const h = await harnesses.create({ label: 'receipt-tries' });
    const calls = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    // Every look-up fails in an ordinary way (HTTP 500), until the test says otherwise.
    h.emulator.setFaults([{ kind: 'server-error', actions: ['QuerySendDetails'], times: Infinity }]);
    const sink = collector();
    const clock = createManualClock(Date.now());
    // The first look a minute after acceptance on the worker's clock (which stays still): time to take the job out.
    await h.startWorker({ logger: createLogger({ level: 'info' }, sink), clock, repair: null, receiptSchedule: { lookDelaysMs: [60_000], windowMs: 600_000 } });
    const lines = () => sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

    const phones = ['13800138090', '13800138091'];
    const { sendId } = await h.producer.send({ ...NOTE, phones });
    const chunkId = chunkIdOf(sendId, '0');
    const first = jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1 });
    const added = await waitFor(() => calls.getJob(first), 'the first receipt look-up job', 10_000);
    expect(added.opts).toMatchObject({ attempts: 12, backoff: { type: 'exponential', delay: 1000 }, priority: RECEIPT_PRIORITY });
    await added.remove();
    await calls.add(JOB.receipt, added.data, { jobId: first, priority: RECEIPT_PRIORITY, attempts: TRIES, backoff: { type: 'exponential', delay: 1000 } });

    // Its tries run out (1 s, then 2 s between them).
    await waitFor(async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, first)) !== null, 'the receipt look-up job to fail for good', 15_000);
    const failed = await calls.getJob(first);
    expect(failed?.attemptsMade).toBe(TRIES);
    expect(failed?.failedReason).toMatch(/^QuerySendDetails failed: isp\.SYSTEM_ERROR/);

    // Dysmsapi recovers, and holds both receipts (delivered) for a look-up to find.
    h.emulator.clearFaults();
    await waitFor(() => h.emulator.recipients().filter((r) => phones.includes(r.phone) && r.sendStatus === 3).length === 2, 'Dysmsapi to hold both receipts', 5_000);

    // Made anew, it runs after the first back-off (5 s) and finds both receipts. Before, nothing
    // followed the failed job: both stayed accepted until the window expired them.
    let counts: Record<string, number> = {};
    await waitFor(async () => {
      counts = (await h.producer.getStatus(sendId)).counts;
      return counts.delivered === 2;
    }, 'both receipts applied by a look-up made anew after the failed one', 15_000).catch((e: Error) => {
      throw new Error(`${e.message}; the send's counts: ${JSON.stringify(counts)}`);
    });
    expect(counts).toMatchObject({ accepted: 0, delivered: 2, expired: 0 });
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'OK')).toHaveLength(2);

    // The same look, recipient, date and page, under a new id, delayed by the first back-off (the worker's clock did not move).
    const again = await calls.getJob(jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, restarts: 1 }));
    expect(again?.data).toMatchObject({ sendId, chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0, restarts: 1 });
    expect(again?.opts.delay).toBe(lookupRestartDelayMs(1));
    const warned = lines().filter((l) => l.level === 40 && /tries/.test(l.msg));
    expect(warned).toEqual([expect.objectContaining({ sendId, chunkId, look: 1, cursor: 0, restarts: 1, tries: TRIES, delayMs: lookupRestartDelayMs(1) })]);
    expect(warned[0]?.msg).toMatch(/isp\.SYSTEM_ERROR.*looked up again in 5 s, from where it stood/);
  }, 40_000);
});
