/**
 * SMSQ_DURABILITY=none meeting a rollback while receipt look-ups and reconcile look-ups are in
 * flight, produced for real: two worker processes against a redis-server whose AOF is cut back,
 * after a SIGKILL, to a mark taken 300 ms earlier (test/support/crashable-redis.ts); the emulator
 * loses SendSms answers (reconcile look-ups follow) and answers QuerySendDetails late or with a 5xx.
 * The mode may send a recipient twice (docs/durability.md), but only where no look-up could have
 * found the first send: a resend after a look-up that answered is a fault.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DURABILITY } from '../../src/durability/mode.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducer } from '../../producers/producer.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';
import { createProducerConnection } from '../support/redis.js';

const logger = createLogger({ level: 'silent' });
const closers: (() => Promise<void> | void)[] = [];
const processes = workerProcesses();
afterEach(async () => {
  processes.killAll();
  for (const close of closers.splice(0).reverse()) await close();
});

const NONE = { ...DEFAULT_DURABILITY, mode: 'none' } as const;
let nextPhone = 13867000000;
const phones = (n: number) => Array.from({ length: n }, () => String(nextPhone++));

function armFaults(emulator: Emulator): void {
  for (let i = 0; i < 4; i++) emulator.addFault({ kind: 'lost-answer', delayMs: 1500, times: 1 });
  // Look-ups answered after the read timeout, or refused: in flight across the crash.
  emulator.addFault({ kind: 'lost-answer', actions: ['QuerySendDetails'], delayMs: 1500, times: 8 });
  emulator.addFault({ kind: 'server-error', actions: ['QuerySendDetails'], times: 4 });
}

describe('mode none: a rollback with look-ups in flight', () => {
  it('no recipient is sent again after a look-up that answered; every send acknowledged before the mark ends', async () => {
    const redisServer = await startCrashableRedis({ appendfsync: 'always' });
    closers.push(() => redisServer.stop());
    const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 }, latencyMs: 40 });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    const prefix = '{smsq-none-lookups}';
    const producerRedis = createProducerConnection(redisServer.url);
    closers.push(() => void producerRedis.disconnect());
    const producer = createProducer({ redis: producerRedis, prefix, logger, durability: NONE });
    closers.push(() => producer.close());
    for (let i = 0; i < 2; i++) {
      await processes.start({ redisUrl: redisServer.url, prefix, endpoint }, {
        qps: 400,
        concurrency: 8,
        durability: NONE,
        repair: { intervalMs: 1000, firstAfterMs: 1000, minAgeMs: 3000, enqueueGraceMs: 3000 },
        receiptSchedule: { lookDelaysMs: [200, 600, 1200], windowMs: 15_000 },
      });
    }

    const sends: { sendId: string; phones: string[]; at: number }[] = [];
    const sendSome = async () => {
      const batch = [...Array.from({ length: 6 }, () => phones(25)), ...Array.from({ length: 6 }, () => phones(1))];
      for (const numbers of batch) {
        const kind = numbers.length === 1 ? 'verification' : 'notification';
        const r = await producer.send({ phones: numbers, signName: N.sign, templateCode: numbers.length === 1 ? N.verificationTemplate : N.plainTemplate, templateParam: numbers.length === 1 ? { code: '1234' } : undefined, kind });
        sends.push({ sendId: r.sendId, phones: numbers, at: performance.now() });
      }
    };
    armFaults(emulator);
    await sendSome();
    // Wait until look-ups are being made (receipts and reconciles), then mark, send more, crash.
    await waitFor(() => emulator.calls().filter((c) => c.action === 'QuerySendDetails').length >= 10 || undefined, 'look-ups under way', 15_000);
    armFaults(emulator);
    const mark = redisServer.mark();
    const marked = performance.now();
    await sendSome();
    await new Promise((r) => setTimeout(r, marked + 300 - performance.now()));
    const inFlightLookups = emulator.calls().filter((c) => c.action === 'QuerySendDetails').length;
    const t0 = Date.now();
    const { bytesLost } = await redisServer.crash(mark);
    await redisServer.start();
    await waitFor(() => producer.getStatus(sends[0]!.sendId), 'the producer to reconnect', 15_000);

    const ends = new Map<string, string>();
    for (const s of sends) {
      const found = await producer.getStatus(s.sendId).catch((e: { code?: string }) => e.code);
      if (found === 'SMSQ_NOT_FOUND') {
        ends.set(s.sendId, 'vanished');
        continue;
      }
      const st = await waitFor(async () => {
        const status = await producer.getStatus(s.sendId);
        return ['completed', 'failed', 'expired', 'cancelled'].includes(status.send.state) ? status : undefined;
      }, `send ${s.sendId} to end`, 90_000).catch(async (err: unknown) => {
        const chunk = await redis.hgetall(`${prefix}:chunk:${s.sendId}.0`);
        const jobKeys = (await redis.keys(`${prefix}*${s.sendId}*`)).filter((k) => !k.endsWith(':logs'));
        const jobs = await Promise.all(jobKeys.map(async (k) => `${k} ${(await redis.type(k)) === 'hash' ? JSON.stringify(await redis.hmget(k, 'name', 'data', 'delay', 'timestamp', 'failedReason', 'finishedOn', 'returnvalue')) : ''}`));
        const sets = await Promise.all(['wait', 'delayed', 'active', 'prioritized', 'failed', 'completed'].map(async (q) => `${q}:${await redis.keys(`${prefix}*:${q}`).then((ks) => ks.join(','))}`));
        const mine = emulator.calls().filter((c) => c.phones.includes(s.phones[0]!)).map((c) => ({ at: c.at - t0, action: c.action, code: c.code, fault: c.fault }));
        throw new Error(`${String(err)}: ${JSON.stringify(await producer.getStatus(s.sendId))} chunk ${JSON.stringify(chunk)} jobs ${jobs.join(' | ')} sets ${sets.join(' ')} calls ${JSON.stringify(mine)} marked ${Math.round(marked - s.at)}ms after ack`);
      });
      ends.set(s.sendId, `${st.send.state}${st.send.code ? `:${st.send.code}` : ''}`);
    }
    // A resend of a number is a fault when a look-up naming it answered between its two sends.
    const calls = emulator.calls();
    const allPhones = sends.flatMap((s) => s.phones);
    const twice: { phone: string; story: unknown }[] = [];
    for (const phone of allPhones) {
      const mine = calls.filter((c) => c.phones.includes(phone));
      const accepted = mine.filter((c) => c.action === 'SendSms' && c.code === 'OK' || c.action === 'SendSms' && c.fault === 'lost-answer');
      if (accepted.length < 2) continue;
      const lookedUpBetween = mine.filter((c) => c.action === 'QuerySendDetails' && c.code === 'OK' && !c.fault && c.at > accepted[0]!.at && c.at < accepted[1]!.at);
      twice.push({ phone, story: { lookedUpBetween: lookedUpBetween.length, calls: mine.map((c) => ({ at: c.at - t0, action: c.action, code: c.code, fault: c.fault })) } });
    }
    const summary = [...ends.values()].reduce<Record<string, number>>((m, e) => ({ ...m, [e]: (m[e] ?? 0) + 1 }), {});
    console.info(
      `none + rollback ${bytesLost} bytes (mark 300 ms before the kill), ${inFlightLookups} look-ups made by the kill, ${calls.filter((c) => c.action === 'QuerySendDetails').length} in all, ${calls.filter((c) => c.fault).length} faulted calls; ` +
        `${sends.length} sends: ${JSON.stringify(summary)}; ${twice.length} of ${allPhones.length} recipients sent twice (${twice.filter((t) => (t.story as { lookedUpBetween: number }).lookedUpBetween > 0).length} after a look-up that answered)`,
    );
    expect(bytesLost).toBeGreaterThan(0);
    expect(twice.filter((t) => (t.story as { lookedUpBetween: number }).lookedUpBetween > 0), JSON.stringify(twice.slice(0, 3))).toEqual([]);
    // Acknowledged before the mark: present and ended; none failed.
    for (const s of sends.filter((x) => x.at <= marked)) expect(ends.get(s.sendId), s.sendId).toMatch(/^completed|^expired/);
  }, 200_000);
});
