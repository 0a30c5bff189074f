/**
 * `smsq details` and `smsq stats` read the history of sends, which only the deployment's emulator
 * holds in sandbox mode. Without SMS_ENDPOINT the command would start an emulator of its own,
 * empty, and answer "no messages" / "nothing sent" with exit 0 whatever was sent: they refuse
 * instead (exit 2, naming SMS_ENDPOINT and the fix), start no emulator and write nothing. The
 * catalog commands answer from the emulator's fixtures, the same in every emulator, and still run.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { cstDate } from '../../src/sms/dates.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { runSmsqInProcess } from '../support/cli-run.js';

let redis: PrivateRedis;
const children: CliProcess[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await redis?.stop();
});

/** The environment of a new terminal: the deployment's Redis, sandbox mode, no SMS_ENDPOINT. */
const noEndpoint = (): NodeJS.ProcessEnv => ({ REDIS_URL: redis.url, SMSQ_PREFIX: '{cli-history}', SMS_MODE: 'sandbox', LOG_LEVEL: 'warn' });

async function keysInRedis(): Promise<number> {
  const client = new Redis(redis.url, { lazyConnect: true });
  try {
    await client.connect();
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}

describe('history commands in sandbox mode without SMS_ENDPOINT', () => {
  const today = cstDate(Date.now());

  it.each([
    ['details', ['details', '--phone', '13800138000', '--date', today]],
    ['stats', ['stats', '--start', today, '--end', today]],
  ])('%s refuses with exit 2 naming SMS_ENDPOINT and the fix (it answered "no messages" / "nothing sent" from an empty emulator of its own, exit 0)', async (_name, args) => {
    const p = spawnSmsq(args, noEndpoint());
    children.push(p);
    expect(await p.exited, p.stderr).toBe(EXIT.refused);
    expect(p.stdout).toBe('');
    const lines = p.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^error: SMS_ENDPOINT is not set: .*holds no sends.*Fix: SMS_ENDPOINT=.*smsq emulator/)]);
    // No emulator was started: no SANDBOX MODE line about one inside the command.
    expect(p.stderr).not.toMatch(/an emulator inside this process/);
    expect(await keysInRedis()).toBe(0);
  }, SPAWNED_MS + 30_000);

  it('--json: the refusal as the error document, SMSQ_CONFIG_INVALID', async () => {
    const r = await runSmsqInProcess(['details', '--phone', '13800138000', '--date', today, '--json'], { env: noEndpoint() });
    expect(r.code).toBe(EXIT.refused);
    const body = JSON.parse(r.stdout) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', errorClass: 'config' });
    expect(body.error.meaning).toMatch(/^SMS_ENDPOINT is not set: /);
    expect(await keysInRedis()).toBe(0);
  });

  it('the catalog commands still answer, from the fixtures every emulator holds', async () => {
    const r = await runSmsqInProcess(['sign', N.sign, '--json'], { env: noEndpoint() });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ signName: N.sign, approved: true });
  });
});
