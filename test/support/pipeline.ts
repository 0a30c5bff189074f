import type { Clock } from '../../src/clock.js';
import { afterEach } from 'vitest';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { confirmationWaitMs, resolveDurability, type DurabilityOptions } from '../../src/durability/mode.js';
import { shortestCallDeadlineMs } from '../../src/queue/call-deadline.js';
import { PACER_REACH_MS } from '../../src/queue/call-pacer.js';
import type { ReconcileTiming } from '../../src/queue/follow-ups.js';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { createSmsClient } from '../../src/sms/client.js';
import type { SmsClient } from '../../src/sms/types.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { createSmsWorker, type SmsWorker, type SmsWorkerOptions } from '../../workers/sms-worker.js';
import { createProducerConnection, createTestConnection, deleteKeys, uniquePrefix } from './redis.js';

export interface Harness {
  emulator: Emulator;
  endpoint: string;
  client: SmsClient;
  /** The workers' connection (role 'worker'), for reading and writing keys in tests. */
  redis: RedisConnection;
  /** The producer's connection (role 'client'), for another producer on the same Redis; closed by `close()`. */
  producerRedis: RedisConnection;
  prefix: string;
  logger: Logger;
  producer: Producer;
  /** Starts a worker in this process; it is closed by `close()`. */
  startWorker(opts?: Partial<SmsWorkerOptions>): Promise<SmsWorker>;
  clientWith(opts: { accessKeySecret?: string; readTimeoutMs?: number }): SmsClient;
  close(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  readTimeoutMs?: number;
  label?: string;
  /** The producer's clock (deadlines are checked against it). Default the system clock. */
  clock?: Clock;
  /** REDIS_URL of the Redis to use (Sentinel and Cluster forms too). Default: the suite's private Redis. */
  redisUrl?: string;
  /** Key prefix (a hash tag). Default: a unique one from `label`. */
  prefix?: string;
  /** SMSQ_DURABILITY of the producer and of workers started by `startWorker`. Default: the default mode. */
  durability?: DurabilityOptions;
}

/** Test timing: reconcile looks and stall detection in hundreds of ms instead of minutes. */
export const FAST_TIMING = Object.freeze({
  // The settling window covers the call deadline + connect + read timeout (1000 ms each here):
  // call-deadline.ts. The deadline outlasts the pacer's farthest slot (2 s ahead), so a claim that
  // waits for its slot at a low cap is not undone.
  reconcile: { firstLookAfterMs: 50, settleMs: 4500, lookIntervalMs: 150, callDeadlineMs: 2500 },
  stalledIntervalMs: 500,
  lockDurationMs: 1000,
});

/**
 * FAST_TIMING's reconcile timing for a worker whose claims wait for confirmations of up to
 * `durability`'s timeout: its call deadline outlasts that wait and the pacer's reach (a worker
 * refuses a shorter one: src/queue/call-deadline.ts), and its settling window that deadline and
 * the client's connect and read timeouts (`readTimeoutMs` each).
 */
export function fastReconcileFor(durability: DurabilityOptions | undefined, readTimeoutMs = 1000): ReconcileTiming {
  const confirmationMs = durability ? confirmationWaitMs(resolveDurability(durability)) : 0;
  const callDeadlineMs = Math.max(FAST_TIMING.reconcile.callDeadlineMs, shortestCallDeadlineMs({ pacerReachMs: PACER_REACH_MS, confirmationMs }));
  return { ...FAST_TIMING.reconcile, callDeadlineMs, settleMs: Math.max(FAST_TIMING.reconcile.settleMs, callDeadlineMs + 2 * readTimeoutMs) };
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 }, ...opts.emulator });
  const { endpoint } = await emulator.listen();
  const readTimeoutMs = opts.readTimeoutMs ?? 1000;
  const clientWith = (o: { accessKeySecret?: string; readTimeoutMs?: number }) =>
    createSmsClient({
      endpoint,
      protocol: 'http',
      readTimeoutMs: o.readTimeoutMs ?? readTimeoutMs,
      credential: { kind: 'access-key', accessKeyId: SANDBOX_ACCESS_KEY.accessKeyId, accessKeySecret: o.accessKeySecret ?? SANDBOX_ACCESS_KEY.accessKeySecret },
    });
  const client = clientWith({});
  const redis = opts.redisUrl === undefined ? createTestConnection() : createRedisConnection(opts.redisUrl);
  const prefix = opts.prefix ?? uniquePrefix(opts.label ?? 'p');
  const logger = createLogger({ level: 'silent' });
  const producerRedis = createProducerConnection(opts.redisUrl, opts.durability);
  const producer = createProducer({ redis: producerRedis, prefix, logger, clock: opts.clock, ...(opts.durability ? { durability: opts.durability } : {}) });
  const workers: SmsWorker[] = [];
  return {
    emulator,
    endpoint,
    client,
    redis,
    producerRedis,
    prefix,
    logger,
    producer,
    clientWith,
    async startWorker(w = {}) {
      const worker = createSmsWorker({
        connection: redis,
        client,
        logger,
        prefix,
        qps: 500,
        readTimeoutMs,
        concurrency: 8,
        // Marketing goes out whatever the hour the suite runs; a test of quiet hours passes its own.
        quietHours: null,
        ...FAST_TIMING,
        ...(opts.durability ? { durability: opts.durability, reconcile: fastReconcileFor(opts.durability, readTimeoutMs) } : {}),
        ...w,
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      const running = workers.filter((w) => w.worker.isRunning());
      await producer.close();
      producerRedis.disconnect();
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await emulator.close();
      if (running.length) throw new Error(`${running.length} worker(s) still running after close`);
    },
  };
}

/**
 * One harness per test of a file: `create` starts it, `defer` hands over what the test started
 * beside it (receivers, ingest servers, producers). After each test those close first, in order,
 * then the harness.
 */
export function harnessPerTest(): { create(opts?: HarnessOptions): Promise<Harness>; defer(close: () => Promise<void>): void } {
  let current: Harness | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    await current?.close();
    current = undefined;
  });
  return {
    async create(opts) {
      current = await createHarness(opts);
      return current;
    },
    defer(close) {
      closers.push(close);
    },
  };
}
