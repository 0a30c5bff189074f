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
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { createProducerConnection } from '../support/redis.js';
import { startSentinelDeployment, type RedisNode, type SentinelDeployment } from '../support/redis-topology.js';
import { replicationField } from '../support/replicated-redis.js';

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

const send = (producer: Producer, phone: string) => producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });

describe('Sentinel, WAIT, and a second replica that Sentinel never promotes (replica-priority 0)', () => {
  it('WAIT 1 is refused before anything is written, naming the replicas, their priorities and the two fixes', async () => {
    const d = deployment as SentinelDeployment;
    backup = await d.addReplica(['replica-priority 0']);
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
    const redis = createProducerConnection(d.url, durability);
    const producer = createProducer({ redis, prefix: PREFIX, logger: createLogger({ level: 'silent' }), durability });
    try {
      const refused = await send(producer, '13800138000').then(
        () => undefined,
        (err: unknown) => err as { code?: string; message: string },
      );
      expect(refused?.code).toBe('SMSQ_REDIS_NOT_DURABLE');
      expect(refused?.message).toContain(`127.0.0.1:${d.replica.port} (replica-priority 100)`);
      expect(refused?.message).toContain(`127.0.0.1:${backup.port} (replica-priority 0)`);
      expect(refused?.message).toMatch(/SMSQ_DURABILITY=replicas waits for 1 replica\(s\), and 1 of the replicas the sentinels list may answer without the one they would promote .*Fix: SMSQ_DURABILITY_REPLICAS=2, .* or give the replicas one non-zero replica-priority/);
      const admin = d.primary.admin();
      try {
        expect(await admin.dbsize(), 'keys written to the primary').toBe(0);
      } finally {
        admin.disconnect();
      }
    } finally {
      await producer.close();
      redis.disconnect();
    }
  }, 60_000);

  it('with SMSQ_DURABILITY_REPLICAS=2, every send acknowledged while the promotable replica lagged is found after the failover', async () => {
    const d = deployment as SentinelDeployment;
    const { primary, replica: promotable } = d;
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 2, timeoutMs: 1000 };
    const redis = createProducerConnection(d.url, durability);
    const producer = createProducer({ redis, prefix: PREFIX, logger: createLogger({ level: 'silent' }), durability });
    try {
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

      // Read as a caller does: again while the connection follows the sentinels to the new primary.
      const found = async (sendId: string): Promise<string> => {
        for (let tries = 0; ; tries++) {
          const outcome = await producer.getStatus(sendId).then(
            () => 'found',
            (err: unknown) => (err as { code?: string }).code ?? String(err),
          );
          if (outcome !== 'SMSQ_REDIS_UNAVAILABLE' || tries === 50) return outcome;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      expect(await Promise.all(acked.map(found)), `${acked.length} sends acknowledged`).toEqual(acked.map(() => 'found'));
    } finally {
      await producer.close();
      redis.disconnect();
    }
  }, 120_000);
});
