/**
 * The server judges the ages of what workers stamped (heartbeats, live-worker words, unknown
 * outcomes) on Redis's clock, not its own: against the suite's real Redis, workers in sync with it
 * (this host's clock is Redis's) and a server whose clock is 90 s off, `/metrics` and `/readyz`
 * must say what a server in sync would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { createKeys } from '../../src/queue/keys.js';
import { createWorkerSettingsAnnouncer } from '../../src/queue/worker-settings.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { clockOff } from '../support/clock-off.js';
import { createProducerConnection, createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const SETTLE_MS = 30_000;
const OFF_MS = 90_000;
const logger = createLogger({ level: 'silent' });
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A worker in sync with Redis: its live-worker word and heartbeat, said now; and an attempt of its whose outcome is unknown since `unknownAgoMs`. */
async function workerInSync(label: string, unknownAgoMs: number) {
  const redis = createTestConnection();
  const prefix = uniquePrefix(label);
  closers.push(() => redis.disconnect(), () => deleteKeys(redis, prefix));
  const keys = createKeys(prefix);
  const words = createWorkerSettingsAnnouncer({ redis, keys, clock: systemClock, logger, quietHours: undefined, workerId: 'host-a:101:w1' });
  await words.start();
  closers.push(() => words.stop());
  const recorder = createCallMetricsRecorder({ redis, prefix, flushIntervalMs: 60_000, writerId: 'host-a:101:w1' });
  closers.push(() => recorder.close());
  recorder.startHeartbeat();
  await redis.hset(keys.chunk('c1'), 'state', 'unknown', 'attempt', '1');
  recorder.recordUnknownOutcome('c1', 1, Date.now() - unknownAgoMs);
  await recorder.flush();
  return { redis, prefix };
}

async function serverWith(redis: ReturnType<typeof createTestConnection>, prefix: string, clock: Clock) {
  const producerRedis = createProducerConnection();
  closers.push(() => producerRedis.disconnect());
  const producer = createProducer({ redis: producerRedis, prefix });
  closers.push(() => producer.close());
  const app = await buildServer({ redis, prefix, producer, logger, clock, insecure: true, checkResponses: true, settings: { qps: 50, reconcileSettleMs: SETTLE_MS } });
  closers.push(() => app.close());
  return app;
}

async function scrape(app: Awaited<ReturnType<typeof serverWith>>): Promise<(name: string) => number | undefined> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return (name) => {
    const line = res.body.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };
}

describe('a server whose clock is off the workers\' and Redis\'s', () => {
  it(`${OFF_MS / 1000} s ahead: /metrics still counts the worker that beats now and reads an unknown outcome 5 s old as 5 s old`, async () => {
    const { redis, prefix } = await workerInSync('ahead', 5000);
    const gauge = await scrape(await serverWith(redis, prefix, clockOff(OFF_MS)));
    // Read on the server's clock: no heartbeat and no live worker in the last minute (SmsqNoWorker
    // fires), and the unknown outcome past the settle window (SmsqUnknownOutcomesNotSettled fires).
    expect(gauge('smsq_metrics_writers')).toBe(1);
    expect(gauge('smsq_workers_live')).toBe(1);
    const age = gauge('smsq_unknown_outcome_oldest_age_seconds') ?? NaN;
    expect(age).toBeGreaterThanOrEqual(5);
    expect(age).toBeLessThan(SETTLE_MS / 1000);
  });

  it(`${OFF_MS / 1000} s ahead: /readyz counts the worker that beats now`, async () => {
    const { redis, prefix } = await workerInSync('ahead-ready', 0);
    const app = await serverWith(redis, prefix, clockOff(OFF_MS));
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', workers: 1 });
  });

  it(`${OFF_MS / 1000} s behind: /metrics reads an unknown outcome 60 s old as 60 s old, and no longer counts a worker that died 70 s ago`, async () => {
    const { redis, prefix } = await workerInSync('behind', 60_000);
    // A worker killed 70 s ago: its last beat stays in the set (only a clean stop takes it out).
    await redis.zadd(metricKeys(prefix).writers, Date.now() - 70_000, 'host-b:202:w2');
    const gauge = await scrape(await serverWith(redis, prefix, clockOff(-OFF_MS)));
    // Read on the server's clock: the age is 0 (the alert hidden) and the dead worker still counts.
    const age = gauge('smsq_unknown_outcome_oldest_age_seconds') ?? NaN;
    expect(age).toBeGreaterThanOrEqual(60);
    expect(age).toBeLessThan(70);
    expect(gauge('smsq_metrics_writers')).toBe(1);
  });
});
