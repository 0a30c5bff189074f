import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createKeys } from '../../src/queue/keys.js';
import { PACKED_WIDTH, packNumber, SENT_NUMBER_BUCKETS, unpackBucket } from '../../src/receipts/sent-number-packing.js';
import { createSentNumbers, LEGACY_SENT_NUMBER_BUCKETS } from '../../src/receipts/sent-numbers.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';
import { seeded } from '../support/seeded.js';

const DAY = 86_400_000;
const RETENTION_S = 30 * 86_400;
let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = createTestConnection();
});
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  redis.disconnect();
});

function setup(label: string) {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  const keys = createKeys(prefix);
  // Near the real time: the keys' lifetimes are counted by Redis's own clock.
  const clock = createManualClock(Date.now());
  const sent = createSentNumbers({ redis, keys, retentionSeconds: RETENTION_S, clock });
  return { keys, clock, sent };
}

describe('the log of sent numbers', () => {
  it('believes exactly the numbers recorded: mainland and international, one or many chunks', async () => {
    const { sent } = setup('sent-exact');
    await sent.record([['13800138000', '85291234567'], ['13800138001']]);
    await sent.record([['999999999999999']]);
    expect(await sent.check(['13800138000', '13800138001', '85291234567', '999999999999999', '13800138002', '85291234568', '13800139024'])).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false, // same bucket as 13800138000 (1024 apart), not recorded
    ]);
    expect(await sent.check([])).toEqual([]);
  });

  it('agrees with a Set over tens of thousands of random numbers recorded in batches', async () => {
    const { sent } = setup('sent-random');
    const random = seeded(7);
    const recorded = new Set<string>();
    const draw = () => String(13000000000 + Math.floor(random() * 7_000_000_000));
    for (let batch = 0; batch < 5; batch++) {
      const lists = Array.from({ length: 8 }, () => Array.from({ length: 1000 }, draw));
      for (const list of lists) for (const p of list) recorded.add(p);
      await sent.record(lists);
    }
    const probes = [...[...recorded].slice(0, 5000), ...Array.from({ length: 5000 }, draw)];
    const flags = await sent.check(probes);
    const wrong = probes.filter((p, i) => flags[i] !== recorded.has(p));
    expect(wrong).toEqual([]);
    expect(flags.filter(Boolean).length).toBeGreaterThanOrEqual(5000);
  });

  it('does not believe a number whose bytes appear across two recorded numbers', async () => {
    const { sent, keys, clock } = setup('sent-aligned');
    // a and b share a bucket; c is the last four bytes of a followed by the first byte of b.
    const a = packNumber('13800138000');
    const bucket = a.bucket;
    const bStored = 3 + 256 * 52_000;
    const b = String(bStored * SENT_NUMBER_BUCKETS + bucket);
    const cBytes = Buffer.concat([a.bytes.subarray(1), packNumber(b).bytes.subarray(0, 1)]);
    const c = String(cBytes.readUIntLE(0, PACKED_WIDTH) * SENT_NUMBER_BUCKETS + bucket);
    expect(packNumber(c).bucket).toBe(bucket);
    await sent.record([['13800138000', b]]);
    const day = Math.floor(clock.now() / DAY);
    const log = await redis.getBuffer(keys.sentNumberLog(day, bucket));
    expect(log?.includes(packNumber(c).bytes)).toBe(true); // the bytes are there, across two entries
    expect(unpackBucket(bucket, log as Buffer)).toEqual(['13800138000', b]);
    expect(await sent.check(['13800138000', b, c])).toEqual([true, true, false]);
  });

  it("keeps a day's numbers until the day ends plus the retention, and finds them on later days", async () => {
    const { sent, keys, clock } = setup('sent-days');
    const day = Math.floor(clock.now() / DAY);
    await sent.record([['13800138000']]);
    const ttl = await redis.ttl(keys.sentNumberLog(day, packNumber('13800138000').bucket));
    const untilDayEnds = ((day + 1) * DAY - clock.now()) / 1000;
    expect(ttl).toBeGreaterThan(untilDayEnds + RETENTION_S - 5);
    expect(ttl).toBeLessThanOrEqual(Math.ceil(untilDayEnds) + RETENTION_S);
    // A later record adds to the same key without moving its expiry.
    await sent.record([['13800138001']]);
    expect(await redis.ttl(keys.sentNumberLog(day, packNumber('13800138001').bucket))).toBeGreaterThan(untilDayEnds + RETENTION_S - 5);
    clock.advance(29 * DAY);
    await sent.record([['13900139000']]);
    expect(await redis.exists(keys.sentNumberLog(day + 29, packNumber('13900139000').bucket))).toBe(1);
    expect(await sent.check(['13800138000', '13800138001', '13900139000'])).toEqual([true, true, true]);
  });

  it('still believes numbers kept by the sets written before the log', async () => {
    const { sent, keys } = setup('sent-legacy');
    const phone = '13712345678';
    await redis.sadd(`${keys.legacySentNumberPrefix()}${Number(phone.slice(-6)) % LEGACY_SENT_NUMBER_BUCKETS}`, phone);
    expect(await sent.check([phone, '13712345679'])).toEqual([true, false]);
  });

  it('refuses to record a string that is not a normalised number, and writes nothing', async () => {
    const { sent, keys } = setup('sent-bad');
    await expect(sent.record([['13800138000', '+8613800138000']])).rejects.toThrow(RangeError);
    expect(await redis.keys(`${keys.prefix}*`)).toEqual([]);
  });
});
