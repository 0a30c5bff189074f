/**
 * Error messages never carry phone numbers in clear (issue 11): they are masked, and past a few
 * they are counted, with the way to send a long list. Every path that can carry numbers: the
 * producer API, the CLI (in-process `runCli` against the private Redis) and REST (inject).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import { harnessPerTest } from '../support/pipeline.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

/** `count` distinct numbers that look like phone numbers; `valid: false` makes them unusable (second digit 2). */
function numbers(count: number, valid: boolean): string[] {
  return Array.from({ length: count }, (_, i) => `1${valid ? 3 : 2}${String(800000000 + i)}`);
}

/** None of `phones` appears in `text` (the examples of a Fix: line may). */
function expectNoNumberIn(text: string, phones: readonly string[]) {
  for (const p of phones) expect(text).not.toContain(p);
  expect(text.replace(/13800138000|13900139000|"time":\d+/g, '')).not.toMatch(/\d{7,}/);
}

const cliPrefix = uniquePrefix('masked');
const cliRedis = createTestConnection();
afterAll(async () => {
  await deleteKeys(cliRedis, cliPrefix);
  cliRedis.disconnect();
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    env: { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: cliPrefix, SMS_MODE: 'sandbox', LOG_LEVEL: 'warn' },
  });
  return { code, stdout, stderr };
}

describe('phone numbers in errors', () => {
  it('the producer API: a request with thousands of unusable numbers gets a short error with masked numbers', async () => {
    const h = await harnesses.create({ label: 'masked-producer' });
    const bad = numbers(2000, false);
    const err = (await h.producer.send({ ...NOTE, phones: bad }).catch((e: unknown) => e)) as { code: string; message: string; issues: { message: string }[] };
    expect(err.code).toBe('SMSQ_INVALID_REQUEST');
    expect(err.message.length).toBeLessThan(800);
    expect(err.message).toMatch(/128\*\*\*\*0000/);
    expect(err.message).toMatch(/1,997 more/);
    expect(err.message).toMatch(/smsq campaign --file/);
    expectNoNumberIn(err.message, bad);
    expectNoNumberIn(JSON.stringify(err.issues), bad);
  });

  it('`smsq send --phones` with 10,000 numbers: a short error that points to `campaign --file`, no number in clear', async () => {
    const many = numbers(10_000, true);
    const r = await cli(['send', '--phones', many.join(','), '--sign', N.sign, '--template', N.notificationTemplate, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(1000);
    expect(r.stderr).toMatch(/campaign --file/);
    expectNoNumberIn(r.stderr + r.stdout, many);
  });

  it('`smsq send --phones` with unusable numbers: masked reasons, the rest counted', async () => {
    const bad = numbers(40, false);
    const r = await cli(['send', '--phones', bad.join(','), '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes']);
    expect(r.stderr).toMatch(/37 more/);
    expect(r.code).not.toBe(0);
    expectNoNumberIn(r.stderr + r.stdout, bad);
  });

  it('REST: unusable numbers and a broken JSON body are refused without the numbers in clear', async () => {
    const h = await harnesses.create({ label: 'masked-rest' });
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    const headers = { authorization: 'Bearer test-api-token-0123456789' };
    const bad = numbers(500, false);
    const refused = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: { ...NOTE, phones: bad } });
    expect(refused.statusCode).toBe(400);
    expect(refused.body.length).toBeLessThan(800);
    expectNoNumberIn(refused.body, bad);
    const broken = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"phones":["13800138000" "13900139000"]}' });
    expect(broken.statusCode).toBe(400);
    expectNoNumberIn(broken.body, ['13800138000', '13900139000']);
  });
});
