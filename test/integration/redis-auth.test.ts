/**
 * Redis refuses smsq's credentials: a wrong password in REDIS_URL (WRONGPASS), none where the
 * Redis requires one (NOAUTH). A new user's trial found it told as "Redis is down ... retry in a
 * few seconds" by the producer, as a raw ioredis ReplyError (no code) by worker.start(), after
 * four "calls queue error" lines and a "retrying with back-off" line. Now one typed refusal
 * (SMSQ_REDIS_AUTH) naming REDIS_URL (password redacted) and the fix, which says a retry will not
 * help; the CLI exits with the configuration exit code. A real redis-server with requirepass.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const PASSWORD = 'right-horse-battery';
const WRONG = 'wrong-staple-secret';

let server: PrivateRedis;
let emulator: Emulator;
let endpoint: string;
/** REDIS_URL with the wrong password, and with none. */
let wrongUrl: string;
let noneUrl: string;

beforeAll(async () => {
  server = await startPrivateRedis({ requirepass: PASSWORD });
  wrongUrl = `redis://:${WRONG}@127.0.0.1:${server.port}`;
  noneUrl = `redis://127.0.0.1:${server.port}`;
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  ({ endpoint } = await emulator.listen());
});

afterAll(async () => {
  await server.stop();
  await emulator.close();
});

const AUTH = { code: 'SMSQ_REDIS_AUTH' };

/** What a producer's send() through `url` (a `client` connection, as the CLI's) rejects with. */
async function refusedSend(url: string): Promise<(Error & { apiMessage?: string }) | undefined> {
  const redis = createRedisConnection(url, { role: 'client' });
  redis.on('error', () => {});
  const producer = createProducer({ redis });
  try {
    return await producer.send({ phones: ['13800138000'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' } }).then(
      () => undefined,
      (e: unknown) => e as Error & { apiMessage?: string },
    );
  } finally {
    await producer.close().catch(() => {});
    redis.disconnect();
  }
}

describe('the producer, when Redis refuses its credentials', () => {
  it.each([
    ['a wrong password (WRONGPASS)', () => wrongUrl, /WRONGPASS/],
    ['no password where one is required (NOAUTH)', () => noneUrl, /NOAUTH/],
  ])('%s: send() rejects SMSQ_REDIS_AUTH, naming the producer\'s `redis` and the fix, not "retry"', async (_name, url, reply) => {
    const err = await refusedSend(url());
    expect(err).toMatchObject(AUTH);
    expect(err?.message).toMatch(reply);
    // In a Node caller's words: it gave `redis`, and set no REDIS_URL (the CLI says that: below).
    expect(err?.message).toContain(`Redis at \`redis: "${url().replace(WRONG, '<redacted>')}"\` `);
    expect(err?.message).toMatch(/Fix: (correct the user:password in|give it in) `redis` \(/);
    expect(err?.message).not.toContain('REDIS_URL');
    expect(err?.message).toMatch(/Fix: .*password/);
    expect(err?.message).toContain('a retry will not help');
    expect(err?.message).not.toMatch(/does not answer|retry in|run it again|start Redis/i);
    expect(err?.apiMessage).toMatch(/a retry will not help/);
    expect(err?.apiMessage).not.toMatch(/retry in|Retry-After|127\.0\.0\.1/i);
    expect(`${err?.message} ${err?.apiMessage}`).not.toContain(WRONG);
  });
});

describe('the producer, when Redis refuses a command to its user (NOPERM)', () => {
  it('send() rejects SMSQ_REDIS_AUTH naming NOPERM and the ACL fix, not an outage', async () => {
    const { Redis } = await import('ioredis');
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'noscript', 'reset', 'on', '>noscript-pass-1', '~*', '&*', '+@all', '-@scripting');
    try {
      const err = await refusedSend(`redis://noscript:noscript-pass-1@127.0.0.1:${server.port}`);
      expect(err).toMatchObject(AUTH);
      expect(err?.message).toMatch(/refused a command to its user \(NOPERM .*\); that command was not run\. Fix: grant that user/);
      expect(err?.apiMessage).not.toContain('noscript');
      expect(err?.message).not.toContain('noscript-pass-1');
    } finally {
      await admin.call('ACL', 'DELUSER', 'noscript');
      admin.disconnect();
    }
  });
});

describe('the worker, when Redis refuses its credentials', () => {
  it('start() rejects SMSQ_REDIS_AUTH; no queue error or "retrying" line is logged', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
        done();
      },
    });
    const connection = createRedisConnection(wrongUrl);
    const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const worker = createSmsWorker({ connection, client, logger: createLogger({ level: 'info' }, sink), qps: 50, readTimeoutMs: 1000 });
    try {
      const err = await worker.start().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toMatchObject(AUTH);
      expect(err?.message).toMatch(/WRONGPASS/);
      expect(err?.message).not.toContain(WRONG);
      // Reconnect attempts after the refusal would be logged meanwhile.
      await new Promise((r) => setTimeout(r, 1500));
      expect(lines.filter((l) => /queue error|retrying|does not answer/.test(l))).toEqual([]);
      expect(lines.join('\n')).not.toContain(WRONG);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  });
});

describe('the CLI, when Redis refuses the password in REDIS_URL', () => {
  it.each([
    ['sends', ['sends']],
    ['status', ['status', 'smx0000000000000000000']],
    ['worker', ['worker']],
  ])('%s: one line naming REDIS_URL and the fix, the configuration exit code', async (_name, argv) => {
    const env = { REDIS_URL: wrongUrl, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
    const res = await runSmsqInProcess(argv, { env });
    expect(res.code, res.stderr).toBe(EXIT.refused);
    const lines = res.stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('SANDBOX MODE'));
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/SMSQ_REDIS_AUTH|refused/);
    expect(lines[0]).toMatch(/WRONGPASS/);
    expect(lines[0]).toContain(`Redis at REDIS_URL=redis://:<redacted>@127.0.0.1:${server.port} refused the credentials given (WRONGPASS`);
    // The CLI says what it always said: the environment's REDIS_URL, not the Node API's `redis`.
    expect(lines[0]).toContain(
      '; nothing was read or written. Fix: correct the user:password in REDIS_URL (redis://USER:PASSWORD@host:port; redis://:PASSWORD@host:port for requirepass), or the username/password options of the ioredis connection given to smsq: a user this Redis has, enabled, and its password; a retry will not help',
    );
    expect(lines[0]).not.toContain('`');
    expect(lines[0]).not.toMatch(/retry in|run it again|does not answer/i);
    expect(res.stderr).not.toContain(WRONG);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

// A new user's trial: ioredis takes `?password=` from a redis:// URL's query and logged in with it,
// and every line naming REDIS_URL (a refusal, an outage, the worker's log) then showed it in clear.
describe('the CLI, with the password in REDIS_URL\'s query', () => {
  it.each([
    ['sends', ['sends'], PASSWORD],
    ['worker', ['worker'], PASSWORD],
    ['send', ['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"1234"}', '--yes'], WRONG],
  ])('%s: refused before it connects, the password redacted, with the fix; nothing written', async (_name, argv, password) => {
    const env = { REDIS_URL: `redis://127.0.0.1:${server.port}/0?password=${password}`, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'info' };
    const res = await runSmsqInProcess(argv, { env });
    expect(res.code, res.stderr).toBe(EXIT.refused);
    expect(res.stderr).toContain(`REDIS_URL="redis://127.0.0.1:${server.port}/0?password=<redacted>" has the password in its query (?password=); smsq reads the user name and password only before the host, percent-encoded. Fix: REDIS_URL=redis://user:pass@host:6379/0`);
    expect(res.stderr + res.stdout).not.toContain(password);
    const admin = createRedisConnection(`redis://:${PASSWORD}@127.0.0.1:${server.port}`);
    try {
      expect(await admin.dbsize()).toBe(0);
    } finally {
      admin.disconnect();
    }
  });
});
