/**
 * A manual `SENTINEL FAILOVER` on a primary with two replicas, in SMSQ_DURABILITY=fsync+replicas.
 * Sentinel sends `REPLICAOF NO ONE` to the replica it chose, but the old primary stays up and
 * writable until Sentinel converts it (`+convert-to-slave`, some 10 s later), and for about a
 * second its other replica is still attached and answers `WAIT 1`: with the default
 * SMSQ_DURABILITY_REPLICAS=1, sends acknowledged then were on the old primary and that replica
 * only, and vanished when the replica was pointed at the promoted one and resynced (108 to 398
 * acknowledged sends read SMSQ_NOT_FOUND, in 4 runs of 195 to 494). Now the check refuses a count
 * below the replicas up (src/durability/promotion.ts judgeLeftWritable): with WAIT 2 the old
 * primary cannot confirm a write once the promoted replica has left it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import type { Producer } from '../../producers/producer.js';
import { refusalOf, sendNotification, statusAfterFailover, withProducerOn } from '../support/producer-session.js';
import { createProducerConnection } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { EXIT } from '../../src/errors.js';
import { startSentinelDeployment, type RedisNode, type SentinelDeployment } from '../support/redis-topology.js';
import type { Clock } from '../../src/clock.js';
import { waitFor } from '../support/wait.js';
import { roleOf, sendThroughManualFailover } from '../support/sentinel-failover.js';

const PREFIX = '{manual-failover}';
let deployment: SentinelDeployment | undefined;
/** The second replica, added by the first test. */
let second: RedisNode | undefined;
/** The second replica: the first test adds it once the producer has run beside one replica. */
const secondReplica = async (d: SentinelDeployment) => (second ??= await d.addReplica());
beforeAll(async () => {
  deployment = await startSentinelDeployment({ downAfterMs: 2500, failoverTimeoutMs: 5000 });
}, 45_000);
afterAll(async () => {
  await deployment?.stop();
});

const withProducer = (d: SentinelDeployment, durability: DurabilityOptions, use: (producer: Producer) => Promise<void>, clock?: Clock) =>
  withProducerOn(createProducerConnection(d.url, durability), { prefix: PREFIX, durability, ...(clock ? { clock } : {}) }, use);

/** The words of the refusal of a count below the replicas up, `ports` the replicas it names. */
function expectLeftWritableRefusal(refused: { code?: string; message: string } | undefined, ports: number[]): void {
  expect(refused?.code).toBe('SMSQ_REDIS_NOT_DURABLE');
  expect(refused?.message).toMatch(
    /`durability\.mode: "fsync\+replicas"` waits for 1 replica\(s\), and 2 replicas are up \(the sentinels list .*\): a manual SENTINEL FAILOVER, or a network partition that leaves the old primary with some of its replicas, leaves the old primary writable with the replicas not promoted, and writes they confirm are lost when Sentinel points them at the promoted replica\. Fix: `durability\.replicas: 2`, so that every confirmation includes the replica Sentinel promotes \(a replica down then holds every call until it is back\)/,
  );
  for (const port of ports) expect(refused?.message).toContain(`127.0.0.1:${port}`);
}

describe('a manual SENTINEL FAILOVER with two replicas, the old primary writable meanwhile', () => {
  it('a running producer with SMSQ_DURABILITY_REPLICAS=1, accepted beside one replica, refuses at its re-check once a second one is up', async () => {
    const d = deployment as SentinelDeployment;
    const durability: DurabilityOptions = { mode: 'fsync+replicas', replicas: 1, timeoutMs: 1000 };
    // The producer checks again on its first write 30 s after the last check (DURABILITY_RECHECK_MS).
    let ahead = 0;
    await withProducer(d, durability, async (producer) => {
      await sendNotification(producer, '13800138000');
      await secondReplica(d);
      ahead = 31_000;
      expectLeftWritableRefusal(await refusalOf(sendNotification(producer, '13800138001')), [d.replica.port, (second as RedisNode).port]);
    }, { now: () => Date.now() + ahead });
  }, 60_000);

  it('SMSQ_DURABILITY_REPLICAS=1 with two replicas is refused before anything is written, naming them and the count that holds', async () => {
    const d = deployment as SentinelDeployment;
    await secondReplica(d);
    const keys = await d.primary.keyCount();
    await withProducer(d, { mode: 'fsync+replicas', replicas: 1, timeoutMs: 1000 }, async (producer) => {
      expectLeftWritableRefusal(await refusalOf(sendNotification(producer, '13800138002')), [d.replica.port, (second as RedisNode).port]);
    });
    expect(await d.primary.keyCount(), 'keys on the primary').toBe(keys);
  }, 30_000);

  it('`smsq worker` with SMSQ_DURABILITY=fsync+replicas and the default count: exit 3, said in its variables, nothing written', async () => {
    const d = deployment as SentinelDeployment;
    await secondReplica(d);
    const keys = await d.primary.keyCount();
    const env = { REDIS_URL: d.url, SMSQ_PREFIX: PREFIX, SMSQ_DURABILITY: 'fsync+replicas', SMS_MODE: 'sandbox', SMS_ENDPOINT: '127.0.0.1:9', LOG_LEVEL: 'warn' };
    const res = await runSmsqInProcess(['worker'], { env });
    expect(res.code, res.stderr).toBe(EXIT.dependency);
    expect(res.stderr).toMatch(/SMSQ_DURABILITY=fsync\+replicas waits for 1 replica\(s\), and 2 replicas are up .*Fix: SMSQ_DURABILITY_REPLICAS=2, so that every confirmation includes the replica Sentinel promotes/);
    expect(await d.primary.keyCount(), 'keys on the primary').toBe(keys);
  }, 30_000);

  it('with SMSQ_DURABILITY_REPLICAS=2, every send acknowledged around the failover is found after it', async () => {
    const d = deployment as SentinelDeployment;
    const durability: DurabilityOptions = { mode: 'fsync+replicas', replicas: 2, timeoutMs: 1000 };
    await secondReplica(d);
    await withProducer(d, durability, async (producer) => {
      const { acked, refused } = await sendThroughManualFailover(d, producer);
      // Once the promoted replica left the old primary, WAIT 2 there could not be met: refused, never acknowledged.
      expect(refused.length, 'sends refused during the failover').toBeGreaterThan(0);
      for (const code of refused) expect(code).toMatch(/^SMSQ_(NOT_DURABLE|REDIS_UNAVAILABLE|REDIS_NOT_DURABLE)$/);
      const outcomes = [];
      for (const sendId of acked) outcomes.push(await statusAfterFailover(producer, sendId));
      const missing = outcomes.filter((o) => o !== 'found');
      console.log(`k=2: ${acked.length} acknowledged, ${refused.length} refused (${[...new Set(refused)].join(', ')}), ${missing.length} acknowledged and missing`);
      expect(missing).toEqual([]);
    });
  }, 60_000);
});

describe('a manual SENTINEL FAILOVER: the connection leaves the demoted primary once a WAIT falls short there', () => {
  it('with SMSQ_DURABILITY_REPLICAS=2, the producer moves to the promoted primary while the old one still answers as master, and refuses at once until it can confirm', async () => {
    const d = deployment as SentinelDeployment;
    const durability: DurabilityOptions = { mode: 'fsync+replicas', replicas: 2, timeoutMs: 1000 };
    const nodes = [d.primary, d.replica, await secondReplica(d)];
    const oldPort = await d.primaryPort();
    const old = nodes.find((n) => n.port === oldPort) as RedisNode;
    const redis = createProducerConnection(d.url, durability) as Redis;
    await withProducerOn(redis, { prefix: PREFIX, durability }, async (producer) => {
      const outcomes: { startedAt: number; endedAt: number; sendId?: string; code?: string }[] = [];
      let stop = false;
      let n = 0;
      const lane = async () => {
        while (!stop) {
          const startedAt = Date.now();
          await sendNotification(producer, String(13900000000 + n++)).then(
            (r) => void outcomes.push({ startedAt, endedAt: Date.now(), sendId: r.sendId }),
            async (err: unknown) => {
              outcomes.push({ startedAt, endedAt: Date.now(), code: (err as { code?: string }).code ?? String(err) });
              await new Promise((r) => setTimeout(r, 50));
            },
          );
        }
      };
      const running = Array.from({ length: 4 }, lane);
      try {
        await waitFor(() => outcomes.filter((o) => o.sendId).length >= 20, 'sends acknowledged before the failover', 20_000);
        const sentinel = d.sentinels[0]!.admin();
        const failedOverAt = Date.now();
        try {
          await sentinel.connect();
          await sentinel.call('SENTINEL', 'FAILOVER', d.masterName);
        } finally {
          sentinel.disconnect();
        }
        const newPort = await d.waitForPromotion(oldPort, 20_000);
        const promotedAt = Date.now();
        await waitFor(() => redis.status === 'ready' && redis.stream?.remotePort === newPort, "the producer's connection on the promoted primary", 30_000, 20);
        const movedAt = Date.now();
        const oldRole = await roleOf(old);
        // Sentinel converts the old primary some 8-18 s after the promotion; until then it answered
        // writes, and the connection stayed there, each WAIT 2 falling short after its timeout.
        expect(oldRole, 'the old primary when the connection reached the promoted one').toBe('master');
        await waitFor(async () => (await roleOf(old)) === 'slave', 'the old primary converted to a replica', 30_000, 200);
        const convertedAt = Date.now();
        // The promoted primary has one replica until the old one is converted and synced: WAIT 2
        // cannot be met before, and the durability check says so at once.
        await waitFor(() => outcomes.some((o) => o.sendId && o.startedAt >= convertedAt), 'a send begun after the conversion acknowledged', 30_000, 20);
        const resumedAt = Date.now();
        stop = true;
        await Promise.all(running);
        // Sends acknowledged just before `convertedAt` (read every 200 ms) met WAIT 2 once the old
        // primary had synced: the check below finds them all.
        const between = outcomes.filter((o) => o.startedAt >= movedAt && o.endedAt <= convertedAt);
        const longest = Math.max(0, ...between.map((o) => o.endedAt - o.startedAt));
        console.log(
          `promoted ${promotedAt - failedOverAt} ms after SENTINEL FAILOVER; connection on the promoted primary ${movedAt - promotedAt} ms later, old primary converted ${convertedAt - promotedAt} ms, sends acknowledged again ${resumedAt - promotedAt} ms after the promotion; ` +
            `${between.length} sends in between, longest ${longest} ms (${[...new Set(between.map((o) => o.code ?? 'acknowledged'))].join(', ')})`,
        );
        expect(longest, 'the longest send refused on the promoted primary before the conversion (ms)').toBeLessThan(durability.timeoutMs as number);
        const missing = [];
        for (const o of outcomes) if (o.sendId && (await statusAfterFailover(producer, o.sendId)) !== 'found') missing.push(o.sendId);
        expect(missing, 'sends acknowledged and missing').toEqual([]);
      } finally {
        stop = true;
        await Promise.all(running);
      }
    });
  }, 120_000);
});
