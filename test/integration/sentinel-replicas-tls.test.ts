/**
 * The WAIT modes' promotion check (src/durability/promotion.ts) on a Sentinel deployment that
 * speaks only TLS, reached through a caller's own ioredis connection (REDIS_URL has no form for
 * TLS sentinels; createProducer and createSmsWorker take any ioredis connection of the right
 * role). The check asks the sentinels `SENTINEL REPLICAS` on connections of its own: made without
 * the connection's `sentinelTLS`, they got no answer from a TLS-only sentinel, the check warned
 * that it could not ask and accepted WAIT 1 where a replica-priority 0 replica could confirm every
 * write alone, the protection sentinel-promotion-order.test.ts shows without TLS silently off.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { createLogger } from '../../src/logger.js';
import { clientCommandTimeoutMs, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, redisConnectionOptions } from '../../src/queue/connection.js';
import type { Producer } from '../../producers/producer.js';
import { refusalOf, sendNotification, withProducerOn } from '../support/producer-session.js';
import { startSentinelDeployment, type RedisNode, type SentinelDeployment } from '../support/redis-topology.js';
import { collector } from '../support/text-collector.js';

const PREFIX = '{promotion-tls}';
let deployment: SentinelDeployment | undefined;
/** The replica Sentinel never promotes. */
let backup: RedisNode | undefined;
beforeAll(async () => {
  deployment = await startSentinelDeployment({ tls: true, appendfsync: 'everysec' });
  backup = await deployment.addReplica(['replica-priority 0']);
}, 60_000);
afterAll(async () => {
  await deployment?.stop();
});

/**
 * A producer's connection as a caller makes it for TLS sentinels: the `client` role's options,
 * `sentinelTLS` for the sentinels, `tls` with `enableTLSForSentinelMode` for the primary.
 */
function tlsConnection(d: SentinelDeployment, durability: DurabilityOptions & { timeoutMs: number }): Redis {
  const redis = new Redis({
    ...redisConnectionOptions({ role: 'client', commandTimeoutMs: clientCommandTimeoutMs(DEFAULT_REDIS_CONNECT_TIMEOUT_MS, durability.timeoutMs) }),
    sentinels: d.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    name: d.masterName,
    sentinelTLS: d.tls,
    enableTLSForSentinelMode: true,
    tls: d.tls,
  });
  redis.on('error', () => {});
  return redis;
}

/** A producer on the deployment's TLS in `durability`, its warnings kept in `log`, closed once `use` ends. */
const withProducer = (d: SentinelDeployment, durability: DurabilityOptions & { timeoutMs: number }, log: { write(s: string): void }, use: (producer: Producer) => Promise<void>) =>
  withProducerOn(tlsConnection(d, durability), { prefix: PREFIX, durability, logger: createLogger({ level: 'warn' }, log) }, use);

describe('the promotion check with sentinels that speak only TLS', () => {
  it('refuses WAIT 1 that the replica-priority 0 replica could meet alone, as without TLS, and writes nothing', async () => {
    const d = deployment as SentinelDeployment;
    const b = backup as RedisNode;
    const log = collector();
    await withProducer(d, { mode: 'replicas', replicas: 1, timeoutMs: 1000 }, log, async (producer) => {
      const refused = await refusalOf(sendNotification(producer, '13800138000'));
      expect(refused?.code, 'the send refused').toBe('SMSQ_REDIS_NOT_DURABLE');
      expect(log.text, 'what the producer warned').not.toContain('no sentinel answered');
      expect(refused?.message).toContain(`127.0.0.1:${b.port} (replica-priority 0)`);
      expect(refused?.message).toContain(`127.0.0.1:${d.replica.port} (replica-priority 100)`);
    });
    expect(await d.primary.keyCount(), 'keys written to the primary').toBe(0);
  }, 60_000);

  it('accepts WAIT 2, which every confirmation of includes the replica Sentinel promotes, without a warning that it could not ask', async () => {
    const d = deployment as SentinelDeployment;
    const log = collector();
    await withProducer(d, { mode: 'replicas', replicas: 2, timeoutMs: 1000 }, log, async (producer) => {
      const { sendId } = await sendNotification(producer, '13800138001');
      expect(sendId).toBeTruthy();
    });
    expect(log.text, 'what the producer warned').not.toContain('no sentinel answered');
  }, 60_000);
});
