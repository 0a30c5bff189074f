/**
 * `smsq status` given what an operator copies from elsewhere instead of a send id: a BizId (the
 * send's answer, `status --recipients`) or smsq's OutId (the `out id` column of `smsq details`).
 * It said only "not found" (or, for a BizId with its `^0`, "is not a send id"): now it says what
 * the value is and which command finds it. Exit 2; nothing is written to Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('status-ids');
let redis: Redis;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', LOG_LEVEL: 'error' };
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function status(id: string, json = false) {
  const r = await runSmsqInProcess(['status', id, ...(json ? ['--json'] : [])], { env });
  expect(await redis.keys(`${prefix}*`)).toEqual([]);
  return r;
}

const DETAILS_FIX = (bizId: string) => `Fix: smsq details --phone NUMBER --date yyyyMMdd --biz-id ${bizId} (the number it went to, and the China Standard Time day it was sent)`;

describe('smsq status with an id that is not a send id', () => {
  it('a BizId as the API answers it (402617584525830937^0): named as one, with the details command', async () => {
    const r = await status('402617584525830937^0');
    expect(r.code).toBe(EXIT.refused);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: SEND_ID "402617584525830937\^0" is a BizId \(.*\), not a send id\. /);
    expect(r.stderr).toContain(DETAILS_FIX('402617584525830937^0'));
  });

  it('a BizId without its suffix: not found, and what it is', async () => {
    const r = await status('402617584525830937');
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toMatch(/^error SMSQ_NOT_FOUND: send 402617584525830937 not found: 402617584525830937 is a BizId \(.*\), not a send id\. /);
    expect(r.stderr).toContain(DETAILS_FIX('402617584525830937'));
  });

  it("smsq's OutId from the details table: not found, the send it belongs to, and its status command", async () => {
    const r = await status('smx8k5nwj5d7ae857a7a7.0.1-0a1b2c3d4e', true);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe(
      'error SMSQ_NOT_FOUND: send smx8k5nwj5d7ae857a7a7.0.1-0a1b2c3d4e not found: smx8k5nwj5d7ae857a7a7.0.1-0a1b2c3d4e is an OutId (attempt 1 of chunk smx8k5nwj5d7ae857a7a7.0, as smsq details shows it), not a send id. Fix: smsq status smx8k5nwj5d7ae857a7a7\n',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'SMSQ_NOT_FOUND', action: 'Fix: smsq status smx8k5nwj5d7ae857a7a7' } });
  });

  it.each(['13800138000', '+86 138 0013 8000'.replace(/ /g, '')])('a phone number (%s): named as one, masked, with the commands that find its sends (it was called a BizId, the number repeated three times)', async (phone) => {
    const r = await status(phone, true);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toMatch(/(?:138|\+86)\*{4}8000"? is a phone number, not a send id\. Fix: smsq details --phone NUMBER --date yyyyMMdd /);
    expect(r.stderr).not.toMatch(/BizId/);
    expect(r.stderr + r.stdout).not.toContain('0013');
  });

  it('a send id that is not there: as before', async () => {
    const r = await status('smx8k5nwj5d7ae857a7a7');
    expect(r.stderr).toMatch(/^error SMSQ_NOT_FOUND: send smx8k5nwj5d7ae857a7a7 not found\. Fix: check the id/);
  });
});
