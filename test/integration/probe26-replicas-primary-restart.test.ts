/**
 * Probe: SMSQ_DURABILITY=replicas on a primary without persistence (appendonly no, no RDB saves),
 * which the start-up check accepts today. Produced for real: the primary is SIGKILLed and started
 * again on its port with its own settings, as a supervisor (systemd Restart=always, a container's
 * restart policy) brings a crashed process back, sooner than Sentinel's down-after-milliseconds
 * would fail over. It comes back empty and its replica, reconnecting, copies the empty dataset: a
 * send whose enqueue WAIT had confirmed on that replica is gone (design invariants 2 and 8).
 * Redis's replication docs warn of exactly this ("Safety of replication when master has
 * persistence turned off"). Held to: a mode that cannot keep an acknowledged send through a
 * restart of its primary refuses at the door (SMSQ_REDIS_NOT_DURABLE), as `fsync` does for
 * `appendonly no`; an acknowledged send is found after the restart.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { createProducer } from '../../producers/producer.js';
import { createProducerConnection } from '../support/redis.js';
import { startReplicatedRedis } from '../support/replicated-redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('probe26: SMSQ_DURABILITY=replicas, its primary restarted by a supervisor before any failover', () => {
  it('an enqueue is refused at the door, or the send it acknowledged is still there after the restart', async () => {
    const { primary, replicaClient } = await startReplicatedRedis({ appendfsync: 'off' }, (c) => closers.push(c));
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
    const redis = createProducerConnection(primary.url, durability);
    closers.push(() => void redis.disconnect());
    const producer = createProducer({ redis, prefix: '{probe26-restart}', logger: createLogger({ level: 'silent' }), durability });
    closers.push(() => producer.close());

    const enqueued = await producer
      .send({ phones: ['13800138000', '13800138001'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' })
      .then((r) => ({ sendId: r.sendId }), (err: unknown) => ({ err: err as { code?: string; message: string } }));
    if ('err' in enqueued) {
      // Refused at the door, naming what is missing: nothing was acknowledged, nothing can be lost.
      expect(enqueued.err.code).toBe('SMSQ_REDIS_NOT_DURABLE');
      expect(enqueued.err.message).toMatch(/appendonly/);
      return;
    }
    // Acknowledged: WAIT confirmed it on the replica.
    expect(await replicaClient.exists(`{probe26-restart}:send:${enqueued.sendId}`)).toBe(1);

    // The primary crashes and is started again on its port with its own settings.
    const exited = new Promise((resolve) => primary.process.once('exit', resolve));
    primary.process.kill('SIGKILL');
    await exited;
    const restarted = await startPrivateRedis({ appendfsync: 'off', port: primary.port });
    closers.push(() => restarted.stop());
    // The replica reconnects and resynchronises from it.
    await waitFor(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 'the replica to sync again', 20_000);
    const admin = new Redis(restarted.url);
    closers.push(() => void admin.disconnect());

    const after = await producer.getStatus(enqueued.sendId).then(
      (s) => s.send.state,
      (err: unknown) => (err as { code?: string }).code,
    );
    const left = `keys left: ${await admin.dbsize()} on the restarted primary, ${await replicaClient.dbsize()} on the replica`;
    expect(after, left).toBe('active');
  }, 60_000);
});
