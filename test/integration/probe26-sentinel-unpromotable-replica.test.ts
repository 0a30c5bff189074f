/**
 * Probe: SMSQ_DURABILITY=replicas (WAIT 1, the default count) on a Sentinel deployment with two
 * replicas, one of which Sentinel never promotes (`replica-priority 0`: a backup or reporting
 * replica, a common set-up). WAIT 1 returns as soon as either replica has a write, so while the
 * promotable replica lags, the unpromotable one confirms every enqueue. Produced for real: the
 * promotable replica's replication stream held in the primary's proxy (it lags for real), the
 * primary SIGKILLed with those bytes held, and the sentinels promote the only candidate, the one
 * that lags. Held to: a send the producer acknowledged is found after the failover (design
 * invariants 2 and 8; durability.md's table says a promoted replica has every claim).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducer } from '../../producers/producer.js';
import { createProducerConnection } from '../support/redis.js';
import { startSentinelDeployment, type SentinelDeployment } from '../support/redis-topology.js';
import { replicationField } from '../support/replicated-redis.js';

let deployment: SentinelDeployment | undefined;
beforeAll(async () => {
  deployment = await startSentinelDeployment({ downAfterMs: 2500, failoverTimeoutMs: 2000, appendfsync: 'everysec', proxied: true });
}, 45_000);
afterAll(async () => {
  await deployment?.stop();
});

describe('probe26: Sentinel, WAIT 1, and a second replica that Sentinel never promotes (replica-priority 0)', () => {
  it('a send acknowledged while the promotable replica lagged is found after the failover', async () => {
    const d = deployment as SentinelDeployment;
    const { primary, replica: promotable } = d;
    const backup = await d.addReplica(['replica-priority 0']);
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
    const redis = createProducerConnection(d.url, durability);
    const producer = createProducer({ redis, prefix: '{probe26-prio}', logger: createLogger({ level: 'silent' }), durability });
    try {
      const before = await producer.send({ phones: ['13800138000'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });

      // The promotable replica lags: what the primary sends it stays in the proxy.
      primary.link!.stall(promotable.port);
      const acked: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await producer.send({ phones: [`1380013810${i}`], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
        acked.push(r.sendId);
      }
      expect(primary.link!.heldBytes(), 'bytes held from the promotable replica').toBeGreaterThan(0);

      const primaryOffset = await replicationField(primary, 'master_repl_offset');
      await primary.kill();
      primary.link!.cut();
      expect(await d.waitForPromotion(primary.port, 30_000), 'the sentinels promote the replica that may be promoted').toBe(promotable.port);
      const promotedOffset = (await replicationField(promotable, 'second_repl_offset')) - 1;
      expect(promotedOffset, 'the promoted replica lacks the last writes').toBeLessThan(primaryOffset);
      expect(backup.port).not.toBe(promotable.port);

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
      expect(await found(before.sendId)).toBe('found');
      const after = await Promise.all(acked.map(found));
      expect(after, `${acked.length} sends acknowledged while the promotable replica lagged (WAIT 1 answered by the priority-0 replica)`).toEqual(acked.map(() => 'found'));
    } finally {
      await producer.close();
      redis.disconnect();
    }
  }, 120_000);
});
