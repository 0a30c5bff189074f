/**
 * A Redis crash at the compaction of a finished send (compact-send.lua), produced for real: the
 * server's connection goes through a trap that SIGKILLs Redis (appendfsync always) when the
 * compaction reaches it (test/support/command-trap.ts), or the AOF is cut back into the middle of
 * the compaction's own writes (test/support/crashable-redis.ts). Afterwards `status`, the
 * recipient pages, the events and the callback agree with what was there before, the send is
 * compacted once (not left as it was for its whole retention), and never half. Its end is announced
 * once (one callback job added); that job may post again when the crash comes between the
 * receiver's answer and the job's completion, as docs/receipts-and-controls.md says of any webhook,
 * so the receiver is asked for one callback, however many times it was posted.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queue/job-schemas.js';
import { HOUSEKEEPING_QUEUE } from '../../src/queue/keys.js';
import { COMPACT_FIELD } from '../../src/queue/send-store.js';
import type { RecipientState } from '../../src/receipts/send-recipients.js';
import type { Producer } from '../../producers/producer.js';
import { scriptCall, startTrappedReportServer } from '../support/trapped-report-server.js';
import { waitFor } from '../support/wait.js';
import type { SmsWorker } from '../../workers/sms-worker.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A stream entry's fields as an object. */
const fieldsOf = (f: string[]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]]))) as Record<string, string | undefined>;

/** What a reader sees of a send: its status (the moment it was read left out) and every recipient. */
async function seen(producer: Producer, sendId: string) {
  const { send, counts } = await producer.getStatus(sendId);
  const recipients: RecipientState[] = [];
  for await (const r of producer.recipients(sendId)) recipients.push(r);
  return { state: send.state, history: send.history, counts, recipients };
}

/** A repair round of the worker's sweep, as every worker runs one every 5 minutes. */
async function repairRound(worker: SmsWorker) {
  const report = await worker.repair!.runOnce();
  if (!report) throw new Error('the repair round did not run (its lease was held)');
  return report;
}

/** A send of three numbers with a callback, accepted, its receipts to come by push only, through the trap; all but the last pushed. */
async function setUp(label: string) {
  const phones = ['13844100001', '13844100002', '13844100003'];
  const server = await startTrappedReportServer(label, phones, (close) => closers.push(close));
  const { h, sendId, push } = server;
  for (const phone of phones.slice(0, -1)) expect((await push(phone)).statusCode).toBe(200);
  const compacted = async () => (await h.redis.hexists(`${h.prefix}:send:${sendId}`, COMPACT_FIELD)) === 1;
  /** The send's events in the stream: one `completed` move is expected, whatever the crash. */
  const sendEvents = async () => {
    const entries = await h.redis.xrange(`${h.prefix}:events`, '-', '+');
    return entries.map(([, f]) => fieldsOf(f)).filter((e) => e.sendId === sendId && e.type === 'send');
  };
  /**
   * How the send's end was called back: the callback jobs added for it (BullMQ's `added` events of
   * its job id: a second announcement after the first job was gone would add one more), and the
   * distinct callbacks the receiver got (by `sendId` and `event`, as the docs tell receivers to
   * tell them apart), with whether it got any.
   */
  const callbacks = async () => {
    const added = (await h.redis.xrange(`${h.prefix}:${HOUSEKEEPING_QUEUE}:events`, '-', '+')).map(([, f]) => fieldsOf(f)).filter((e) => e.event === 'added' && e.jobId === jobIds.callback(sendId));
    const posted = new Set(server.receiver.got.map(({ body }) => JSON.stringify([(body as { sendId?: unknown }).sendId, (body as { event?: unknown }).event])));
    return { jobsAdded: added.length, distinctPosted: posted.size };
  };
  return { ...server, phones, compacted, sendEvents, callbacks };
}

describe('a Redis crash at the compaction of a finished send', () => {
  it('killed as the compaction reaches Redis (after the end was settled and announced): the send reads the same, is compacted by the next repair round, once, and its end is announced once (one callback job, one callback however often posted)', async () => {
    const { redisServer, trap, worker, producer, receiver, sendId, phones, push, compacted, sendEvents, callbacks } = await setUp('compact-crash');
    trap.arm(scriptCall('compact-send'), () => redisServer.crash('fsynced').then(() => undefined));
    const cut = await push(phones[2]!);
    await trap.sprung();
    expect(cut.statusCode, cut.body).not.toBe(200);
    await redisServer.start();
    const before = await waitFor(() => seen(producer, sendId).catch(() => undefined), 'the producer to reconnect', 15_000);
    // Settled and announced before the crash: completed, every receipt in, not compacted yet.
    expect(before.state).toBe('completed');
    expect(before.counts).toMatchObject({ delivered: 3, accepted: 0 });
    expect(await compacted()).toBe(false);

    // Alibaba pushes the report again (it was not told OK); a repair round runs, as every worker does every 5 minutes.
    const again = await waitFor(async () => {
      const res = await push(phones[2]!);
      return res.statusCode === 200 ? res : undefined;
    }, 'the push again answered OK', 15_000);
    expect(again.json()).toEqual({ code: 0, msg: '接收成功' });
    const firstRound = await repairRound(worker);
    const secondRound = await repairRound(worker);
    await waitFor(() => receiver.got.length > 0, 'the callback posted', 10_000);
    const after = await seen(producer, sendId);
    const state = { compacted: await compacted(), completedEvents: (await sendEvents()).filter((e) => e.state === 'completed').length, callbacks: await callbacks() };
    expect(state, `after the push again and two repair rounds (${JSON.stringify(firstRound.found)}, then ${JSON.stringify(secondRound.found)}; ${receiver.got.length} post(s))`).toEqual({ compacted: true, completedEvents: 1, callbacks: { jobsAdded: 1, distinctPosted: 1 } });
    // Compacted by the first round, once: the second finds nothing to do.
    expect([firstRound.found.sendsNotCompacted, secondRound.found.sendsNotCompacted, secondRound.found.sendsNotSettled]).toEqual([1, 0, 0]);
    expect(after).toEqual(before);
  }, 60_000);

  it('the AOF cut back into the middle of the compaction\'s writes (a host crash as Redis wrote them): Redis keeps none of them, the send reads the same, and is compacted again whole', async () => {
    const { redisServer, worker, producer, receiver, sendId, phones, push, compacted, sendEvents, callbacks } = await setUp('compact-cut');
    const mark = redisServer.mark();
    expect((await push(phones[2]!)).statusCode).toBe(200);
    await waitFor(compacted, 'the send compacted');
    await waitFor(() => receiver.got.length > 0, 'the callback posted', 10_000);
    const before = await seen(producer, sendId);
    // The compaction's writes are one MULTI/EXEC block of the AOF: cut it between its HSET of the
    // packed record and its EXEC.
    const aof = readFileSync(mark.file);
    const packed = aof.indexOf(Buffer.from(`\r\n$1\r\n${COMPACT_FIELD}\r\n`), mark.size);
    const exec = aof.indexOf(Buffer.from('EXEC\r\n'), packed);
    expect({ packed: packed > mark.size, exec: exec > packed }).toEqual({ packed: true, exec: true });
    const cutAt = { file: mark.file, size: packed + Math.floor((exec - packed) / 2) };
    const { bytesLost } = await redisServer.crash(cutAt);
    await redisServer.start();
    const restored = await waitFor(() => seen(producer, sendId).catch(() => undefined), 'the producer to reconnect', 15_000);
    expect(bytesLost).toBeGreaterThan(0);
    // None of the block: the send as it was before its compaction, whole.
    expect({ compacted: await compacted(), restored }).toEqual({ compacted: false, restored: before });

    const rounds = [await repairRound(worker), await repairRound(worker)].map((r) => r.found.sendsNotCompacted);
    const after = await seen(producer, sendId);
    const state = { compacted: await compacted(), completedEvents: (await sendEvents()).filter((e) => e.state === 'completed').length, callbacks: await callbacks(), rounds };
    expect(state, `${receiver.got.length} post(s)`).toEqual({ compacted: true, completedEvents: 1, callbacks: { jobsAdded: 1, distinctPosted: 1 }, rounds: [1, 0] });
    expect(after).toEqual(before);
  }, 60_000);
});
