/**
 * SMSQ_DURABILITY=replicas on a Sentinel deployment where WAIT may be answered by a replica
 * Sentinel would not promote: a second replica with `replica-priority 0` (a backup or reporting
 * replica, a common set-up). WAIT 1 returns as soon as either replica has a write, so while the
 * promotable replica lagged, the unpromotable one confirmed every enqueue; the primary SIGKILLed,
 * the sentinels promoted the one that lagged, and 5 of 5 sends acknowledged meanwhile read
 * SMSQ_NOT_FOUND (design invariants 2 and 8). Produced for real: the promotable replica's
 * replication stream held in the primary's proxy (it lags for real), the primary SIGKILLed with
 * those bytes held. Now the start-up check asks a sentinel which replicas it would promote
 * (src/durability/promotion.ts) and refuses a count that replicas outside that group can meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import type { Clock } from '../../src/clock.js';
import type { Producer } from '../../producers/producer.js';
import { refusalOf, sendNotification, statusAfterFailover, withProducerOn } from '../support/producer-session.js';
import { createProducerConnection } from '../support/redis.js';
import { startSentinelDeployment, type RedisNode, type SentinelDeployment } from '../support/redis-topology.js';
import { replicationField } from '../support/replicated-redis.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{promotion-order}';
let deployment: SentinelDeployment | undefined;
/** The replica Sentinel never promotes, added by the first test. */
let backup: RedisNode | undefined;
beforeAll(async () => {
  deployment = await startSentinelDeployment({ downAfterMs: 2500, failoverTimeoutMs: 2000, appendfsync: 'everysec', proxied: true });
}, 45_000);
afterAll(async () => {
  await deployment?.stop();
});

/**
 * Sets a replica's priority and waits until every sentinel lists it (they read a replica's INFO
 * every 10 s; every 250 ms during this wait).
 */
async function setPriority(d: SentinelDeployment, replica: RedisNode, priority: number): Promise<void> {
  const admin = replica.admin();
  try {
    await admin.config('SET', 'replica-priority', String(priority));
  } finally {
    admin.disconnect();
  }
  await d.withFrequentInfo(async () => {
    for (const sentinel of d.sentinels) await listsPriority(d, sentinel, replica, priority);
  });
}

/** Waits until `sentinel` lists `replica` with `priority`. */
async function listsPriority(d: SentinelDeployment, sentinel: RedisNode, replica: RedisNode, priority: number): Promise<void> {
  await waitFor(async () => {
    const client = sentinel.admin();
    try {
      const replicas = (await client.call('SENTINEL', 'REPLICAS', d.masterName)) as string[][];
      return replicas.some((fields) => {
        const field = (name: string) => fields[fields.indexOf(name) + 1];
        return field('port') === String(replica.port) && field('slave-priority') === String(priority);
      });
    } finally {
      client.disconnect();
    }
  }, `the sentinels to list priority ${priority}`, 30_000, 200);
}

/** A producer on the deployment in `durability`, closed once `use` ends. */
const withProducer = (d: SentinelDeployment, durability: DurabilityOptions, use: (producer: Producer) => Promise<void>, clock?: Clock) =>
  withProducerOn(createProducerConnection(d.url, durability), { prefix: PREFIX, durability, ...(clock ? { clock } : {}) }, use);

const send = sendNotification;

describe('Sentinel, WAIT, and a second replica that Sentinel never promotes (replica-priority 0)', () => {
  it('WAIT 1 is refused before anything is written, naming the replicas, their priorities and the two fixes', async () => {
    const d = deployment as SentinelDeployment;
    const b = await d.addReplica(['replica-priority 0']);
    backup = b;
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
    await withProducer(d, durability, async (producer) => {
      const refused = await refusalOf(send(producer, '13800138000'));
      expect(refused?.code).toBe('SMSQ_REDIS_NOT_DURABLE');
      expect(refused?.message).toContain(`127.0.0.1:${d.replica.port} (replica-priority 100)`);
      expect(refused?.message).toContain(`127.0.0.1:${b.port} (replica-priority 0)`);
      expect(refused?.message).toMatch(/`durability\.mode: "replicas"` waits for 1 replica\(s\), and 1 of the replicas the sentinels list may answer without the one they would promote .*Fix: `durability\.replicas: 2`, .* or give the replicas one non-zero replica-priority/);
      expect(await d.primary.keyCount(), 'keys written to the primary').toBe(0);
    });
  }, 60_000);

  it('a running producer with SMSQ_DURABILITY_REPLICAS=2, accepted while one replica may be promoted, refuses at its re-check once it too is given replica-priority 0', async () => {
    const d = deployment as SentinelDeployment;
    // With both replicas up, WAIT 1 is refused whatever their priorities (a failover that leaves
    // the old primary writable: sentinel-manual-failover.test.ts); WAIT 2 is not, while the
    // first replica may be promoted.
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 2, timeoutMs: 1000 };
    // The producer checks again on its first write 30 s after the last check (DURABILITY_RECHECK_MS).
    let ahead = 0;
    try {
      await withProducer(d, durability, async (producer) => {
        await send(producer, '13800138000');
        await setPriority(d, d.replica, 0);
        ahead = 31_000;
        const refused = await refusalOf(send(producer, '13800138001'));
        expect(refused?.code).toBe('SMSQ_REDIS_NOT_DURABLE');
        // Both named, in the order the sentinel lists them (not always the same).
        expect(refused?.message).toContain(`127.0.0.1:${d.replica.port} (replica-priority 0)`);
        expect(refused?.message).toContain(`127.0.0.1:${(backup as RedisNode).port} (replica-priority 0)`);
      }, { now: () => Date.now() + ahead });
    } finally {
      // The next test has Sentinel promote this replica.
      await setPriority(d, d.replica, 100);
    }
  }, 90_000);

  it('with SMSQ_DURABILITY_REPLICAS=2, every send acknowledged while the promotable replica lagged is found after the failover', async () => {
    const d = deployment as SentinelDeployment;
    const { primary, replica: promotable } = d;
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 2, timeoutMs: 1000 };
    await withProducer(d, durability, async (producer) => {
      const acked = [(await send(producer, '13800138000')).sendId];

      // The promotable replica lags: what the primary sends it stays in the proxy.
      primary.link!.stall(promotable.port);
      const whileLagging: string[] = [];
      for (let i = 0; i < 5; i++) {
        await send(producer, `1380013810${i}`).then(
          (r) => void acked.push(r.sendId),
          (err: unknown) => void whileLagging.push((err as { code?: string }).code ?? String(err)),
        );
      }
      // Only the priority-0 replica could confirm them: none is acknowledged.
      expect(whileLagging).toEqual(Array(5).fill('SMSQ_NOT_DURABLE'));
      expect(primary.link!.heldBytes(), 'bytes held from the promotable replica').toBeGreaterThan(0);

      const primaryOffset = await replicationField(primary, 'master_repl_offset');
      await primary.kill();
      primary.link!.cut();
      expect(await d.waitForPromotion(primary.port, 30_000), 'the sentinels promote the replica that may be promoted').toBe(promotable.port);
      const promotedOffset = (await replicationField(promotable, 'second_repl_offset')) - 1;
      expect(promotedOffset, 'the promoted replica lacks the last writes').toBeLessThan(primaryOffset);
      expect(backup?.port).not.toBe(promotable.port);

      expect(await Promise.all(acked.map((id) => statusAfterFailover(producer, id))), `${acked.length} sends acknowledged`).toEqual(acked.map(() => 'found'));
    });
  }, 120_000);
});
