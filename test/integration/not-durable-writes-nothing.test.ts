/**
 * A Redis smsq refuses for its durability settings (here: no AOF, under the default
 * SMSQ_DURABILITY=fsync) is left as it was found: every door that checks the account refuses before
 * its template look-up, which caches the answer and takes a pacer slot in Redis, and a worker
 * refused at start has opened no BullMQ queue (whose meta hash it would have written). A new user's
 * trial found `{smsq}:catalog:template:SMS_900000003` and `{smsq}:pacer` after `smsq campaign`, and
 * `{smsq}:calls:meta`, `{smsq}:housekeeping:meta` after `smsq worker`. Real redis-server, the CLI
 * in-process (runCli), a real `smsq server` port, the emulator through the real SDK.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';
import { runSmsqInProcess } from '../support/cli-run.js';

let server: PrivateRedis;
let redis: Redis;
let emulator: Emulator;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  server = await startPrivateRedis({ appendfsync: 'off' });
  redis = new Redis(server.url);
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  // SMSQ_PREFIX left out: the default `{smsq}`, as the trial ran.
  env = { REDIS_URL: server.url, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  dir = mkdtempSync(join(tmpdir(), 'smsq-not-durable-'));
  writeFileSync(join(dir, 'list.csv'), 'phone,name\n13800138000,Li\n13900139000,Wang\n');
  const batch = [{ phone: '13800138000', signName: N.sign, templateParam: { name: 'Li' } }, { phone: '13900139000', signName: N.sign, templateParam: { name: 'Wang' } }];
  writeFileSync(join(dir, 'batch.json'), JSON.stringify(batch));
});

afterEach(async () => {
  await redis.flushall();
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[], extra: Record<string, string> = {}) {
  return runSmsqInProcess(argv, { env: { ...env, ...extra } });
}

const NOT_DURABLE = /SMSQ_REDIS_NOT_DURABLE|appendonly is off/;
/** The refusal as the CLI, configured by the environment, says it: its variables, never a Node caller's `durability.mode`. */
const SAID_IN_VARIABLES = /Redis cannot keep SMSQ_DURABILITY=fsync: appendonly is off: .*\. Or, where losing acknowledged sends is acceptable \(development\): SMSQ_DURABILITY=none, under which/;

describe('a send command refused because Redis cannot keep SMSQ_DURABILITY', () => {
  const sign = ['--sign', N.sign];
  it.each([
    ['campaign --yes', ['campaign', '--file', 'LIST', ...sign, '--template', N.marketingTemplate, '--yes']],
    ['campaign --dry-run', ['campaign', '--file', 'LIST', ...sign, '--template', N.marketingTemplate, '--dry-run']],
    ['campaign --dry-run --json', ['campaign', '--file', 'LIST', ...sign, '--template', N.marketingTemplate, '--dry-run', '--json']],
    ['send --yes', ['send', '--phones', '13800138000', ...sign, '--template', N.verificationTemplate, '--param', '{"code":"1234"}', '--yes']],
    ['send --dry-run', ['send', '--phones', '13800138000', ...sign, '--template', N.verificationTemplate, '--param', '{"code":"1234"}', '--dry-run']],
    ['send-batch --yes', ['send-batch', '--file', 'BATCH', '--template', N.marketingTemplate, '--yes']],
    ['send-batch --dry-run', ['send-batch', '--file', 'BATCH', '--template', N.marketingTemplate, '--dry-run']],
  ])('%s: exit 3, and writes nothing to that Redis (no catalog cache, no pacer key)', async (_name, argv) => {
    const res = await cli(argv.map((a) => (a === 'LIST' ? join(dir, 'list.csv') : a === 'BATCH' ? join(dir, 'batch.json') : a)));
    expect(res.code, res.stderr).toBe(EXIT.dependency);
    expect(res.stderr).toMatch(NOT_DURABLE);
    expect(res.stderr).toMatch(SAID_IN_VARIABLES);
    expect(res.stderr).not.toContain('durability.mode');
    expect(await redis.keys('*')).toEqual([]);
  });
});

describe('`smsq server` on that Redis: each door refused, nothing written', () => {
  it('POST /v1/messages, /v1/batches and /v1/campaigns (JSON and a CSV upload) answer 503 SMSQ_REDIS_NOT_DURABLE and write no key', async () => {
    const stdout = collector();
    const stderr = collector();
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const done = runCli(['server', '--port', '0', '--host', '127.0.0.1', '--json', '--insecure'], { stdout, stderr, env, waitForShutdown: () => stopped });
    try {
      const { url } = await Promise.race([
        waitFor(() => (stdout.text.includes('\n') ? (JSON.parse(stdout.text.split('\n')[0]!) as { url: string }) : undefined), 'the server address'),
        done.then((code) => {
          throw new Error(`smsq server exited with ${code}: ${stderr.text}`);
        }),
      ]);
      const json = { 'content-type': 'application/json' };
      const doors: [string, RequestInit][] = [
        ['/v1/messages', { method: 'POST', headers: json, body: JSON.stringify({ phones: ['13800138000'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' } }) }],
        ['/v1/batches', { method: 'POST', headers: json, body: JSON.stringify({ templateCode: N.marketingTemplate, messages: [{ phone: '13800138000', signName: N.sign, templateParam: { name: 'Li' } }] }) }],
        ['/v1/campaigns', { method: 'POST', headers: json, body: JSON.stringify({ signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13800138000', params: { name: 'Li' } }] }) }],
        [`/v1/campaigns?signName=${encodeURIComponent(N.sign)}&templateCode=${N.marketingTemplate}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'phone,name\n13800138000,Li\n' }],
      ];
      for (const [path, init] of doors) {
        const res = await fetch(`${url}${path}`, init);
        const body = (await res.json()) as { error?: { code?: string } };
        expect({ path, status: res.status, code: body.error?.code }).toEqual({ path, status: 503, code: 'SMSQ_REDIS_NOT_DURABLE' });
        expect(await redis.keys('*'), path).toEqual([]);
      }
    } finally {
      stop('SIGTERM');
      await done;
    }
    expect(await redis.keys('*')).toEqual([]);
  });
});

describe('a worker refused at start because Redis cannot keep SMSQ_DURABILITY', () => {
  it('`smsq worker`: exit 3, and writes nothing (no BullMQ queue meta, no heartbeat)', async () => {
    const res = await cli(['worker']);
    expect(res.code, res.stderr).toBe(EXIT.dependency);
    expect(res.stderr).toMatch(NOT_DURABLE);
    expect(res.stderr).toMatch(SAID_IN_VARIABLES);
    expect(res.stderr).not.toContain('durability.mode');
    // A heartbeat or a late meta write would come within a second or so.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await redis.keys('*')).toEqual([]);
  });

  it('createSmsWorker(...).start() (the README\'s worker): rejects with SMSQ_REDIS_NOT_DURABLE, and writes nothing', async () => {
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const client = createSmsClient({ endpoint: env.SMS_ENDPOINT!, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const worker = createSmsWorker({ connection, client, logger: createLogger({ level: 'silent' }), qps: 50, readTimeoutMs: 1000 });
    try {
      await expect(worker.start()).rejects.toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
      await new Promise((r) => setTimeout(r, 500));
      expect(await redis.keys('*')).toEqual([]);
    } finally {
      await worker.close();
      connection.disconnect();
    }
    expect(await redis.keys('*')).toEqual([]);
  });

  it('a worker given a metrics recorder (as `smsq worker` gives it one) writes no heartbeat before its start passes the check, however long it waits to start or to be refused', async () => {
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const client = createSmsClient({ endpoint: env.SMS_ENDPOINT!, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    // Flushing every 10 ms: the first flush comes long before the refusal (at 1 s in `smsq worker`, a refusal slower than that).
    const metrics = createCallMetricsRecorder({ redis: connection, prefix: '{smsq}', flushIntervalMs: 10 });
    const worker = createSmsWorker({ connection, client, logger: createLogger({ level: 'silent' }), qps: 50, readTimeoutMs: 1000, metrics });
    try {
      await new Promise((r) => setTimeout(r, 100));
      await expect(worker.start()).rejects.toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
      await new Promise((r) => setTimeout(r, 100));
      expect(await redis.keys('*')).toEqual([]);
    } finally {
      await worker.close();
      await metrics.close();
      connection.disconnect();
    }
  });

  it('a worker that starts writes its queues\' meta once Redis keeps the mode (the start writes it, no longer the queues as they open)', async () => {
    await redis.config('SET', 'appendonly', 'yes');
    await redis.config('SET', 'appendfsync', 'always');
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const client = createSmsClient({ endpoint: env.SMS_ENDPOINT!, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const worker = createSmsWorker({ connection, client, logger: createLogger({ level: 'silent' }), qps: 50, readTimeoutMs: 1000 });
    try {
      // The AOF is written in the background at first: the check refuses until it is done.
      await waitFor(async () => (await redis.info('persistence')).includes('aof_rewrite_in_progress:0') && (await redis.info('persistence')).includes('aof_enabled:1'), 'the AOF to be on');
      await worker.start();
      for (const queue of ['calls', 'housekeeping']) {
        expect(await redis.hget(`{smsq}:${queue}:meta`, 'version'), queue).toMatch(/^bullmq:\d/);
        expect(await redis.hget(`{smsq}:${queue}:meta`, 'opts.maxLenEvents'), queue).toBe('10000');
      }
    } finally {
      await worker.close();
      connection.disconnect();
      await redis.config('SET', 'appendonly', 'no');
    }
  });
});
