/**
 * The call pacer on a Redis slow to fsync, produced for real: redis-server under the fsync shim
 * (test/support/native/fsync-tracker.c) taking 30 ms for every fsync, as a busy or networked disk
 * does, with `appendfsync always` (smsq's default durability mode). Every write's reply then comes
 * back more than the pacer's 20 ms of allowed lateness after the script that reserved its slot ran.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createCallPacer } from '../../src/queue/call-pacer.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { maxInSlidingWindow } from '../../src/queue/rate-window.js';
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { startEmulatorClient } from '../support/emulator-client.js';
import { FAST_TIMING } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { createProducerConnection } from '../support/redis.js';

const FSYNC_MS = 30;
const silent = createLogger({ level: 'silent' });
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function slowRedis() {
  const server = await startCrashableRedis({ appendfsync: 'always', fsyncDelayMs: FSYNC_MS });
  closers.push(() => server.stop());
  const redis = createRedisConnection(server.url);
  closers.push(() => void redis.disconnect());
  return Object.assign(redis, { url: server.url });
}

/** Pacer slots reserved so far, refused ones included: reserveSlot is the only caller of TIME. */
async function reservations(redis: ReturnType<typeof createRedisConnection>): Promise<number> {
  return Number(/cmdstat_time:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
}

describe(`a Redis whose every fsync takes ${FSYNC_MS} ms`, () => {
  it('a worker sends, under the cap, with about one reservation a call', async () => {
    const redis = await slowRedis();
    const { emulator, client } = await startEmulatorClient((close) => void closers.push(close));
    const qps = 20;
    const worker = createSmsWorker({ connection: redis, client, logger: silent, prefix: '{slowfsync}', qps, readTimeoutMs: 1000, concurrency: 8, ...FAST_TIMING });
    closers.push(() => worker.close());
    await worker.start();
    const producerRedis = createProducerConnection(redis.url);
    closers.push(() => void producerRedis.disconnect());
    const producer = createProducer({ redis: producerRedis, prefix: '{slowfsync}' });
    closers.push(() => producer.close());
    const phones = Array.from({ length: 40 }, (_, i) => String(13800138000 + i));
    // One number a call (notifications of one number each): 40 calls, two seconds of the cap.
    const sends = await Promise.all(phones.map((phone) => producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' })));
    const reservedBefore = await reservations(redis);
    const accepted = async () => {
      let n = 0;
      for (const s of sends) n += (await producer.getStatus(s.sendId)).counts.accepted;
      return n;
    };
    // Before the slot clock, every slot looked missed (its reply came 30 ms after it) and no call was made.
    // Waited for on the emulator: a status read asks Redis's TIME too (ages judged on Redis's clock),
    // which the count of reservations below would take for the pacer's.
    const sendCalls = () => emulator.calls().filter((c) => c.action === 'SendSms').length;
    await waitFor(async () => sendCalls() === phones.length, 'every send to be called', 20_000).catch(() => undefined);
    const reserved = (await reservations(redis)) - reservedBefore;
    const callsThen = emulator.calls().length;
    await waitFor(async () => (await accepted()) === phones.length, 'every send to be accepted', 20_000).catch(() => undefined);
    expect(await accepted()).toBe(phones.length);
    const calls = emulator.calls().filter((c) => c.action === 'SendSms');
    expect(calls).toHaveLength(phones.length);
    expect(maxInSlidingWindow(calls.map((c) => c.at), 1000)).toBeLessThanOrEqual(qps);
    // About a reservation a call (sends and their receipt look-ups alike), and one taken again now and
    // then: a caller that wakes more than maxLateMs after its slot reserves again, which a CPU-starved
    // test machine does (1.5-1.6 a call in two CI runs beside other suites on a slower machine; the
    // documented cost, docs/rate-limiting.md). The fault this guards reserved again for ever and made no call.
    expect(reserved).toBeLessThanOrEqual(callsThen * 2);
  }, 60_000);

  it('acquire() hands out slots at the pacing, not one reservation after another', async () => {
    const redis = await slowRedis();
    const qps = 100;
    const pacer = createCallPacer({ redis, key: '{slowfsync}:pacer', qps });
    const times: number[] = [];
    const deadline = performance.now() + 15_000;
    let left = 200;
    const before = await reservations(redis);
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (left > 0 && performance.now() < deadline) {
          left--;
          await pacer.acquire('urgent');
          times.push(performance.now());
        }
      }),
    );
    expect(times).toHaveLength(200);
    expect(maxInSlidingWindow(times, 1000)).toBeLessThanOrEqual(qps);
    // 200 calls at ~97/s take about two seconds; each call one reservation, and a few taken again.
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(3000);
    expect((await reservations(redis)) - before).toBeLessThanOrEqual(200 * 1.25);
  }, 60_000);
});
