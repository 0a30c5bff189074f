/**
 * A worker that holds its claims because Redis stopped keeping the durability mode says so where
 * an operator looks: `smsq status` (text and --json), GET /v1/sends/:id and the server's /metrics,
 * against a real redis-server whose appendfsync is changed under a running worker (CONFIG SET), a
 * real `smsq server` (runCli, a real port) and the emulator through the real SDK. It stops saying
 * so once Redis keeps the mode again, once the worker closes, and a worker gone without a word
 * is not counted after a minute.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createProducer } from '../../producers/producer.js';
import { createManualClock } from '../../src/clock.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createSmsClient } from '../../src/sms/client.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { createDurabilityHoldAnnouncer, durabilityHoldMember } from '../../src/queue/durability-holds.js';
import { createKeys } from '../../src/queue/keys.js';
import { FAST_TIMING } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';
import { createProducerConnection } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const silent = createLogger({ level: 'silent' });
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const EVERYSEC = /Redis cannot keep SMSQ_DURABILITY=fsync: appendfsync is everysec: .*Fix: CONFIG SET appendfsync always/;

async function setUp(prefix: string) {
  const server = await startPrivateRedis({ appendfsync: 'always' });
  closers.push(() => server.stop());
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  closers.push(() => void redis.disconnect());
  const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 } });
  const { endpoint } = await emulator.listen();
  closers.push(() => emulator.close());
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const env = { REDIS_URL: server.url, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
  // Writes while Redis does not keep the mode: a producer that does not check (as one of an earlier version).
  const producerRedis = createProducerConnection(server.url);
  closers.push(() => void producerRedis.disconnect());
  const relaxed = createProducer({ redis: producerRedis, prefix, logger: silent, durability: { mode: 'none' } });
  closers.push(() => relaxed.close());
  return { server, redis, producerRedis, emulator, client, env, relaxed };
}

/** `smsq <argv>` in-process against `env`: its exit code and output. */
async function cli(env: Record<string, string>, argv: string[]) {
  return runSmsqInProcess(argv, { env });
}

/** `smsq server` on a real port, stopped after the test. */
async function startServer(env: Record<string, string>): Promise<string> {
  const stdout = collector();
  const stderr = collector();
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const done = runCli(['server', '--port', '0', '--host', '127.0.0.1', '--json', '--insecure'], { stdout, stderr, env, waitForShutdown: () => stopped });
  closers.push(async () => {
    stop('SIGTERM');
    await done;
  });
  const { url } = await Promise.race([
    waitFor(() => (stdout.text.includes('\n') ? (JSON.parse(stdout.text.split('\n')[0]!) as { url: string }) : undefined), 'the server address'),
    done.then((code) => {
      throw new Error(`smsq server exited with ${code}: ${stderr.text}`);
    }),
  ]);
  return url;
}

/** The value of one series in a /metrics scrape (undefined when it is not exported). */
async function scrapeSample(url: string, series: string): Promise<number | undefined> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const request = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });

describe('a worker held for durability says so', () => {
  it('in smsq status (text, --json), GET /v1/sends/:id and /metrics while appendfsync is everysec, and no longer once it is always again', async () => {
    const prefix = '{smsq-held}';
    const { redis, emulator, client, env, relaxed } = await setUp(prefix);
    const url = await startServer(env);
    const lines: string[] = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const worker = createSmsWorker({ connection: redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 4, durabilityRecheckMs: 100, ...FAST_TIMING });
    closers.push(() => worker.close());
    await worker.start();
    expect(await scrapeSample(url, 'smsq_workers_durability_held')).toBe(0);

    await redis.config('SET', 'appendfsync', 'everysec');
    await waitFor(() => lines.some((l) => l.includes('appendfsync is everysec')), 'the worker to hold its claims', 5000);
    const held = await relaxed.send(request('13900000071'));
    await new Promise((r) => setTimeout(r, 500));
    expect(emulator.calls()).toHaveLength(0);

    const status = await cli(env, ['status', held.sendId]);
    expect(status.code, status.stderr).toBe(0);
    const waiting = status.stdout.split('\n').find((l) => /^\s*waiting\b/.test(l));
    expect(waiting).toMatch(/1 worker makes no new call until Redis keeps the durability mode again \(jobs wait, nothing is lost\): /);
    expect(waiting).toMatch(EVERYSEC);

    const json = await cli(env, ['status', held.sendId, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const jsonWait = (JSON.parse(json.stdout) as { wait?: { reason: string; workers: number; refusals: string[] } }).wait;
    expect(jsonWait).toMatchObject({ reason: 'durability-held', workers: 1 });
    expect(jsonWait?.refusals).toHaveLength(1);
    expect(jsonWait?.refusals[0]).toMatch(EVERYSEC);

    const rest = await fetch(`${url}/v1/sends/${held.sendId}`);
    expect(rest.status).toBe(200);
    const restWait = ((await rest.json()) as { wait?: { reason: string; workers: number; refusals: string[] } }).wait;
    expect(restWait).toEqual(jsonWait);
    // A Node caller's own status names its option, as the worker's refusal did (it said SMSQ_DURABILITY=fsync to all).
    const nodeWait = (await relaxed.getStatus(held.sendId)).wait;
    expect(nodeWait).toMatchObject({ reason: 'durability-held', refusals: [expect.stringMatching(/^Redis cannot keep `durability\.mode: "fsync"`: appendfsync is everysec: /)] });
    expect(JSON.stringify(nodeWait)).not.toContain('SMSQ_DURABILITY');

    expect(await scrapeSample(url, 'smsq_workers_durability_held')).toBe(1);

    await redis.config('SET', 'appendfsync', 'always');
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).counts.accepted === 1, 'the held send to go out once Redis keeps the mode again', 10_000);
    expect(await scrapeSample(url, 'smsq_workers_durability_held')).toBe(0);
    const after = await cli(env, ['status', held.sendId]);
    expect(after.stdout).not.toMatch(/durability/);
    const afterRest = (await (await fetch(`${url}/v1/sends/${held.sendId}`)).json()) as { wait?: { reason: string } };
    expect(afterRest.wait?.reason).not.toBe('durability-held');
  }, 40_000);

  it('is not counted from a worker silent for a minute, and is taken back when the worker closes', async () => {
    const prefix = '{smsq-held-close}';
    const { redis, client, relaxed } = await setUp(prefix);
    const worker = createSmsWorker({ connection: redis, client, logger: silent, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 4, durabilityRecheckMs: 100, ...FAST_TIMING });
    closers.push(() => worker.close());
    await worker.start();
    await redis.config('SET', 'appendfsync', 'everysec');
    // Sent once the worker holds: before its next check it would still take the job.
    await waitFor(async () => (await redis.zcard(`${prefix}:workers:durability-held`)) === 1, 'the worker to say it holds', 5000);
    const held = await relaxed.send(request('13900000072'));
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).wait?.reason === 'durability-held', 'status to name the hold', 5000);

    await worker.close();
    expect((await relaxed.getStatus(held.sendId)).wait?.reason).not.toBe('durability-held');
    expect(await redis.keys(`${prefix}:workers:durability*`)).toEqual([]);

    // What a worker that died while held left behind: its word, counted while under a minute old
    // on Redis's time (this host's clock is that Redis's), not past it.
    const dead = durabilityHoldMember('host-gone:404:dead', 'appendfsync is everysec');
    await redis.zadd(`${prefix}:workers:durability-held`, Date.now() - 50_000, dead);
    expect((await relaxed.getStatus(held.sendId)).wait?.reason).toBe('durability-held');
    await redis.zadd(`${prefix}:workers:durability-held`, Date.now() - 61_000, dead);
    expect((await relaxed.getStatus(held.sendId)).wait?.reason).not.toBe('durability-held');
  }, 30_000);

  it('is said again while it lasts, replaced when its reason changes, and taken back when it ends', async () => {
    const prefix = '{smsq-held-word}';
    const { redis } = await setUp(prefix);
    const clock = createManualClock(Date.now());
    const key = createKeys(prefix).workerDurabilityHolds();
    const holds = createDurabilityHoldAnnouncer({ redis, keys: createKeys(prefix), clock, logger: silent, refreshMs: 20 });
    closers.push(() => holds.stop());
    const scores = async () => (await redis.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);

    await holds.say('appendfsync is everysec');
    expect(await redis.zrange(key, 0, -1)).toEqual([expect.stringMatching(/^[^|]+:\d+:[0-9a-f]{6}\|appendfsync is everysec$/)]);
    clock.advance(30_000);
    await waitFor(async () => (await scores())[0] === clock.now(), 'the hold to be said again');

    await holds.say('no-appendfsync-on-rewrite is yes');
    expect(await redis.zrange(key, 0, -1)).toEqual([expect.stringMatching(/\|no-appendfsync-on-rewrite is yes$/)]);
    await holds.say(undefined);
    expect(await redis.exists(key)).toBe(0);
    // Not said again once it ended.
    await new Promise((r) => setTimeout(r, 100));
    expect(await redis.exists(key)).toBe(0);

    await holds.say('appendfsync is everysec');
    await holds.stop();
    expect(await redis.exists(key)).toBe(0);
    await holds.say('appendfsync is no');
    expect(await redis.exists(key)).toBe(0);
  });
});
