/**
 * smsq's slot moving between Cluster masters while smsq runs: a live reshard (SETSLOT
 * IMPORTING/MIGRATING, MIGRATE of the keys, SETSLOT NODE, as `redis-cli --cluster reshard` does)
 * and a master SIGKILLed and its replica promoted. Real redis-server processes (test/support/redis-topology.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSentNumbers } from '../../src/receipts/sent-numbers.js';
import { startClusterDeployment, type ClusterDeployment } from '../support/redis-topology.js';

const connections: RedisConnection[] = [];
function connect(url: string): RedisConnection {
  const redis = createRedisConnection(url);
  connections.push(redis);
  return redis;
}

describe('Redis Cluster: smsq slot moves', () => {
  let cluster: ClusterDeployment;
  beforeAll(async () => {
    cluster = await startClusterDeployment();
  }, 45_000);
  afterAll(async () => {
    for (const c of connections.splice(0)) c.disconnect();
    await cluster?.stop();
  });

  it('a live reshard of the slot completes while sent numbers are recorded, and every number recorded is found after it', async () => {
    const prefix = '{smsq-move1}';
    const keys = createKeys(prefix);
    const redis = connect(cluster.url);
    const sent = createSentNumbers({ redis, keys, retentionSeconds: 86_400, clock: systemClock });
    // Numbers of the same 8 buckets (value % 1024) each time: every record touches the bucket keys of the first.
    let round = 0;
    const batch = () => {
      const base = 13900000000 - (13900000000 % 1024) + 1024 * round++;
      return Array.from({ length: 8 }, (_, b) => String(base + b));
    };
    const recorded: string[] = [];
    const failures: unknown[] = [];
    const record = async () => {
      const phones = batch();
      try {
        await sent.record([phones]);
        recorded.push(...phones);
      } catch (err) {
        failures.push(err);
      }
    };
    for (let i = 0; i < 5; i++) await record();
    const ownerPort = await cluster.portServing(prefix);
    const to = cluster.masters.find((m) => m.port !== ownerPort)!;
    const move = await cluster.beginSlotMove(prefix, to);
    // Half the bucket keys move first; records go on while the other half is still on the owner.
    const admin = move.from.admin();
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', prefix));
    const onOwner = (await admin.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
    admin.disconnect();
    expect(onOwner.length).toBeGreaterThan(4);
    await move.migrate(onOwner.slice(0, Math.floor(onOwner.length / 2)));
    for (let i = 0; i < 5; i++) await record();
    // A record that names a key on each side is refused (TRYAGAIN) rather than run on the wrong node.
    await move.finish();
    for (let i = 0; i < 5; i++) await record();
    expect(await cluster.portServing(prefix)).toBe(to.port);
    expect(recorded.length).toBeGreaterThanOrEqual(10 * 8);
    const found = await sent.check(recorded);
    expect(recorded.filter((_, i) => !found[i])).toEqual([]);
  }, 30_000);
});
