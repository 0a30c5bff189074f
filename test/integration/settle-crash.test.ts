/**
 * A Redis crash between a send's last receipt and the record of its end, produced for real: the
 * server's connection to a redis-server (appendfsync always) goes through a trap that SIGKILLs
 * Redis when the command after the receipt reaches it (test/support/command-trap.ts). The receipt
 * was answered, so fsynced; the command after it never ran. Alibaba, answered with an error,
 * pushes the report again; a worker with the callback secret runs, and its repair sweep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queue/job-schemas.js';
import { scriptCall, startTrappedReportServer } from '../support/trapped-report-server.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A send of two numbers with a callback, accepted, its receipts to come by push only, through the trap. */
async function setUp(label: string) {
  const phones = ['13844000001', '13844000002'];
  return { ...(await startTrappedReportServer(label, phones, (close) => closers.push(close))), phones };
}

/**
 * Pushes the last report with Redis SIGKILLed where `patterns` reach it, starts Redis again, has
 * Alibaba push the report again (it was not told OK) and runs a repair round, as every worker does
 * every 5 minutes; resolves once the send is completed with its callback posted.
 */
async function lastReceiptCutAt(label: string, patterns: (sendId: string) => string[]) {
  const { redisServer, trap, h, worker, producer, receiver, sendId, phones, push } = await setUp(label);
  expect((await push(phones[0]!)).statusCode).toBe(200);
  trap.arm(patterns(sendId), () => redisServer.crash('fsynced').then(() => undefined));
  const cut = await push(phones[1]!);
  await trap.sprung();
  expect(cut.statusCode, cut.body).not.toBe(200);
  await redisServer.start();

  // The receipt was answered by Redis before the crash, so it is there after it.
  await waitFor(async () => (await producer.getStatus(sendId)).counts.delivered === 2, 'both receipts kept', 15_000);
  const again = await waitFor(async () => {
    const res = await push(phones[1]!);
    return res.statusCode === 200 ? res : undefined;
  }, 'the push again answered OK', 15_000);
  expect(again.json()).toEqual({ code: 0, msg: '接收成功' });
  await worker.repair!.runOnce();

  const ended = await waitFor(
    async () => {
      const status = await producer.getStatus(sendId);
      return status.send.state === 'completed' && receiver.got.length > 0 ? status : undefined;
    },
    'the send completed and its callback posted',
    10_000,
  ).catch(async (err: unknown) => {
    const status = await producer.getStatus(sendId);
    const job = await h.redis.exists(`${h.prefix}:housekeeping:${jobIds.callback(sendId)}`);
    throw new Error(`${String(err)}: state ${status.send.state}, counts ${JSON.stringify(status.counts)}, callbacks posted ${receiver.got.length}, callback job ${job ? 'present' : 'absent'}`);
  });
  expect(ended.counts).toMatchObject({ delivered: 2, accepted: 0 });
  // Once: a second callback would come within the worker's next jobs.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receiver.got).toHaveLength(1);
  expect(receiver.got[0]).toMatchObject({ ok: true, body: { event: 'send.completed', sendId } });
}

describe('a Redis crash right after the last receipt of a send', () => {
  it('before the send is settled: it stayed sent for good, with no callback; a repair round completes it and its callback goes, once', async () => {
    await lastReceiptCutAt('settle-crash', () => scriptCall('settle-send-3'));
  }, 60_000);

  it('once settled, before its callback job is added: it stayed completed with no callback; a repair round announces it, once', async () => {
    await lastReceiptCutAt('announce-crash', (sendId) => [jobIds.callback(sendId)]);
  }, 60_000);
});
