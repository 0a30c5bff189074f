import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createChunkStore, type NewChunk } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('chunk-create');
const keys = createKeys(prefix);

beforeAll(() => {
  redis = createTestConnection();
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

/** `count` chunks of `send`, chunk i holding i + 1 numbers (a Chinese param, as campaigns have). */
function chunksOf(send: string, count: number): NewChunk[] {
  return Array.from({ length: count }, (_, i) => ({
    sendId: send,
    index: String(i),
    kind: 'marketing' as const,
    payload: { api: 'SendSms' as const, phones: Array.from({ length: i + 1 }, (_, k) => String(13800000000 + i * 1000 + k)), signName: '签名', templateCode: 'SMS_1', templateParam: { name: '会员' } },
  }));
}

describe('chunk records', () => {
  it('are written many to a script run, counted once each, and left as they are when written again', async () => {
    const clock = createManualClock(Date.now());
    const store = createChunkStore({ redis, keys, clock });
    // More chunks than one script run takes, of two sends in one call.
    const a = chunksOf('ca', 150);
    const b = chunksOf('cb', 3);
    await store.create([...a, ...b], 600);
    const queuedA = (150 * 151) / 2;
    expect(await redis.hget(keys.sendCounts('ca'), 'queued')).toBe(String(queuedA));
    expect(await redis.hget(keys.sendCounts('cb'), 'queued')).toBe('6');
    expect(await redis.hget(keys.recipientTotals(), 'queued')).toBe(String(queuedA + 6));
    const last = await store.get('ca.149');
    expect(last).toMatchObject({ sendId: 'ca', index: '149', kind: 'marketing', n: 150, state: 'queued', attempt: 0 });
    expect(last?.payload).toEqual(a[149]?.payload);
    expect(await redis.hget(keys.chunk('ca.0'), 'createdAt')).toBe(String(clock.now()));
    const ttl = await redis.ttl(keys.chunk('cb.2'));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);

    // Written again (an enqueue retried), with one chunk that moved on meanwhile: nothing changes.
    await redis.hset(keys.chunk('ca.7'), 'state', 'accepted');
    clock.advance(1000);
    await store.create([...a, ...b], 600);
    expect(await redis.hget(keys.sendCounts('ca'), 'queued')).toBe(String(queuedA));
    expect(await redis.hget(keys.recipientTotals(), 'queued')).toBe(String(queuedA + 6));
    expect(await redis.hget(keys.chunk('ca.7'), 'state')).toBe('accepted');
    expect(await redis.hget(keys.chunk('ca.0'), 'createdAt')).toBe(String(clock.now() - 1000));
  });
});

describe('a late BizId', () => {
  it('is recorded on a chunk that exists, and brings back no chunk that is gone (a compacted send)', async () => {
    const chunks = createChunkStore({ redis, keys, clock: createManualClock(1_000) });
    await chunks.create(chunksOf('late', 1), 600);
    await chunks.setBizId('late.0', '111^0');
    expect(await redis.hget(keys.chunk('late.0'), 'bizId')).toBe('111^0');
    expect(await redis.ttl(keys.chunk('late.0'))).toBeGreaterThan(0);
    await redis.del(keys.chunk('late.0'));
    await chunks.setBizId('late.0', '222^0');
    expect(await redis.exists(keys.chunk('late.0'))).toBe(0);
  });
});
