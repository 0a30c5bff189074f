/**
 * Redis frozen (SIGSTOP: its connections stay open, no error comes) under two busy worker
 * processes and a producer, for longer than the job lock, the call deadline and the settling
 * window of the workers (TIMING: 0.5 s, 2.2 s, 3 s), then thawed. Every lock has lapsed by
 * the thaw, every claim is past its deadline, and each connection's writes sent during the
 * freeze land together, in whatever order Redis reads its sockets. The producer's calls under
 * way fail (SMSQ_REDIS_UNAVAILABLE) and are made again under their idempotency keys, as the
 * refusal says; the longest freeze also outlasts the producer's idempotency lease (3 s), so a
 * retry may take over a key whose first request's writes are still queued. Asserted: every acknowledged send ends past the API and every recipient of it is
 * accepted once (the emulator's record of every SendSms / SendBatchSms).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SendState } from '../../src/queue/lifecycle.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { asCallerDoes } from '../support/caller-retry.js';
import { startFreezableRedis } from '../support/freezable-redis.js';
import { createProducerConnection } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';

const logger = createLogger({ level: 'silent' });

/**
 * The workers' timing, as short as a worker accepts, so each freeze can outlast what it must in a
 * few seconds: the call deadline just past the pacer's reach (2 s ahead) and its slack, the
 * settling window just past that deadline + the SMS client's connect and read timeouts (400 ms each).
 */
const TIMING = {
  readTimeoutMs: 400,
  lockDurationMs: 500,
  stalledIntervalMs: 250,
  reconcile: { firstLookAfterMs: 50, settleMs: 3000, lookIntervalMs: 150, callDeadlineMs: 2200 },
};
/** Freezes past the settling window, the lock, and the call deadline. */
const FREEZES_MS = [TIMING.reconcile.settleMs + 500, TIMING.lockDurationMs + 200, TIMING.reconcile.callDeadlineMs + 300];
const closers: (() => Promise<void> | void)[] = [];
const processes = workerProcesses();
afterEach(async () => {
  processes.killAll();
  for (const close of closers.splice(0).reverse()) await close();
});

let nextPhone = 13600000000;
const phones = (n: number) => Array.from({ length: n }, () => String(nextPhone++));
async function* recipientsOf(numbers: readonly string[]) {
  for (const phone of numbers) yield { phone };
}

/** Requests refused while Redis was frozen, made again under their keys: a freeze that met none would prove nothing. */
let refusedWhileFrozen = 0;
const countRefusal = (code: string) => {
  if (code === 'SMSQ_REDIS_UNAVAILABLE') refusedWhileFrozen++;
};

interface Acked {
  sendId: string;
  phones: string[];
}

async function round(producer: Producer, r: number): Promise<Acked[]> {
  const campaign = phones(1500);
  const notification = phones(300);
  const batch = phones(150);
  const codes = phones(6);
  const key = (numbers: string[]) => `frozen-${r}-${numbers[0] ?? ''}`;
  const requests: [string[], () => Promise<{ sendId: string }>][] = [
    [campaign, () => asCallerDoes(key(campaign), (k) => producer.campaign(recipientsOf(campaign), { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', ...k }), countRefusal)],
    [notification, () => asCallerDoes(key(notification), (k) => producer.send({ phones: notification, signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', ...k }), countRefusal)],
    [batch, () => asCallerDoes(key(batch), (k) => producer.sendBatch({ templateCode: N.notificationTemplate, kind: 'notification', messages: batch.map((phone, i) => ({ phone, signName: N.sign, templateParam: { name: `n${i}`, order: String(i) } })), ...k }), countRefusal)],
    ...codes.map((p): [string[], () => Promise<{ sendId: string }>] => [[p], () => asCallerDoes(key([p]), (k) => producer.send({ phones: [p], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification', ...k }), countRefusal)]),
  ];
  const settled = await Promise.allSettled(requests.map(async ([, send]) => send()));
  return settled.flatMap((s, i) => (s.status === 'fulfilled' ? [{ sendId: s.value.sendId, phones: requests[i]?.[0] ?? [] }] : []));
}

const DONE: readonly SendState[] = ['sent', 'completed'];

function acceptedPerPhone(emulator: Emulator): Map<string, number> {
  const m = new Map<string, number>();
  for (const a of emulator.accepted()) for (const p of a.phoneNumbers) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

describe('Redis frozen under busy workers, longer than the lock, the call deadline and the settling window', () => {
  it('every acknowledged send is sent, every recipient accepted once', async () => {
    const server = await startFreezableRedis((close) => closers.push(close));
    // Answers take 40 ms, so the freeze lands while calls are in flight.
    const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 }, latencyMs: 40 });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const producerRedis = createProducerConnection(server.url, undefined, { connectTimeoutMs: 1000 });
    closers.push(() => void producerRedis.disconnect());
    const prefix = '{smsq-frozen}';
    // The shortest lease smsq takes: a request cut off by a freeze holds its key this long, not 15 s.
    const producer = createProducer({ redis: producerRedis, prefix, logger, connectTimeoutMs: 1000, idempotencyLeaseMs: 3000 });
    closers.push(() => producer.close());
    await Promise.all([0, 1].map(() => processes.start({ redisUrl: server.url, prefix, endpoint }, { qps: 400, concurrency: 8, ...TIMING })));

    const acked: Acked[] = [];
    for (let r = 0; r < 6; r++) {
      const traffic = round(producer, r);
      if (r % 2 === 1) {
        await new Promise((resolve) => setTimeout(resolve, 30 + 40 * r));
        server.freeze();
        await new Promise((resolve) => setTimeout(resolve, FREEZES_MS[(r - 1) / 2]));
        server.thaw();
      }
      acked.push(...(await traffic));
    }
    expect(acked.length).toBeGreaterThan(20);
    expect(refusedWhileFrozen).toBeGreaterThan(0);
    for (const send of acked) {
      await waitFor(async () => DONE.includes((await producer.getStatus(send.sendId)).send.state), `send ${send.sendId} to be sent`, 90_000).catch(async (err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify((await producer.getStatus(send.sendId)).counts)}`);
      });
    }
    const per = acceptedPerPhone(emulator);
    const twice = [...per].filter(([, n]) => n > 1).map(([p]) => p);
    const ackedPhones = acked.flatMap((s) => s.phones);
    const report = twice.slice(0, 3).map((phone) => ({
      phone,
      calls: emulator.calls().filter((c) => c.phones.includes(phone)).map((c) => ({ at: c.at, action: c.action, code: c.code })),
      sends: emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).map((a) => ({ at: a.acceptedAt, outId: a.outId })),
    }));
    expect(twice, JSON.stringify(report)).toEqual([]);
    expect(ackedPhones.filter((p) => per.get(p) !== 1)).toEqual([]);
  }, 300_000);
});
