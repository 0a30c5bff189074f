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
import { startReplicatedPrimary, startSentinelDeployment, type RedisNode, type ReplicatedPrimary, type SentinelDeployment } from '../support/redis-topology.js';
import { onNode, roleOf, sendUntilAcknowledged } from '../support/sentinel-failover.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{minority-epoch}';
const FIXED: DurabilityOptions = { mode: 'fsync+replicas', replicas: 1, timeoutMs: 1000 };
const DOWN_AFTER_MS = 2000;
const FAILOVER_TIMEOUT_MS = 5000;

/** X's deployment and Y's pair, fresh for each test (each splits the sentinels its own way). */
async function withDeployments(use: (d: SentinelDeployment, other: ReplicatedPrimary) => Promise<void>): Promise<void> {
  const [d, other] = await Promise.allSettled([startSentinelDeployment({ downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS }), startReplicatedPrimary()]);
  try {
    if (d.status === 'rejected') throw d.reason;
    if (other.status === 'rejected') throw other.reason;
    await use(d.value, other.value);
  } finally {
    await Promise.all([d, other].map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  }
}

/** `SENTINEL MASTER <name>` of `sentinel`, as a map, with the port it names now (GET-MASTER-ADDR-BY-NAME). */
const viewOf = (d: SentinelDeployment, sentinel: RedisNode) =>
  onNode(sentinel, async (c) => {
    const flat = (await c.call('SENTINEL', 'MASTER', d.masterName)) as string[];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
    const [, port] = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', d.masterName)) as [string, string];
    return { port: Number(port), epoch: fields.get('config-epoch'), others: fields.get('num-other-sentinels'), replicas: fields.get('num-slaves') };
  });

/** Each sentinel's `port@epoch`, in the deployment's order. */
const named = async (d: SentinelDeployment) => (await Promise.all(d.sentinels.map((s) => viewOf(d, s)))).map((v) => `${v.port}@${v.epoch}`);

/** `SENTINEL REMOVE` and `MONITOR` of `port` under the deployment's name, with its timings. */
const monitorAfresh = (d: SentinelDeployment, sentinel: RedisNode, port: number) =>
  onNode(sentinel, async (c) => {
    await c.call('SENTINEL', 'REMOVE', d.masterName);
    await c.call('SENTINEL', 'MONITOR', d.masterName, '127.0.0.1', port, 2);
    await c.call('SENTINEL', 'SET', d.masterName, 'down-after-milliseconds', DOWN_AFTER_MS, 'failover-timeout', FAILOVER_TIMEOUT_MS, 'parallel-syncs', 1);
  });

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
    withDeployments(async (d, { primary: y, replica: y2 }) => {
      const [s1, s2, s3] = d.sentinels as [RedisNode, RedisNode, RedisNode];
      const redis = createProducerConnection(d.url, FIXED) as Redis;
      await withProducerOn(redis, { prefix: PREFIX, durability: FIXED }, async (producer) => {
        // Sending fine on X, found through s1 (the first listed).
        await sendNotification(producer, '13770000000');
        expect(redis.stream?.remotePort).toBe(d.primary.port);

        // s2 and s3 watch Y; s1 watches X alone, knowing no other sentinel.
        for (const s of [s2, s3]) await monitorAfresh(d, s, y.port);
        await monitorAfresh(d, s1, d.primary.port);
        await waitFor(async () => (await Promise.all([s2, s3].map((s) => viewOf(d, s)))).every((v) => v.replicas === '1' && v.others === '1'), "s2 and s3 to know Y's replica and each other", 20_000, 100);
        await waitFor(async () => (await viewOf(d, s1)).replicas === '1', "s1 to know X's replica", 15_000, 100);

        // A real failover on the majority's side: Y2 promoted, the epoch raised, Y made its replica.
        await onNode(s2, (c) => c.call('SENTINEL', 'FAILOVER', d.masterName));
        await waitFor(async () => (await Promise.all([s2, s3].map((s) => viewOf(d, s)))).every((v) => v.port === y2.port && Number(v.epoch) >= 1), 's2 and s3 to name Y2 at the raised epoch', 20_000, 100);
        await waitFor(async () => (await roleOf(y)) === 'slave' && (await onNode(y2, (c) => c.info('replication'))).includes('connected_slaves:1'), 'Y converted to a replica of Y2', 30_000, 200);
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
    withDeployments(async (d, { primary: y }) => {
      const [, s2, s3] = d.sentinels as [RedisNode, RedisNode, RedisNode];
      const redis = createProducerConnection(d.url, FIXED) as Redis;
      await withProducerOn(redis, { prefix: PREFIX, durability: FIXED }, async (producer) => {
        await sendNotification(producer, '13770000000');
        expect(redis.stream?.remotePort).toBe(d.primary.port);
        // s2 and s3 name Y; s1 still knows them, and their hellos at epoch 0 do not move it.
        for (const s of [s2, s3]) await monitorAfresh(d, s, y.port);
        await waitFor(async () => (await Promise.all([s2, s3].map((s) => viewOf(d, s)))).every((v) => v.replicas === '1'), "s2 and s3 to know Y's replica", 15_000, 100);
        expect(await named(d)).toEqual([`${d.primary.port}@0`, `${y.port}@0`, `${y.port}@0`]);

        await expectMovedTo(d, redis, producer, y, (after) => expect(after).toEqual([`${d.primary.port}@0`, `${y.port}@0`, `${y.port}@0`]));
      });
    }), 60_000);
});
