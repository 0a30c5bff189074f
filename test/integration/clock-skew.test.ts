/**
 * A worker measures its clock against Redis's TIME (src/queue/clock-skew-check.ts), against the
 * suite's real Redis with a clock set 30 s behind: one warning however often it measures, the skew
 * on /metrics (smsq_worker_clock_skew_seconds, read from Redis by the server's renderer, prom-client)
 * and on /readyz's warnings; back in sync, one line and the gauge near 0. And a real worker given such a clock says it at start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { createEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { readAlertState } from '../../src/metrics/alert-state.js';
import { clockSkewWarning, parseClockSkews } from '../../src/metrics/clock-skews.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { parseCallMetrics } from '../../src/metrics/metrics-snapshot.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';
import { createClockSkewCheck } from '../../src/queue/clock-skew-check.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { FAST_TIMING } from '../support/pipeline.js';
import { createProducerConnection, createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const redis = createTestConnection();
const closers: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  redis.disconnect();
});

/** The system clock moved by `offsetMs` (settable): a host whose clock is off. */
function skewedClock(offsetMs: number): Clock & { offsetMs: number } {
  return {
    offsetMs,
    now() {
      return Date.now() + this.offsetMs;
    },
  };
}

/** A logger whose lines are kept, parsed. */
function keptLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }), lines };
}

/** The first skew a text says (`12.3 s behind`), in seconds: below 0 behind. */
function secondsIn(text: string): number {
  const m = /(\d+\.\d) s (ahead of|behind)/.exec(text);
  if (!m) throw new Error(`no skew in ${text}`);
  return Number(m[1]) * (m[2] === 'behind' ? -1 : 1);
}

/** The gauge's sample for `worker` on a render of what the server reads from Redis. */
async function scrapedSkew(prefix: string, worker: string): Promise<number | undefined> {
  const text = await renderPrometheus({ queues: [], calls: parseCallMetrics({ calls: {}, latency: {}, waits: {}, recipients: {}, writers: 0 }), alerts: await readAlertState(redis, prefix, Date.now()) });
  const m = new RegExp(`^smsq_worker_clock_skew_seconds\\{worker="${worker}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('a worker clock 30 s behind Redis', () => {
  it('one warning over several measures, the gauge at about -30 s, /readyz warns; back in sync: one line, the gauge near 0; stopped: the series is gone', async () => {
    const prefix = uniquePrefix('skew');
    closers.push(() => deleteKeys(redis, prefix));
    const { logger, lines } = keptLogger();
    const clock = skewedClock(-30_000);
    const worker = 'host-a:101:skew';
    const check = createClockSkewCheck({ redis, prefix, clock, logger, workerId: worker, thresholdMs: 1000 });

    const first = await check.check();
    await check.check();
    await check.check();
    expect(Math.abs((first?.skewMs ?? 0) + 30_000)).toBeLessThan(1000);
    const warnings = lines.filter((l) => l.level === 40 && l.component === 'clock');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ thresholdMs: 1000 });
    expect(Math.abs((warnings[0]!.skewMs as number) + 30_000)).toBeLessThan(1000);
    // The tenth of a second the text shows depends on the round trip (its middle is taken): the
    // amount is checked on the numbers, the words on the text.
    expect(warnings[0]!.msg).toMatch(/^this worker's clock is \d+\.\d s behind Redis's \(SMSQ_CLOCK_SKEW_WARN_MS=.*\).*Fix: run NTP on this host/);
    expect(Math.abs(secondsIn(warnings[0]!.msg as string) + 30)).toBeLessThan(1);

    const gauge = await scrapedSkew(prefix, worker);
    expect(gauge).toBeDefined();
    expect(Math.abs(gauge! + 30)).toBeLessThan(1);
    // What /readyz reads (server/plugins/health.ts): the live workers' records.
    const records = parseClockSkews(await redis.hgetall(metricKeys(prefix).clockSkews), Date.now() - 60_000).records.map((r) => r.record);
    const said = clockSkewWarning(records);
    expect(said).toMatch(/^1 worker's clock is off Redis's by more than SMSQ_CLOCK_SKEW_WARN_MS \(the furthest \d+\.\d s behind Redis's\).*Fix: run NTP/);
    expect(Math.abs(secondsIn(said!) + 30)).toBeLessThan(1);

    clock.offsetMs = 0;
    await check.check();
    const back = lines.filter((l) => l.component === 'clock' && l.level === 30);
    expect(back).toHaveLength(1);
    expect(back[0]!.msg).toMatch(/^this worker's clock is back within SMSQ_CLOCK_SKEW_WARN_MS/);
    expect(Math.abs((await scrapedSkew(prefix, worker))!)).toBeLessThan(1);
    expect(clockSkewWarning(parseClockSkews(await redis.hgetall(metricKeys(prefix).clockSkews), Date.now() - 60_000).records.map((r) => r.record))).toBeUndefined();

    await check.stop();
    expect(await scrapedSkew(prefix, worker)).toBeUndefined();
  });

  it('a check in flight when the check stops does not write its record back after the stop took it away', async () => {
    const prefix = uniquePrefix('skew-stop');
    closers.push(() => deleteKeys(redis, prefix));
    const check = createClockSkewCheck({ redis, prefix, clock: skewedClock(-30_000), logger: createLogger({ level: 'silent' }), workerId: 'host-a:102:skew', thresholdMs: 1000 });
    // As a refresh that fires just before a worker closes: its TIME is on its way when the stop's
    // delete is sent, and its write would follow the delete.
    const inFlight = check.check();
    await check.stop();
    expect(await redis.hgetall(metricKeys(prefix).clockSkews)).toEqual({});
    await inFlight;
    expect(await redis.hgetall(metricKeys(prefix).clockSkews)).toEqual({});
    // Stopped, a late check (a timer that fired as the stop ran) writes nothing.
    expect(await check.check()).toBeUndefined();
    expect(await redis.hgetall(metricKeys(prefix).clockSkews)).toEqual({});
  });

  it('createSmsWorker given that clock says so once it starts, /readyz answers ready with the warning, and the worker takes its record back when it closes', async () => {
    const prefix = uniquePrefix('skew-worker');
    closers.push(() => deleteKeys(redis, prefix));
    const emulator = createEmulator({ delivery: { delayMs: 0 } });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const { logger, lines } = keptLogger();
    const worker = createSmsWorker({ connection: redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 2, clock: skewedClock(-30_000), clockSkewWarnMs: 5000, watchRedis: false, ...FAST_TIMING });
    closers.push(() => worker.close());
    await worker.start();
    const warning = lines.find((l) => l.level === 40 && l.component === 'clock');
    expect(warning, JSON.stringify(lines.map((l) => l.msg))).toMatchObject({ thresholdMs: 5000 });
    // The skew between two workers that its timing allows, from its own settings.
    expect(warning!.msg).toMatch(/settling window's margin \(SMSQ_RECONCILE_SETTLE_MS - call deadline - SMS timeouts, \d+(\.\d)? m?s with this worker's settings\)/);
    expect(Object.keys(await redis.hgetall(metricKeys(prefix).clockSkews))).toHaveLength(1);

    const producerRedis = createProducerConnection();
    closers.push(() => producerRedis.disconnect());
    const producer = createProducer({ redis: producerRedis, prefix });
    closers.push(() => producer.close());
    const app = await buildServer({ redis, prefix, producer, logger: createLogger({ level: 'silent' }), insecure: true, checkResponses: true });
    closers.push(() => app.close());
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', warnings: [expect.stringMatching(/^1 worker's clock is off Redis's by more than SMSQ_CLOCK_SKEW_WARN_MS \(the furthest \d+\.\d s behind Redis's\)/)] });
    expect(Math.abs(secondsIn((ready.json() as { warnings: string[] }).warnings[0]!) + 30)).toBeLessThan(1);

    await worker.close();
    expect(await redis.hgetall(metricKeys(prefix).clockSkews)).toEqual({});
  }, 30_000);

  it('a warning threshold that would never warn (NaN) or always warn (negative) is refused when the worker is built, as SMSQ_CLOCK_SKEW_WARN_MS is', () => {
    const client = createSmsClient({ endpoint: '127.0.0.1:9', protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    for (const bad of [Number.NaN, -1, 0, 99, 3_600_001, Number.POSITIVE_INFINITY]) {
      expect(() => createSmsWorker({ connection: redis, client, logger: createLogger({ level: 'silent' }), prefix: uniquePrefix('skew-option'), qps: 50, readTimeoutMs: 1000, clockSkewWarnMs: bad }), String(bad)).toThrow(
        expect.objectContaining({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/clockSkewWarnMs must be a number of ms in 100\.\.3600000, got .*\. Fix: /) }),
      );
    }
  });
});

describe('/readyz and the clock-skew records, a worker 30 s behind', () => {
  const prefix = uniquePrefix('skew-ready');
  let worker: ReturnType<typeof createSmsWorker> | undefined;
  beforeAll(async () => {
    closers.push(() => deleteKeys(redis, prefix));
    const emulator = createEmulator({ delivery: { delayMs: 0 } });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    worker = createSmsWorker({ connection: redis, client, logger: createLogger({ level: 'silent' }), prefix, qps: 50, readTimeoutMs: 1000, concurrency: 1, clock: skewedClock(-30_000), clockSkewWarnMs: 5000, watchRedis: false, ...FAST_TIMING });
    closers.push(() => worker?.close());
    await worker.start();
  }, 30_000);

  async function readyz(serverClock: Clock) {
    const producerRedis = createProducerConnection();
    const producer = createProducer({ redis: producerRedis, prefix });
    const app = await buildServer({ redis, prefix, producer, logger: createLogger({ level: 'silent' }), insecure: true, checkResponses: true, clock: serverClock });
    try {
      return await app.inject({ method: 'GET', url: '/readyz' });
    } finally {
      await app.close();
      await producer.close();
      producerRedis.disconnect();
    }
  }

  it('a server whose clock is 2 min ahead still counts the record fresh (measured on Redis\'s clock) and warns', async () => {
    const ready = await readyz(skewedClock(120_000));
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', warnings: [expect.stringMatching(/^1 worker's clock is off Redis's by more than SMSQ_CLOCK_SKEW_WARN_MS/)] });
  });

  it('records that cannot be read (the key of another type: HGETALL answers WRONGTYPE) leave /readyz ready, without the warning', async () => {
    const key = metricKeys(prefix).clockSkews;
    await redis.del(key);
    await redis.set(key, 'not a hash');
    const ready = await readyz(skewedClock(0));
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', workers: 1 });
    expect(ready.headers['retry-after']).toBeUndefined();
  });
});
