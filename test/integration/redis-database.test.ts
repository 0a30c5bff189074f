/**
 * REDIS_URL names a database the Redis does not have (`/99` on a Redis with 16): ioredis's SELECT
 * is refused, and it used to go on in database 0, where the send was written and the command
 * exited 0. Every command now refuses with one line naming REDIS_URL, the database and the fix,
 * exit 2, and nothing is written in database 0. And rediss:// to a Redis without TLS: the
 * timeout says TLS may be why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { createTestConnection, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collector } from '../support/text-collector.js';

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
const prefix = uniquePrefix('db');
const redis = createTestConnection();

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  const url = new URL(testRedisUrl());
  url.pathname = '/99';
  env = { REDIS_URL: url.toString(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  redis.disconnect();
  await emulator.close();
});

const send = ['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"1234"}', '--yes'];

describe('REDIS_URL names a database this Redis does not have', () => {
  it.each([
    ['send', send],
    ['status', ['status', 'smx0000000000000000000']],
    ['sends', ['sends']],
    ['worker', ['worker']],
    ['server', ['server', '--port', '0', '--insecure']],
  ])('%s refuses with one line naming REDIS_URL and the database, and no log line before it, exit 2, and writes nothing in database 0', async (_name, argv) => {
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(argv, { stdout, stderr, env });
    expect(code, stderr.text).toBe(EXIT.refused);
    // Only the sandbox warning besides it: ioredis's refused SELECT was also logged as a JSON
    // "calls queue error" line (a worker's and a server's as "Redis ... does not answer; retrying").
    const lines = stderr.text.split('\n').filter((l) => l.trim() !== '' && !l.includes('SANDBOX MODE'));
    expect(lines).toEqual([
      expect.stringMatching(/^error: REDIS_URL=redis:\/\/\S+\/99 names database 99, which this Redis does not have \(it has \d+: 0 to \d+\); nothing was read or written\. Fix: /),
    ]);
    expect(stderr.text).not.toMatch(/\n\s+at /);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });
});

describe('REDIS_URL asks for TLS (rediss://) of a Redis without it', () => {
  it('says that TLS may be why it does not answer, exit 3', async () => {
    const url = new URL(testRedisUrl());
    url.protocol = 'rediss:';
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['sends'], { stdout, stderr, env: { ...env, REDIS_URL: url.toString(), SMSQ_REDIS_CONNECT_TIMEOUT_MS: '800' } });
    expect(code).toBe(EXIT.dependency);
    expect(stderr.text).toContain('rediss:// speaks TLS, and a Redis without TLS never answers it: redis:// if this one has none');
  });
});

describe('REDIS_URL names a database its user may not SELECT', () => {
  it('refuses with REDIS_URL, NOPERM and the fix, exit 2 (it was a raw NOPERM and exit 1)', async () => {
    const user = `nosel-${prefix.slice(1, -1)}`;
    await redis.call('ACL', 'SETUSER', user, 'reset', 'on', '>no-select-password-1', '~*', '&*', '+@all', '-select');
    try {
      const url = new URL(testRedisUrl());
      url.username = user;
      url.password = 'no-select-password-1';
      url.pathname = '/2';
      const stdout = collector();
      const stderr = collector();
      const code = await runCli(['sends'], { stdout, stderr, env: { ...env, REDIS_URL: url.toString() } });
      expect(code, stderr.text).toBe(EXIT.refused);
      expect(stderr.text).toMatch(/names database 2, and its user may not SELECT \(NOPERM\); nothing was read or written\. Fix: database 0 .*or grant the user \+select/);
      // That line alone: not a log line of the refused SELECT before it.
      expect(stderr.text.split('\n').filter((l) => l.trim() !== '' && !l.includes('SANDBOX MODE'))).toHaveLength(1);
      expect(stderr.text).not.toContain('no-select-password-1');
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });
});

describe('the database check', () => {
  it('runs once per connection, however many gates ask; a refused one is asked again', async () => {
    const { confirmDatabase } = await import('../../src/queue/redis-database.js');
    const { Redis } = await import('ioredis');
    const inDb1 = new Redis(testRedisUrl(), { db: 1, maxRetriesPerRequest: null });
    const inDb99 = new Redis(testRedisUrl(), { db: 99, maxRetriesPerRequest: null, lazyConnect: true });
    inDb99.on('error', () => {});
    try {
      const first = confirmDatabase(inDb1, 'redis://test/1');
      expect(confirmDatabase(inDb1, 'redis://test/1')).toBe(first);
      await first;
      expect(confirmDatabase(inDb1, 'redis://test/1')).toBe(first);
      const refused = confirmDatabase(inDb99, 'redis://test/99');
      await expect(refused).rejects.toThrow(/names database 99/);
      expect(confirmDatabase(inDb99, 'redis://test/99')).not.toBe(refused);
      await expect(confirmDatabase(inDb99, 'redis://test/99')).rejects.toThrow(/names database 99/);
    } finally {
      inDb1.disconnect();
      inDb99.disconnect();
    }
  });
});
