/**
 * A fixed SMSQ_DURABILITY_REPLICAS (1) through Sentinel, when the first sentinel REDIS_URL lists
 * names the old primary X and the two others another node. Two ways: it missed a failover the
 * others made (X at config epoch 0, the promoted node at the epoch the failover raised: a
 * partition that cut it off through the failover), or all three are at epoch 0, split as in
 * sentinel-minority-first.test.ts (which checks SMSQ_DURABILITY_REPLICAS=all, another path).
 *
 * Made for real without network tools. The epoch case: X with a replica and three sentinels (s1,
 * s2, s3, listed in that order); s2 and s3 stop monitoring X and monitor Y (a primary with its own replica) under the
 * same name, and s1 monitors X afresh, forgetting s2 and s3 (it learns sentinels only from hellos
 * on X's channel, where no other sentinel publishes any more): no hello of theirs reaches it, as
 * none crosses a partition. Then a real `SENTINEL FAILOVER` on s2 promotes Y's replica Y2 and
 * raises the epoch; s3 learns it from s2's hellos. The test checks that the sentinels hold these
 * views before and after.
 *
 * When X lost its replica, every WAIT 1 there fell short, and leaveIfPrimaryMoved
 * (src/durability/primary-moved.ts) asked the sentinels one after another which primary they name:
 * s1 answered first, named X, and the connection stayed on X; every send was refused for as long
 * as the sentinels disagreed. Sentinel's own rule names the other node: the newest config epoch
 * wins, and at equal epochs only a majority could have failed over (src/durability/newest-primary.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import type { Producer } from '../../producers/producer.js';
import { sendNotification, withProducerOn } from '../support/producer-session.js';
import { createProducerConnection } from '../support/redis.js';
import type { RedisNode, SentinelDeployment } from '../support/redis-topology.js';
import { failOverApart, withDeployments, monitorAfresh, namedBy as named, sentinelView as viewOf, sendUntilAcknowledged } from '../support/sentinel-failover.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{minority-epoch}';
const FIXED: DurabilityOptions = { mode: 'fsync+replicas', replicas: 1, timeoutMs: 1000 };
const TIMINGS = { downAfterMs: 2000, failoverTimeoutMs: 5000 };

/**
 * Kills X's replica (it went with the majority's side: X's WAIT 1 falls short), then sends until
 * one is acknowledged; expects it within a few seconds, on `promoted`, and the sentinels still
 * split as `split` says (`port@epoch` each).
 */
async function expectMovedTo(d: SentinelDeployment, redis: Redis, producer: Producer, promoted: RedisNode, split: (named: string[]) => void): Promise<void> {
  await d.replica.kill();
  const changedAt = Date.now();
  const { refusals, acknowledgedAt } = await sendUntilAcknowledged(producer, 13770000001, 'a send acknowledged again on the primary the sentinels name together', 20_000, async (refused) =>
    `minority first: ${refused.length} sends since, refused with ${[...new Set(refused)].join(', ')}; the sentinels name ${(await named(d)).join(', ')} (X ${d.primary.port}, promoted ${promoted.port}); the link is on ${redis.stream?.remotePort}`,
  );
  const acknowledgedAfter = acknowledgedAt - changedAt;
  console.log(`minority first: acknowledged again ${acknowledgedAfter} ms after X lost its replica, ${refusals.length} send(s) refused before (${[...new Set(refusals)].join(', ')})`);
  expect(acknowledgedAfter).toBeLessThan(8000);
  expect(redis.stream?.remotePort).toBe(promoted.port);
  expect(await promoted.keyCount()).toBeGreaterThan(0);
  split(await named(d));
}

describe('SMSQ_DURABILITY_REPLICAS=1: the first sentinel listed names the old primary, the others another', () => {
  it('after a failover it missed (an older epoch): the connection leaves the old primary, sends are acknowledged on the promoted one', () =>
    withDeployments(TIMINGS, async (d, { primary: y, replica: y2 }) => {
      const s1 = d.sentinels[0] as RedisNode;
      const redis = createProducerConnection(d.url, FIXED) as Redis;
      await withProducerOn(redis, { prefix: PREFIX, durability: FIXED }, async (producer) => {
        // Sending fine on X, found through s1 (the first listed).
        await sendNotification(producer, '13770000000');
        expect(redis.stream?.remotePort).toBe(d.primary.port);

        // s2 and s3 watch Y and fail it over to Y2; s1 watches X alone, knowing no other sentinel.
        await failOverApart(d, { primary: y, replica: y2 }, 1, TIMINGS);
        const s1View = await viewOf(d, s1);
        expect({ port: s1View.port, epoch: s1View.epoch, others: s1View.others }).toEqual({ port: d.primary.port, epoch: '0', others: '0' });
        expect(redis.stream?.remotePort).toBe(d.primary.port);

        await expectMovedTo(d, redis, producer, y2, (after) => {
          // s1 never learned the failover.
          expect(after[0]).toBe(`${d.primary.port}@0`);
          expect(after.slice(1).every((v) => v.startsWith(`${y2.port}@`) && !v.endsWith('@0')), after.join(', ')).toBe(true);
        });
      });
    }), 90_000);

  it('at the same epoch (no failover: Sentinel never settles it), two of three naming Y: the connection leaves the old primary for Y', () =>
    withDeployments(TIMINGS, async (d, { primary: y }) => {
      const [, s2, s3] = d.sentinels as [RedisNode, RedisNode, RedisNode];
      const redis = createProducerConnection(d.url, FIXED) as Redis;
      await withProducerOn(redis, { prefix: PREFIX, durability: FIXED }, async (producer) => {
        await sendNotification(producer, '13770000000');
        expect(redis.stream?.remotePort).toBe(d.primary.port);
        // s2 and s3 name Y; s1 still knows them, and their hellos at epoch 0 do not move it.
        for (const s of [s2, s3]) await monitorAfresh(d, s, y.port, TIMINGS);
        await waitFor(async () => (await Promise.all([s2, s3].map((s) => viewOf(d, s)))).every((v) => v.replicas === '1'), "s2 and s3 to know Y's replica", 15_000, 100);
        expect(await named(d)).toEqual([`${d.primary.port}@0`, `${y.port}@0`, `${y.port}@0`]);

        await expectMovedTo(d, redis, producer, y, (after) => expect(after).toEqual([`${d.primary.port}@0`, `${y.port}@0`, `${y.port}@0`]));
      });
    }), 60_000);
});
