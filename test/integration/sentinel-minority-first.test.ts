/**
 * SMSQ_DURABILITY_REPLICAS=all through Sentinel, when the first sentinel REDIS_URL lists is on
 * the minority side: it still names the old primary X, while the two others name another, Y.
 *
 * Made for real without network tools: X with a replica and three sentinels (s1, s2, s3, listed in
 * that order); then s2 and s3 stop monitoring X and monitor Y (a primary with its own replica)
 * under the same name. Their hello messages reach s1 (and s1's reach them) with config epoch 0 on
 * both sides, so neither adopts the other's primary (a sentinel switches only to a newer epoch):
 * s1 keeps naming X, s2 and s3 keep naming Y, as on the two sides of a partition. The test checks
 * that they do.
 *
 * The count of the replicas (src/durability/replica-count.ts) found the majority naming Y and
 * confirmed nothing on X; it then asked the sentinels one after another which primary they name,
 * trusted s1, the first to answer, and left the connection on X: every send was refused for as
 * long as the sentinels disagreed.
 *
 * First, on the same deployment before it is split: a REDIS_URL listing one of its three sentinels
 * is warned of by the check (src/durability/sentinels-listed.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { checkRedisDurability } from '../../src/durability/check.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { sendNotification, withProducerOn } from '../support/producer-session.js';
import { createProducerConnection } from '../support/redis.js';
import { startReplicatedPrimary, startSentinelDeployment, type RedisNode, type ReplicatedPrimary, type SentinelDeployment } from '../support/redis-topology.js';
import { onNode, sendUntilAcknowledged } from '../support/sentinel-failover.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{minority-first}';
const ALL: DurabilityOptions = { mode: 'fsync+replicas', replicas: 'all', timeoutMs: 1000 };
const DOWN_AFTER_MS = 2000;
const FAILOVER_TIMEOUT_MS = 5000;

let deployment: SentinelDeployment | undefined;
let other: ReplicatedPrimary | undefined;
beforeAll(async () => {
  [deployment, other] = await Promise.all([startSentinelDeployment({ downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS }), startReplicatedPrimary()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([deployment?.stop(), other?.stop()]);
});

/** The port of the primary each sentinel names, in the deployment's order. */
const namedPorts = (d: SentinelDeployment) =>
  Promise.all(d.sentinels.map((s) => onNode(s, async (c) => Number(((await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', d.masterName)) as [string, string])[1]))));

/** `SENTINEL MASTER <name>` of `sentinel`, as a map. */
const masterFields = (d: SentinelDeployment, sentinel: RedisNode) =>
  onNode(sentinel, async (c) => {
    const flat = (await c.call('SENTINEL', 'MASTER', d.masterName)) as string[];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
    return fields;
  });

describe('SMSQ_DURABILITY_REPLICAS=all: REDIS_URL listing fewer sentinels than the deployment has', () => {
  it('the check warns once, naming both numbers and the fix; listing all three, it says nothing', async () => {
    const d = deployment as SentinelDeployment;
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const said = () => lines.map((l) => JSON.parse(l) as { msg: string; fix: string }).filter((l) => /sentinel\(s\)/.test(l.msg));
    for (const [url, expected] of [
      [d.url, 0],
      [`redis+sentinel://127.0.0.1:${d.sentinels[0]!.port}/${d.masterName}`, 1],
    ] as const) {
      lines.length = 0;
      const redis = createRedisConnection(url, { role: 'client' }) as Redis;
      try {
        await waitFor(() => redis.status === 'ready', 'the connection through the sentinels');
        const warned = new Set<string>();
        await checkRedisDurability(redis, ALL, logger, warned);
        await checkRedisDurability(redis, ALL, logger, warned);
        expect(said(), url).toHaveLength(expected);
      } finally {
        redis.disconnect();
      }
    }
    const [line] = said();
    expect(line?.msg).toMatch(/^DURABILITY: `redis` lists 1 sentinel\(s\), and the deployment has 3 .* fewer than a majority \(2\), so no replica is ever left out/);
    expect(line?.fix).toBe('list every sentinel in `redis`, e.g. `redis: "redis+sentinel://host1:26379,host2:26379,host3:26379/name"`');
  }, 30_000);
});

describe('SMSQ_DURABILITY_REPLICAS=all: the first sentinel listed names the old primary, a majority another', () => {
  it('the connection leaves the old primary and sends are acknowledged again on the one the majority names', async () => {
    const d = deployment as SentinelDeployment;
    const y = (other as ReplicatedPrimary).primary;
    const [s1, s2, s3] = d.sentinels as [RedisNode, RedisNode, RedisNode];
    const redis = createProducerConnection(d.url, ALL) as Redis;
    await withProducerOn(redis, { prefix: PREFIX, durability: ALL }, async (producer) => {
      // Sending fine on X, found through s1 (the first listed).
      await sendNotification(producer, '13760000000');
      expect(redis.status).toBe('ready');

      // s2 and s3 now name Y, as a majority on the far side of a partition would.
      for (const s of [s2, s3]) {
        await onNode(s, async (c) => {
          await c.call('SENTINEL', 'REMOVE', d.masterName);
          await c.call('SENTINEL', 'MONITOR', d.masterName, '127.0.0.1', y.port, 2);
          await c.call('SENTINEL', 'SET', d.masterName, 'down-after-milliseconds', DOWN_AFTER_MS, 'failover-timeout', FAILOVER_TIMEOUT_MS, 'parallel-syncs', 1);
        });
      }
      // Each knows Y's replica (from Y's INFO) before the connection could land on Y.
      await waitFor(async () => (await Promise.all([s2, s3].map(async (s) => (await masterFields(d, s)).get('num-slaves')))).every((n) => n === '1'), "s2 and s3 to know Y's replica", 15_000, 100);
      expect(await namedPorts(d)).toEqual([d.primary.port, y.port, y.port]);

      // X loses its replica (it went with the majority's side): its WAIT falls short, and the
      // replicas are counted again: a majority names Y.
      await d.replica.kill();
      const changedAt = Date.now();
      const { refusals, acknowledgedAt } = await sendUntilAcknowledged(producer, 13760000001, 'a send acknowledged again after a majority of the sentinels named Y', 15_000, (refused) =>
        `minority first: ${refused.length} sends since, refused with ${[...new Set(refused)].join(', ')}; the sentinels name ports ${d.primary.port} (X), ${y.port} (Y)`,
      );
      console.log(`minority first: acknowledged again ${acknowledgedAt - changedAt} ms after X lost its replica, ${refusals.length} send(s) refused before (${[...new Set(refusals)].join(', ')})`);
      // On Y: the connection is there, and holds the send.
      const client = y.admin();
      try {
        await client.connect();
        expect(await client.dbsize()).toBeGreaterThan(0);
      } finally {
        client.disconnect();
      }
      expect(redis.stream?.remotePort).toBe(y.port);
      // The sentinels still disagree: neither side took the other's primary.
      expect(await namedPorts(d)).toEqual([d.primary.port, y.port, y.port]);
      expect((await masterFields(d, s1)).get('config-epoch')).toBe('0');
    });
  }, 45_000);
});
