import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOptOutCheck, OPT_OUT_CHECK_MAX } from '../../producers/opt-out-check.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSuppressionList } from '../../src/receipts/suppression.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('optout');
const keys = createKeys(prefix);

beforeAll(() => {
  redis = createTestConnection();
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe('campaign opt-out check', () => {
  it('answers as the suppression list does, as many numbers as one call takes (several SMISMEMBER inside)', async () => {
    const list = createSuppressionList({ redis, keys });
    const phones = Array.from({ length: OPT_OUT_CHECK_MAX }, (_, i) => (i % 10 === 9 ? String(85291000000 + i) : String(13900000000 + i)));
    const check = createOptOutCheck(redis, keys);
    // Nobody opted out yet (no set): the script answers without splitting the numbers.
    expect(await check(phones)).toEqual(phones.map(() => false));
    await list.add(phones.filter((_, i) => i % 3 === 0));
    const flags = await check(phones);
    expect(flags).toEqual(await list.check(phones));
    expect(flags.filter(Boolean)).toHaveLength(Math.ceil(OPT_OUT_CHECK_MAX / 3));
    expect(await check(phones.slice(0, 1))).toEqual([true]);
    expect(await check([])).toEqual([]);
  });

  it('refuses more numbers than one call takes', async () => {
    const check = createOptOutCheck(redis, keys);
    await expect(check(Array.from({ length: OPT_OUT_CHECK_MAX + 1 }, (_, i) => String(13900000000 + i)))).rejects.toThrow(RangeError);
  });
});
