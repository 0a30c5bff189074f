/**
 * The campaigns page's tally (src/receipts/campaign-tracker.ts) against real Redis, a real worker
 * and the emulator: failure codes are counted once however many readers catch up at the same time,
 * samples keep their gap and their cap, small sends are sampled only when their own page asks.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createProducer } from '../../producers/producer.js';
import { createKeys } from '../../src/queue/keys.js';
import { luaScript } from '../../src/queue/lua.js';
import { createCampaignTracker } from '../../src/receipts/campaign-tracker.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => String(base + i));

describe('the campaigns page tally', () => {
  it('counts each failed recipient once, whatever the readers racing, and samples the sends that moved', async () => {
    const h = await harnesses.create({ label: 'tracker' });
    const keys = createKeys(h.prefix);
    const clock = createManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));
    // catchUpEveryMs 1: the lock barely holds between the readers below.
    const tracker = (sampleEveryMs = 5000) => createCampaignTracker({ redis: h.redis, keys, clock, retentionSeconds: 3600, catchUpEveryMs: 1, sampleEveryMs, maxSamples: 3 });
    // No params for a template with ${name} and ${order}: Dysmsapi refuses the chunk.
    const failing = await h.producer.send({ phones: phones(150, 13800100000), signName: N.sign, templateCode: N.notificationTemplate });
    const small = await h.producer.send({ phones: ['13900139000'], signName: N.sign, templateCode: N.notificationTemplate });
    await h.startWorker();
    await waitFor(async () => (await h.producer.getStatus(failing.sendId)).counts.failed === 150 && (await h.producer.getStatus(small.sendId)).counts.failed === 1, 'both sends failed');

    await Promise.all(Array.from({ length: 6 }, () => tracker().catchUp()));
    await tracker().catchUp();
    const codes = await tracker().failureCodes([failing.sendId, small.sendId]);
    expect(codes.get(failing.sendId)).toEqual([{ code: 'isv.TEMPLATE_MISSING_PARAMETERS', recipients: 150 }]);
    expect(codes.get(small.sendId)).toEqual([{ code: 'isv.TEMPLATE_MISSING_PARAMETERS', recipients: 1 }]);
    expect(await h.redis.get(keys.campaignTrackerCursor())).toMatch(/^\d+-\d+$/);

    // The large send moved, so it was sampled once; the one-recipient send was not (its page samples it).
    const series = await tracker().series(failing.sendId);
    expect(series).toHaveLength(1);
    expect(series[0]).toEqual({ at: clock.now(), counts: expect.objectContaining({ failed: 150, queued: 0 }) });
    expect(await tracker().series(small.sendId)).toEqual([]);
    await tracker().sample(small.sendId);
    expect(await tracker().series(small.sendId)).toHaveLength(1);

    // A sample per gap at most, and the newest `maxSamples` kept.
    await tracker().sample(failing.sendId);
    expect(await tracker().series(failing.sendId)).toHaveLength(1);
    for (let i = 0; i < 4; i++) {
      clock.advance(5000);
      await tracker().sample(failing.sendId);
    }
    const capped = await tracker().series(failing.sendId);
    expect(capped.map((s) => s.at)).toEqual([clock.now() - 10_000, clock.now() - 5000, clock.now()]);
    expect(await h.redis.ttl(keys.sendSeries(failing.sendId))).toBeGreaterThan(3500);
    expect(await h.redis.ttl(keys.sendFailureCodes(failing.sendId))).toBeGreaterThan(3500);
  });

  it('adds a tally only from the place it read: a reader overtaken by another adds nothing', async () => {
    const h = await harnesses.create({ label: 'tracker-cas' });
    const keys = createKeys(h.prefix);
    const tally = luaScript(h.redis, 'tally-failure-codes');
    const codes = keys.sendFailureCodes('smx1');
    await h.redis.hset(keys.send('smx1'), 'state', 'active');
    await h.redis.expire(keys.send('smx1'), 60);
    const add = (from: string, to: string) => tally(3, keys.campaignTrackerCursor(), codes, keys.send('smx1'), from, to, 60, JSON.stringify([{ 'isv.X': 2 }]));
    expect(await add('', '5-0')).toBe(1);
    // Another reader read from '' too, but the place has moved on: nothing is added twice.
    expect(await add('', '5-0')).toBe(0);
    expect(await add('4-0', '6-0')).toBe(0);
    expect(await h.redis.hgetall(codes)).toEqual({ 'isv.X': '2' });
    expect(await add('5-0', '6-0')).toBe(1);
    expect(await h.redis.hgetall(codes)).toEqual({ 'isv.X': '4' });
    expect(await h.redis.get(keys.campaignTrackerCursor())).toBe('6-0');
    expect(await h.redis.ttl(codes)).toBeGreaterThan(0);
  });

  it('waits for its turn: a catch-up within the interval of another reads nothing', async () => {
    const h = await harnesses.create({ label: 'tracker-lock' });
    const keys = createKeys(h.prefix);
    const tracker = createCampaignTracker({ redis: h.redis, keys, clock: createManualClock(), retentionSeconds: 3600, catchUpEveryMs: 60_000 });
    await tracker.catchUp();
    const failing = await h.producer.send({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate });
    await h.startWorker();
    await waitFor(async () => (await h.producer.getStatus(failing.sendId)).counts.failed === 1, 'the send failed');
    await tracker.catchUp();
    expect((await tracker.failureCodes([failing.sendId])).get(failing.sendId)).toEqual([]);
    await h.redis.del(keys.campaignTrackerLock());
    await tracker.catchUp();
    expect((await tracker.failureCodes([failing.sendId])).get(failing.sendId)).toEqual([{ code: 'isv.TEMPLATE_MISSING_PARAMETERS', recipients: 1 }]);
  });

  it("keeps a send's series and failure codes as long as the send, its kind's retention, not the server's longest", async () => {
    const h = await harnesses.create({ label: 'tracker-ttl' });
    const keys = createKeys(h.prefix);
    // The server is given the longest retention of any kind (30 days by default: marketing's).
    const tracker = createCampaignTracker({ redis: h.redis, keys, clock: createManualClock(), retentionSeconds: 30 * 86_400, catchUpEveryMs: 1 });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, retention: { notification: 600 } });
    harnesses.defer(() => producer.close());
    const failing = await producer.send({ phones: phones(120, 13800200000), signName: N.sign, templateCode: N.notificationTemplate });
    await h.startWorker();
    await waitFor(async () => (await producer.getStatus(failing.sendId)).counts.failed === 120, 'the send failed');
    await tracker.catchUp();
    expect(await tracker.series(failing.sendId)).toHaveLength(1);
    const sendTtl = await h.redis.ttl(keys.send(failing.sendId));
    expect(sendTtl).toBeGreaterThan(0);
    expect(sendTtl).toBeLessThanOrEqual(600);
    for (const key of [keys.sendSeries(failing.sendId), keys.sendFailureCodes(failing.sendId)]) {
      const ttl = await h.redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(sendTtl);
    }
  });
});
