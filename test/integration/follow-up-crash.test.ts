/**
 * A process SIGKILLed between a transition that accepts a chunk and the receipt look-up it then
 * asks for (follow-ups.ts `firstReceiptLook`), and the recovery that follows: the push repeated
 * as Alibaba repeats one it got no answer to (after 1, 5 and 10 min), or the stalled job run again
 * by another worker. The repeat finds the chunk already `accepted` at the very attempt it
 * concerns; it must ask for the receipts as the first run would have (the job id makes it once),
 * or the chunk's recipients without a pushed report are never looked up and end `expired` at the
 * window's end, though delivered.
 *
 * Real processes (the ingest as `smsq server` wires it, test/support/report-ingest-child.ts; a
 * worker process, test/support/worker-process.ts), real Redis, the emulator through the real SDK:
 * the killed process's Redis connections run through a trap (test/support/command-trap.ts) that
 * SIGKILLs it when it sends the receipt job's add, so that add never reaches Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { systemClock } from '../../src/clock.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { startCommandTrap, type CommandTrap } from '../support/command-trap.js';
import { FAST_TIMING, harnessPerTest, type Harness } from '../support/pipeline.js';
import { everyKind } from '../support/receipt-policies.js';
import { testRedisUrl } from '../support/redis.js';
import type { ReportIngestChildConfig } from '../support/report-ingest-child.js';
import { builtFile } from '../support/test-build.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';

const harnesses = harnessPerTest();
const processes = workerProcesses();
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});

const PHONES = ['13800138341', '13800138342', '13800138343'];
const NOTE = { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const };
/** Looks within a second of acceptance, a window of 15 s: a recipient never looked up ends `expired` within the test. */
const RECEIPT_SCHEDULE = { lookDelaysMs: [200, 500, 900], windowMs: 15_000 };
const RECEIPTS = { receiptPolicies: everyKind('all'), receiptSchedule: RECEIPT_SCHEDULE };

/** A trap in front of the suite's Redis, and its URL. */
async function trappedRedis(): Promise<{ trap: CommandTrap; url: string }> {
  const redisUrl = new URL(testRedisUrl());
  const trap = await startCommandTrap({ port: Number(redisUrl.port || 6379) });
  harnesses.defer(() => trap.close());
  const trapped = new URL(redisUrl);
  trapped.port = String(trap.port);
  return { trap, url: trapped.toString() };
}

/** Arms `trap` to SIGKILL `killed.child` (started after the arming) when it sends the chunk's first receipt look-up job (its add). */
function killAtReceiptAdd(trap: CommandTrap, killed: { child?: ChildProcess }, chunkId: string): void {
  trap.arm([jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1 })], async () => {
    const c = killed.child;
    if (!c) throw new Error('no process to kill');
    c.kill('SIGKILL');
    if (c.exitCode === null && c.signalCode === null) await once(c, 'exit');
  });
}

/** Every recipient's end once the window could end it; whether each number was asked for by QuerySendDetails; how often each was sent. */
async function outcome(h: Harness, sendId: string) {
  const counts = await waitFor(async () => {
    const { counts } = await h.producer.getStatus(sendId);
    return counts.delivered + counts.expired === PHONES.length ? counts : undefined;
  }, 'every recipient delivered or expired', 40_000);
  const looked = (phone: string) => h.emulator.calls().some((c) => c.action === 'QuerySendDetails' && c.phones.includes(phone));
  return { delivered: counts.delivered, expired: counts.expired, lookedUp: PHONES.map(looked), sent: PHONES.map((p) => h.emulator.accepted().filter((a) => a.phoneNumbers.includes(p)).length) };
}

/**
 * A worker process SIGKILLed at its add of the chunk's first receipt look-up, the chunk accepted
 * (`resolvedBy`: by the call's answer, or by a look-up after `before` lost it); another worker
 * then runs the stalled job again. Every recipient must end delivered, each sent once.
 */
async function workerKilledThenStalledJobRerun(resolvedBy: 'answer' | 'reconcile', before?: (h: Harness) => void): Promise<void> {
  const h = await harnesses.create({ label: `follow-up-crash-${resolvedBy}`, durability: { mode: 'none' } });
  harnesses.defer(async () => processes.killAll());
  const { trap, url } = await trappedRedis();
  before?.(h);
  const { sendId } = await h.producer.send({ ...NOTE, phones: PHONES });
  const chunkId = chunkIdOf(sendId, '0');
  const worker: { child?: ChildProcess } = {};
  killAtReceiptAdd(trap, worker, chunkId);
  worker.child = await processes.start({ redisUrl: url, prefix: h.prefix, endpoint: h.endpoint }, { receiptSchedule: RECEIPT_SCHEDULE, repair: null });
  await trap.sprung();
  expect(worker.child.signalCode).toBe('SIGKILL');
  expect(await h.redis.hmget(`${h.prefix}:chunk:${chunkId}`, 'state', 'resolvedBy')).toEqual(['accepted', resolvedBy]);

  // Another worker: the killed one's job stalls and runs again here.
  await h.startWorker({ ...RECEIPTS, repair: null });
  expect(await outcome(h, sendId)).toEqual({ delivered: 3, expired: 0, lookedUp: [true, true, true], sent: [1, 1, 1] });
}

describe('a process SIGKILLed between accepting a chunk and asking for its receipts', () => {
  it("smsq server's ingest killed after report-accepted: Alibaba's repeat of the push asks for the chunk's other receipts, every recipient delivered (before: the pushed one only, the others never looked up, expired)", async () => {
    const h = await harnesses.create({ label: 'follow-up-crash-push', durability: { mode: 'none' } });
    const { trap, url } = await trappedRedis();
    // The call's answer lost: `unknown` at attempt 1, its look-up a minute away (the push decides first).
    h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], delayMs: 5000 });
    const { sendId } = await h.producer.send({ ...NOTE, phones: PHONES });
    const chunkId = chunkIdOf(sendId, '0');
    const chunkKey = `${h.prefix}:chunk:${chunkId}`;
    await h.startWorker({ ...RECEIPTS, reconcile: { ...FAST_TIMING.reconcile, firstLookAfterMs: 60_000 } });
    await waitFor(async () => ((await h.redis.hget(chunkKey, 'state')) === 'unknown' ? true : undefined), "the call's answer lost: unknown");
    const outId = (await h.redis.hget(chunkKey, 'outId')) as string;
    // The attempt's own report, as Alibaba pushes it: its OutId and BizId.
    const push = [{ phone_number: PHONES[0], send_time: '', report_time: '', success: true, err_code: 'DELIVERED', err_msg: '', sms_size: '1', biz_id: h.emulator.accepted()[0]?.bizId, out_id: outId }];

    const server: { child?: ChildProcess } = {};
    killAtReceiptAdd(trap, server, chunkId);
    const cfg: ReportIngestChildConfig = { redisUrl: url, prefix: h.prefix, ...RECEIPTS, push };
    server.child = spawn(process.execPath, [builtFile('test/support/report-ingest-child.ts'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(server.child);
    await trap.sprung();
    expect(server.child.signalCode).toBe('SIGKILL');
    // The transition applied; the push was never answered, its recipient's report not applied.
    expect(await h.redis.hmget(chunkKey, 'state', 'resolvedBy')).toEqual(['accepted', 'report']);

    // Alibaba pushes it again, to the server restarted.
    const { ingest, close } = openReportIngest({ redis: h.producerRedis, prefix: h.prefix, clock: systemClock, logger: h.logger, retention: uniformRetention(86_400), ...RECEIPTS, durability: { mode: 'none' } });
    harnesses.defer(close);
    expect(await ingest.applyReports(push)).toMatchObject({ applied: 1, resolved: 0 });

    expect(await outcome(h, sendId)).toEqual({ delivered: 3, expired: 0, lookedUp: [expect.any(Boolean), true, true], sent: [1, 1, 1] });
  }, 90_000);

  it("a worker killed after lookup-found (a timed-out call found accepted): the stalled reconcile job, run again by another worker, asks for the receipts, every recipient delivered (before: ended as obsolete, none looked up, all expired)", async () => {
    // The call's answer lost: `unknown`, then found accepted by the reconcile look-up.
    await workerKilledThenStalledJobRerun('reconcile', (h) => h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], delayMs: 5000 }));
  }, 90_000);

  it("a worker killed after answer-accepted: the stalled send job, run again by another worker, finds the chunk accepted (its claim's `done`) and asks for the receipts, every recipient delivered, sent once (passed before the fix too)", async () => {
    await workerKilledThenStalledJobRerun('answer');
  }, 90_000);
});
