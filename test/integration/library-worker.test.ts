/**
 * The worker a library user builds (`createSmsWorker` from `smsq/worker`, and only the package's
 * entry points) against what `smsq worker` does: the product's quiet hours by default, the same
 * call metrics, one line each way through a Redis outage, a start that waits for Redis and that
 * close() can stop, and a close that does not wait for a Redis that is down when nothing is in hand.
 * Real workers (in this process, or in a child for "the process ends by itself"), the emulator,
 * private redis-servers stopped and started for real.
 */
import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, createRedisConnection, type Clock, type Producer, type RedisConnection } from '../../exports/index.js';
import { createCallMetricsRecorder, createLogger, createSmsClient, createSmsWorker, type SmsWorker, type SmsWorkerOptions } from '../../exports/worker.js';
import { buildServer } from '../../exports/server.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, SANDBOX_ACCESS_KEY, type Emulator } from '../../exports/emulator.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { testRedisUrl, uniquePrefix, deleteKeys } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { spawnSmsq } from '../support/cli-process.js';
import type { LibraryChildConfig } from '../support/library-worker-child.js';
import { builtFile } from '../support/test-build.js';

const MKT = { signName: N.sign, templateCode: N.marketingTemplate, kind: 'marketing' as const };
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4711' }, kind: 'verification' as const };
const NO_DURABILITY = { mode: 'none' } as const;

/** A clock at a chosen China-time instant, moved on by real time. */
function clockAt(cstIso: string): Clock {
  const offset = Date.parse(`${cstIso}+08:00`) - Date.now();
  return { now: () => Date.now() + offset };
}

/** Log lines a logger wrote, parsed. */
function logCollector(): { lines: { level: number; msg: string; component?: string }[]; destination: { write(line: string): void } } {
  const lines: { level: number; msg: string; component?: string }[] = [];
  return { lines, destination: { write: (line) => void lines.push(JSON.parse(line) as { level: number; msg: string }) } };
}

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Setup {
  emulator: Emulator;
  endpoint: string;
  redis: RedisConnection;
  prefix: string;
  producer: Producer;
  worker(over?: Partial<SmsWorkerOptions>): SmsWorker;
}

/** As a library user sets it up: emulator, a producer, and workers built from `smsq/worker`. */
async function setUp(opts: { clock?: Clock; redisUrl?: string; label: string }): Promise<Setup> {
  const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 }, ...(opts.clock ? { clock: opts.clock } : {}) });
  const { endpoint } = await emulator.listen();
  closers.push(() => emulator.close());
  const url = opts.redisUrl ?? testRedisUrl();
  const redis = createRedisConnection(url, { role: 'client' });
  const prefix = uniquePrefix(opts.label);
  const producer = createProducer({ redis, prefix, clock: opts.clock, durability: NO_DURABILITY });
  closers.push(async () => {
    await producer.close();
    if (redis.status === 'ready') await deleteKeys(redis, prefix);
    redis.disconnect();
  });
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  return {
    emulator,
    endpoint,
    redis,
    prefix,
    producer,
    worker(over = {}) {
      const connection = createRedisConnection(url, { role: 'worker' });
      const worker = createSmsWorker({ connection, client, logger: createLogger({ level: 'silent' }), prefix, qps: 200, readTimeoutMs: 1000, durability: NO_DURABILITY, repair: null, ...(opts.clock ? { clock: opts.clock } : {}), ...over });
      closers.push(async () => {
        await worker.closeWithin(10_000);
        connection.disconnect();
      });
      return worker;
    },
  };
}

async function* twoRecipients(base: string) {
  yield { phone: `${base}0`, params: { name: 'Li' } };
  yield { phone: `${base}1`, params: { name: 'Wang' } };
}

describe('a worker built with the library', () => {
  it('holds marketing through the default quiet hours (21:00-08:00 China time): at 23:30 the campaign waits, a code goes out', async () => {
    const clock = clockAt('2026-12-05T23:30:00');
    const s = await setUp({ clock, label: 'lib-quiet' });
    await s.worker().start(); // as the docs show it: no quietHours given
    const campaign = await s.producer.campaign(twoRecipients('1380013880'), MKT);
    const code = await s.producer.send({ ...CODE, phones: ['13800138899'] });
    const calls = new Queue(CALLS_QUEUE, { connection: s.redis, prefix: s.prefix });
    closers.push(() => calls.close());
    const marketingSent = () => s.emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p.startsWith('1380013880'));
    // The worker took the campaign's job: parked (delayed) until the window opens, or sent.
    await waitFor(async () => marketingSent().length > 0 || (await calls.getDelayedCount()) > 0, 'the worker to take the campaign');
    await waitFor(async () => (await s.producer.getStatus(code.sendId)).counts.accepted === 1, 'the code at 23:30');
    expect(marketingSent()).toEqual([]);
    const status = await s.producer.getStatus(campaign.sendId);
    expect(status.counts.queued).toBe(2);
    expect(status.wait).toEqual({ reason: 'quiet-hours', until: Date.parse('2026-12-06T08:00:00+08:00') });
  });

  it('sends marketing at 23:30 with quietHours: null (SMSQ_QUIET_HOURS=off)', async () => {
    const clock = clockAt('2026-12-05T23:30:00');
    const s = await setUp({ clock, label: 'lib-quiet-off' });
    await s.worker({ quietHours: null }).start();
    const campaign = await s.producer.campaign(twoRecipients('1380013881'), MKT);
    await waitFor(async () => (await s.producer.getStatus(campaign.sendId)).counts.accepted === 2, 'the campaign at 23:30 without quiet hours');
  });

  it('smsq worker keeps SMSQ_QUIET_HOURS: off is none, unset is the default (as its workers tell status)', async () => {
    const s = await setUp({ label: 'lib-quiet-cli' });
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: s.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: s.endpoint, LOG_LEVEL: 'info', SMSQ_DURABILITY: 'none' };
    const workers = [spawnSmsq(['worker'], { ...env, SMSQ_QUIET_HOURS: 'off' }), spawnSmsq(['worker'], env)];
    closers.push(() => workers.forEach((w) => w.child.kill('SIGKILL')));
    const said = await waitFor(async () => {
      const members = await s.redis.zrange(`${s.prefix}:workers:settings`, 0, -1);
      return members.length === 2 ? members.map((m) => m.slice(m.lastIndexOf('|') + 1)).sort() : undefined;
    }, 'both workers to say their quiet hours', 30_000);
    expect(said).toEqual(['21:00-08:00', 'off']);
  }, 60_000);

  it("records the calls smsq worker records, for /metrics: createCallMetricsRecorder from smsq/worker", async () => {
    const s = await setUp({ label: 'lib-metrics' });
    const metrics = createCallMetricsRecorder({ redis: s.redis, prefix: s.prefix });
    closers.push(() => metrics.close());
    await s.worker({ metrics }).start();
    const code = await s.producer.send({ ...CODE, phones: ['13800138898'] });
    await waitFor(async () => (await s.producer.getStatus(code.sendId)).counts.accepted === 1, 'the code');
    await metrics.flush();
    const app = await buildServer({ redis: s.redis, prefix: s.prefix, producer: s.producer, logger: createLogger({ level: 'silent' }), insecure: true });
    closers.push(() => app.close());
    const scrape = await app.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toMatch(/^smsq_api_calls_total\{operation="SendSms",outcome="accepted"\} 1$/m);
    expect(scrape.body).toMatch(/^smsq_metrics_writers 1$/m);
  });
});

describe('a library worker and Redis', () => {
  let redis: PrivateRedis | undefined;
  /** A private redis-server the test stops and starts; stopped after everything else closed. */
  async function privateRedis(): Promise<PrivateRedis> {
    closers.push(async () => {
      await redis?.stop();
      redis = undefined;
    });
    return startPrivateRedis();
  }

  it('start() while Redis is down says so in one line, waits, and starts when Redis is back; an outage while running: one line each way', async () => {
    redis = await privateRedis();
    const { port, url } = redis;
    const s = await setUp({ redisUrl: url, label: 'lib-outage' });
    await redis.stop();
    const log = logCollector();
    const worker = s.worker({ logger: createLogger({ level: 'info' }, log.destination) });
    let started = false;
    const starting = worker.start().then(() => (started = true));
    const down = () => log.lines.filter((l) => /does not answer; retrying with back-off/.test(l.msg)).length;
    const back = () => log.lines.filter((l) => /answers again; resuming/.test(l.msg)).length;
    await waitFor(() => down() === 1, 'the line saying Redis does not answer');
    expect(started).toBe(false);
    redis = await startPrivateRedis({ port });
    await starting;
    expect(back()).toBe(1);

    // An outage under the running worker.
    await redis.stop();
    await waitFor(() => down() === 2, 'the line saying Redis went away');
    redis = await startPrivateRedis({ port });
    await waitFor(() => back() === 2, 'the line saying Redis is back');
    const code = await waitFor(() => s.producer.send({ ...CODE, phones: ['13800138897'] }), 'the producer to enqueue again');
    await waitFor(async () => (await s.producer.getStatus(code.sendId)).counts.accepted === 1, 'the code after the outage');
    expect([down(), back()]).toEqual([2, 2]);
    expect(log.lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 60_000);

  it('with nothing in hand and Redis down, close() stops at once (not after the grace) and the process ends by itself', async () => {
    redis = await privateRedis();
    const child = await runChild({ mode: 'close-on-stdin', redisUrl: redis.url, graceMs: 20_000 });
    await waitFor(() => child.events().some((e) => e.event === 'started'), 'the worker to start', 20_000);
    await redis.stop();
    await waitFor(() => /does not answer; retrying with back-off/.test(child.stderr()), 'the worker to say Redis went away', 20_000);
    child.closeNow();
    expect(await child.exited).toBe(0);
    expect(child.events()).toEqual([{ event: 'start-settled', outcome: 'resolved' }, { event: 'started' }, { event: 'closed', inTime: true }, { event: 'disconnected' }]);
    expect(child.stderr()).toMatch(/Redis does not answer and no job is in hand: stopped without waiting for it/);
  }, 60_000);

  it('with a job in hand and Redis down, close() waits for Redis to record its outcome (the grace decides)', async () => {
    redis = await privateRedis();
    const { port, url } = redis;
    const s = await setUp({ redisUrl: url, label: 'lib-inhand' });
    // The call is accepted and its answer held back: the job is in hand until its outcome is written.
    s.emulator.addFault({ kind: 'lost-answer', delayMs: 60_000 });
    const worker = s.worker();
    await worker.start();
    await s.producer.send({ ...CODE, phones: ['13800138895'] });
    await waitFor(() => s.emulator.calls().some((c) => c.action === 'SendSms'), 'the call to reach Dysmsapi');
    await redis.stop();
    expect(await worker.closeWithin(1500)).toBe(false);
    redis = await startPrivateRedis({ port });
  }, 60_000);

  it('with a job in hand and Redis down, close() waits for Redis: once it is back the outcome is recorded and close() completes', async () => {
    // Killed and started again with its data, as a Redis that restarts does.
    const server = await startCrashableRedis({ appendfsync: 'always' });
    closers.push(() => server.stop());
    const s = await setUp({ redisUrl: server.url, label: 'lib-inhand-back' });
    // Accepted, its answer held back 800 ms: it comes while Redis is down, and its outcome waits for Redis.
    s.emulator.addFault({ kind: 'lost-answer', delayMs: 800 });
    const worker = s.worker();
    await worker.start();
    const code = await s.producer.send({ ...CODE, phones: ['13800138894'] });
    await waitFor(() => s.emulator.calls().some((c) => c.action === 'SendSms'), 'the call to reach Dysmsapi');
    await server.kill();
    let closed = false;
    const closing = worker.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(closed).toBe(false);
    await server.start();
    // Before, BullMQ's graceful close waited for an `end` that its blocking connection, dropped
    // while it waited to reconnect, never gave (redis/ioredis#2169): close() never resolved.
    await waitFor(() => closed, 'close() to complete once Redis is back', 15_000);
    await closing;
    expect((await s.producer.getStatus(code.sendId)).counts.accepted).toBe(1);
  }, 60_000);

  it('with a job in hand and Redis down, when the grace runs out and the connection is dropped, the process ends by itself', async () => {
    redis = await privateRedis();
    const emulator = createEmulator({ delivery: { delayMs: 0, failureRatio: 0 } });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    emulator.addFault({ kind: 'lost-answer', delayMs: 60_000 });
    const prefix = uniquePrefix('lib-child-inhand');
    const child = await runChild({ mode: 'close-on-stdin', redisUrl: redis.url, prefix, endpoint, graceMs: 1500 });
    await waitFor(() => child.events().some((e) => e.event === 'started'), 'the worker to start', 20_000);
    const producerRedis = createRedisConnection(redis.url, { role: 'client' });
    const producer = createProducer({ redis: producerRedis, prefix, durability: NO_DURABILITY });
    await producer.send({ ...CODE, phones: ['13800138893'] });
    await producer.close();
    producerRedis.disconnect();
    await waitFor(() => emulator.calls().some((c) => c.action === 'SendSms'), 'the call to reach Dysmsapi', 20_000);
    await redis.stop();
    await waitFor(() => /does not answer; retrying with back-off/.test(child.stderr()), 'the worker to say Redis went away', 20_000);
    child.closeNow();
    // Before: 'alive', held by BullMQ's stalled-job checker and lock renewal timers, its graceful
    // close waiting for writes the dropped connection neither ran nor failed.
    expect(await child.exited).toBe(0);
    expect(child.events()).toEqual([{ event: 'start-settled', outcome: 'resolved' }, { event: 'started' }, { event: 'closed', inTime: false }, { event: 'disconnected' }]);
  }, 90_000);

  it('close() during start(): start settles first, no job is taken, nothing is left running', async () => {
    const s = await setUp({ label: 'lib-startclose' });
    // A code waits in the queue: a worker that took it after close() would send it.
    const code = await s.producer.send({ ...CODE, phones: ['13800138896'] });
    const child = await runChild({ mode: 'close-during-start', redisUrl: testRedisUrl(), prefix: s.prefix, endpoint: s.endpoint, graceMs: 20_000 });
    expect(await child.exited, child.stderr()).toBe(0);
    expect(child.events()).toEqual([{ event: 'start-settled', outcome: 'resolved' }, { event: 'closed', inTime: true }, { event: 'disconnected' }]);
    expect(child.stderr()).not.toMatch(/account re-check failed|Connection is closed/);
    expect((await s.producer.getStatus(code.sendId)).counts.queued).toBe(1);
    expect(s.emulator.calls()).toEqual([]);
  }, 60_000);

  it('close() a little after start(), wherever the start then is: start settles first and the process ends by itself', async () => {
    const children = await Promise.all([5, 20, 60].map((closeAfterMs) => runChild({ mode: 'close-during-start', closeAfterMs })));
    for (const child of children) {
      expect(await child.exited, child.stderr()).toBe(0);
      expect(child.events()).toEqual([{ event: 'start-settled', outcome: 'resolved' }, { event: 'closed', inTime: true }, { event: 'disconnected' }]);
      expect(child.stderr()).not.toMatch(/account re-check failed|Connection is closed/);
    }
  }, 90_000);
});

describe('a library worker whose SMS client is still loading the Alibaba SDK', () => {
  it('claims no job before its client can call: the load is awaited at start, not between a claim (and its pacer slot) and the call', async () => {
    const s = await setUp({ label: 'lib-sdk-load' });
    const sent = await s.producer.send({ ...CODE, phones: ['13800138124'] });
    const child = await runChild({ endpoint: s.endpoint, prefix: s.prefix, sdkDelayMs: 2500 });
    await waitFor(async () => (await s.producer.getStatus(sent.sendId))?.counts.accepted === 1, 'the code accepted', 30_000);
    const claimedAt = Number(await s.redis.hget(createKeys(s.prefix).chunk(`${sent.sendId}.0`), 'sentAt'));
    const call = s.emulator.calls().find((c) => c.action === 'SendSms');
    // Before: claimed at once, called once the SDK had loaded, 2.5 s after its slot.
    expect(call!.at - claimedAt).toBeLessThan(1000);
    expect(child.events().map((e) => e.event)).toContain('started');
    child.closeNow();
    expect(await child.exited).toBe(0);
  }, 60_000);
});

/**
 * test/support/library-worker-child.ts in a process of its own. `exited` is its exit code, or
 * 'alive' when it is still running 20 s after it said it disconnected (something kept it alive).
 */
async function runChild(over: Partial<LibraryChildConfig>) {
  const cfg: LibraryChildConfig = {
    mode: 'close-on-stdin',
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix('lib-child'),
    endpoint: '127.0.0.1:9',
    accessKeyId: SANDBOX_ACCESS_KEY.accessKeyId,
    accessKeySecret: SANDBOX_ACCESS_KEY.accessKeySecret,
    graceMs: 20_000,
    ...over,
  };
  const slowSdk = cfg.sdkDelayMs ? ['--import', './test/support/slow-sdk-hook.mjs'] : [];
  const child = spawn(process.execPath, [...slowSdk, builtFile('test/support/library-worker-child.ts'), JSON.stringify(cfg)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TEST_SDK_DELAY_MS: String(cfg.sdkDelayMs ?? 0) },
  });
  closers.push(() => (child.exitCode === null && child.signalCode === null ? child.kill('SIGKILL') : undefined));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const events = () => stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { event: string });
  const exited = (async () => {
    await Promise.race([ended, waitFor(() => events().some((e) => e.event === 'disconnected'), 'the child to close its worker', 40_000)]);
    const alive = new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 20_000).unref());
    return Promise.race([ended, alive]);
  })();
  return {
    events,
    stderr: () => stderr,
    closeNow: () => child.stdin.write('close\n'),
    exited,
  };
}
