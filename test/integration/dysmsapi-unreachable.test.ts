/**
 * A Dysmsapi endpoint that cannot be reached (nothing listens at SMS_ENDPOINT, its host name does
 * not resolve, it does not speak the protocol asked for) is a setup fault, not an API hiccup:
 *
 * - at the door, a request whose account look-up meets it is refused (the account check was skipped
 *   and the send enqueued, exit 0): the CLI exits 3 with one line naming SMS_ENDPOINT, its value and
 *   the fix, REST answers 503 in the same words, the library producer throws the SmsError it throws
 *   for the other "account cannot call" refusals (naming the client's `endpoint` option, as its
 *   caller gave it), and nothing is written to Redis; a signature and
 *   template in the shared cache are checked with no call, and the send goes ahead;
 * - a read-only command names SMS_ENDPOINT and the fix (it was told as the call cap, class
 *   `throttled`);
 * - https to an endpoint that speaks plain http says so and gives SMS_PROTOCOL=http.
 *
 * Throttled or timed-out look-ups are still skipped with a warning, as docs/sending.md says.
 * Everything goes through the real SDK, against the emulator or a port where nothing listens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { SmsError } from '../../src/sms/errors.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { collector } from '../support/text-collector.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const redis = createTestConnection();
const producerRedis = createProducerConnection();
const logger = createLogger({ level: 'silent' });
const TOKEN = 'unreachable-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PHONE = '13800138000';
/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
const SPAWNED_MS = 60_000;
const UNRESOLVED = 'nonexistent.invalid:8391';

let emulator: Emulator;
let endpoint: string;
/** 127.0.0.1 and a port nothing listens on (bound, then closed). */
let deadEndpoint: string;
const prefixes: string[] = [];
const children: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  ({ endpoint } = await emulator.listen());
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  deadEndpoint = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
  await new Promise((r) => srv.close(r));
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  for (const p of prefixes) await deleteKeys(redis, p);
  redis.disconnect();
  producerRedis.disconnect();
  await emulator.close();
});

function prefix(label: string): string {
  const p = uniquePrefix(label);
  prefixes.push(p);
  return p;
}

async function smsq(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnSmsq(args, { REDIS_URL: testRedisUrl(), SMS_MODE: 'sandbox', LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off', SMS_READ_TIMEOUT_MS: '2000', ...env });
  children.push(p);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** A producer checking the account against the emulator, uncached, its warnings kept as written. */
function warnedProducer(p: string, readTimeoutMs: number) {
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const warnings: string[] = [];
  const warned = createLogger({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const producer = createProducer({ redis: producerRedis, prefix: p, logger: warned, catalog: createCatalogLookup({ client, redis, prefix: p, qps: 500, ttlMs: 0 }) });
  return { producer, warnings, warned };
}

/** stderr lines that are not JSON log lines (what a person reads). */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

/** Keys a refused request may leave are the account's: the pacer's count of the look-up calls (as in door.test.ts). */
const keysOf = async (p: string) => (await redis.keys(`${p}*`)).filter((k) => !k.endsWith(':pacer')).sort();

/** The operator's trial: a rejected signature and a template under review, which the account check refuses when it runs. */
const SEND = ['send', '--phones', PHONE, '--sign', N.rejectedSign, '--template', N.reviewingTemplate, '--param', '{"time":"x"}'];

describe('the door, when the Dysmsapi endpoint cannot be reached: the request is refused, nothing written', () => {
  it.each([
    ['nothing listens at SMS_ENDPOINT', () => deadEndpoint, 'ConnectionRefused', /start the emulator|smsq emulator/],
    ['the host of SMS_ENDPOINT does not resolve', () => UNRESOLVED, 'HostNotFound', /DNS/],
  ])(
    '%s: smsq send (--dry-run, --yes) exits 3 with one line naming SMS_ENDPOINT, its value and the fix (it printed the plan and enqueued, exit 0)',
    async (_name, target, code, fix) => {
      const p = prefix('unreachable-cli');
      const env = { SMSQ_PREFIX: p, SMS_ENDPOINT: target() };
      for (const last of ['--dry-run', '--yes']) {
        const r = await smsq([...SEND, last], env);
        expect(r.code, r.stderr).toBe(EXIT.dependency);
        const lines = plainLines(r.stderr);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toContain(`error ${code}: `);
        expect(lines[0]).toContain(`SMS_ENDPOINT=${target()}`);
        expect(lines[0]).toMatch(/nothing was enqueued/);
        expect(lines[0]).toMatch(/Fix: .*correct SMS_ENDPOINT/i);
        expect(lines[0]).toMatch(fix);
        expect(r.stderr).not.toMatch(/skipped/);
        expect(r.stdout).not.toMatch(/template content unknown|send id/);
      }
      expect(await keysOf(p)).toEqual([]);
    },
    SPAWNED_MS * 2,
  );

  describe('the producer and REST', () => {
    let producer: Producer;
    let app: SmsqServer;
    let p: string;

    beforeAll(async () => {
      p = prefix('unreachable-door');
      const client = createSmsClient({ endpoint: deadEndpoint, protocol: 'http', readTimeoutMs: 2000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
      producer = createProducer({ redis: producerRedis, prefix: p, logger, catalog: createCatalogLookup({ client, redis, prefix: p, qps: 500 }) });
      app = await buildServer({ checkResponses: true, redis, prefix: p, producer, logger, apiToken: TOKEN, dashboard: { token: 'unreachable-dashboard-token-0123456789' } });
    });

    afterAll(async () => {
      await app.close();
      await producer.close();
    });

    it('producer.send throws the SmsError of the look-up, class account, naming the endpoint as the client option it was given (`endpoint: "…"`); nothing written', async () => {
      const err = await producer.send({ phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SmsError);
      expect(err).toMatchObject({ code: 'ConnectionRefused', errorClass: 'account' });
      expect((err as SmsError).message).toContain(`\`endpoint: "${deadEndpoint}"\``);
      expect((err as SmsError).message).not.toContain('SMS_ENDPOINT');
      expect(await keysOf(p)).toEqual([]);
    });

    it('POST /v1/messages answers 503 naming SMS_ENDPOINT, its value and the fix; nothing written', async () => {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } } });
      expect(res.statusCode, res.body).toBe(503);
      const { message } = res.json().error as { message: string };
      expect(message).toContain(`SMS_ENDPOINT=${deadEndpoint}`);
      expect(message).toMatch(/nothing was enqueued\. Fix: .*correct SMS_ENDPOINT/i);
      expect(message).not.toMatch(/Dysmsapi refused/);
      expect(await keysOf(p)).toEqual([]);
    });
  });

  // The chaos probe (session 33): while Dysmsapi was down, each refused enqueue was logged by the
  // server at error level with its stack ("request failed"), as Redis refusals were before they
  // were said once a minute per kind: under load, a flood that buries the line that matters.
  it('smsq server says an unreachable endpoint once a minute per code (a warn line, no stack), not an error line per request', async () => {
    const p = prefix('unreachable-log');
    const client = createSmsClient({ endpoint: deadEndpoint, protocol: 'http', readTimeoutMs: 2000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const lines: { level: number; msg: string; code?: string; refusal?: string; heldBack?: number; err?: unknown }[] = [];
    const collecting = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const producer = createProducer({ redis: producerRedis, prefix: p, logger: collecting, catalog: createCatalogLookup({ client, redis, prefix: p, qps: 500, ttlMs: 0 }) });
    const app = await buildServer({ redis, prefix: p, producer, logger: collecting, apiToken: TOKEN, dashboard: { token: 'unreachable-dashboard-token-0123456789' } });
    try {
      for (let i = 0; i < 4; i++) {
        const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } } });
        expect(res.statusCode, res.body).toBe(503);
      }
      const loud = lines.filter((l) => l.level >= 40);
      expect(loud.map((l) => `${l.level} ${l.msg}`)).toEqual([expect.stringMatching(/^40 .*SMS_ENDPOINT=127\.0\.0\.1:\d+ was refused .*nothing was enqueued\. Fix: /)]);
      expect(loud[0]).toMatchObject({ code: 'SMSQ_NOT_READY', refusal: 'ConnectionRefused', heldBack: 0 });
      expect(JSON.stringify(loud[0])).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expect(await keysOf(p)).toEqual([]);
    } finally {
      await app.close();
      await producer.close();
    }
  });

  it('a signature and template in the shared catalog cache are checked from it: no call, so the door does not meet the endpoint, and the send is enqueued (docs/sending.md; a workers\' endpoint is not the door\'s to prove)', async () => {
    const p = prefix('unreachable-cached');
    const send = ['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"1234"}'];
    const run = async (args: string[], smsEndpoint: string) => {
      const stdout = collector();
      const stderr = collector();
      const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: p, SMS_MODE: 'sandbox', SMS_ENDPOINT: smsEndpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
      const code = await runCli(args, { stdout, stderr, env });
      return { code, stdout: stdout.text, stderr: stderr.text };
    };
    // Another process, whose endpoint answers, looked them up: approved, cached in Redis.
    const warm = await run([...send, '--dry-run'], endpoint);
    expect(warm.code, warm.stderr).toBe(EXIT.ok);
    expect((await redis.keys(`${p}:catalog:*`)).sort()).toEqual([`${p}:catalog:sign:${N.sign}`, `${p}:catalog:template:${N.verificationTemplate}`]);
    const calls = emulator.calls().length;
    const cached = await run([...send, '--yes', '--json'], deadEndpoint);
    expect(cached.code, cached.stderr).toBe(EXIT.ok);
    expect(JSON.parse(cached.stdout)).toMatchObject({ recipients: 1, duplicate: false });
    expect(cached.stderr).not.toContain('ConnectionRefused');
    expect(emulator.calls().length).toBe(calls);
    // Without the cache the door looks them up, and meets the endpoint.
    await redis.del(`${p}:catalog:sign:${N.sign}`, `${p}:catalog:template:${N.verificationTemplate}`);
    const looked = await run([...send, '--yes'], deadEndpoint);
    expect(looked.code, looked.stderr).toBe(EXIT.dependency);
    expect(looked.stderr).toContain(`error ConnectionRefused: the connection to SMS_ENDPOINT=${deadEndpoint} was refused`);
  });

  it('a throttled or timed-out look-up is still skipped with a warning, and the send enqueued (docs/sending.md)', async () => {
    const { producer, warnings } = warnedProducer(prefix('unreachable-skip'), 300);
    try {
      for (const fault of [{ kind: 'throttle' as const }, { kind: 'lost-answer' as const, delayMs: 1000 }]) {
        emulator.setFaults([{ ...fault, actions: ['GetSmsTemplate'] }]);
        const sent = await producer.send({ phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } });
        expect(sent.sendId).toMatch(/^smx/);
      }
      expect(warnings.filter((w) => /door check is skipped/.test(w))).toHaveLength(2);
    } finally {
      emulator.setFaults([]);
      await producer.close();
    }
  });
});

describe('a signature and template look-up that both time out', () => {
  // Both look-ups of one request gave no answer: the warning that the check is skipped came once
  // per look-up, twice per request, the same words each time.
  const skipped = (lines: string[]) => lines.filter((l) => l.includes('that part of the door check is skipped'));
  const TIMED_OUT = [{ kind: 'lost-answer' as const, actions: ['GetSmsSign', 'GetSmsTemplate'], times: Infinity, delayMs: 3000 }];
  const NOTICE = ['send', '--phones', PHONE, '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--kind', 'notification', '--yes'];

  it('smsq send warns once that the check is skipped, and enqueues', async () => {
    emulator.setFaults(TIMED_OUT);
    try {
      const r = await smsq(NOTICE, { SMSQ_PREFIX: prefix('timeout-cli'), SMS_ENDPOINT: endpoint, SMS_READ_TIMEOUT_MS: '500', SMSQ_CATALOG_CACHE_MS: '0' });
      expect(r.code, r.stderr).toBe(0);
      const lines = skipped(r.stderr.split('\n'));
      expect(lines, r.stderr).toHaveLength(1);
      const warning = JSON.parse(lines[0] as string) as { msg: string; code?: string; lookups?: string[] };
      expect(warning.lookups).toEqual([`template ${N.notificationTemplate}`, `signature ${N.sign}`]);
    } finally {
      emulator.setFaults([]);
    }
  }, SPAWNED_MS);

  it('POST /v1/messages warns once per request', async () => {
    const p = prefix('timeout-rest');
    const { producer, warnings, warned } = warnedProducer(p, 500);
    const app = await buildServer({ checkResponses: true, redis, prefix: p, producer, logger: warned, apiToken: TOKEN, dashboard: { token: 'unreachable-dashboard-token-0123456789' } });
    emulator.setFaults(TIMED_OUT);
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' } });
      expect(res.statusCode, res.body).toBe(202);
      expect(skipped(warnings)).toHaveLength(1);
    } finally {
      emulator.setFaults([]);
      await app.close();
      await producer.close();
    }
  });
});

describe('read-only commands against an endpoint that cannot be reached name SMS_ENDPOINT and the fix (they were told as the call cap)', () => {
  it.each([
    [['signs'], () => deadEndpoint, 'ConnectionRefused'],
    [['template', N.verificationTemplate], () => deadEndpoint, 'ConnectionRefused'],
    [['stats', '--start', '20260101', '--end', '20260101'], () => deadEndpoint, 'ConnectionRefused'],
    [['stats', '--start', '20260101', '--end', '20260101'], () => UNRESOLVED, 'HostNotFound'],
  ])(
    'smsq %s',
    async (args, target, code) => {
      const r = await smsq([...args, '--json'], { SMS_ENDPOINT: target() });
      expect(r.code, r.stderr).toBe(EXIT.dependency);
      const error = (JSON.parse(r.stdout) as { error: { code: string; errorClass: string; action: string } }).error;
      expect(error.code).toBe(code);
      expect(error.errorClass).not.toBe('throttled');
      expect(r.stderr).not.toMatch(/call cap/);
      expect(r.stderr).toContain(`SMS_ENDPOINT=${target()}`);
      expect(r.stderr).toMatch(/nothing was changed/i);
      expect(r.stderr).toMatch(/Fix: .*correct SMS_ENDPOINT/i);
      expect(error.action).toMatch(/correct SMS_ENDPOINT/i);
    },
    SPAWNED_MS,
  );
});

describe('https against an endpoint that speaks plain http', () => {
  it('says it may speak plain http and gives SMS_PROTOCOL=http as the fix (it was NetworkError ... (EPROTO), advice without SMS_PROTOCOL)', async () => {
    const r = await smsq(['signs'], {
      SMS_MODE: 'live',
      SMS_ENDPOINT: endpoint,
      ALIBABA_CLOUD_ACCESS_KEY_ID: SANDBOX_ACCESS_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SANDBOX_ACCESS_KEY.accessKeySecret,
    });
    expect(r.code, r.stderr).toBe(EXIT.dependency);
    const lines = plainLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error TlsError: /);
    expect(lines[0]).toContain(`SMS_ENDPOINT=${endpoint}`);
    expect(lines[0]).toMatch(/plain http/);
    expect(lines[0]).toMatch(/Fix: SMS_PROTOCOL=http/);
  }, SPAWNED_MS);

  it('SMS_PROTOCOL=HTTP is taken as http (it was refused with "Fix: SMS_PROTOCOL=https")', async () => {
    const r = await smsq(['signs', '--json'], {
      SMS_MODE: 'live',
      SMS_ENDPOINT: endpoint,
      SMS_PROTOCOL: 'HTTP',
      ALIBABA_CLOUD_ACCESS_KEY_ID: SANDBOX_ACCESS_KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SANDBOX_ACCESS_KEY.accessKeySecret,
    });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain(N.sign);
  }, SPAWNED_MS);
});
