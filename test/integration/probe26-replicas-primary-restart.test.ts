/**
 * SMSQ_DURABILITY=replicas and a primary restarted before any failover, produced for real: the
 * primary is SIGKILLed and started again on its port with its own settings, as a supervisor
 * (systemd Restart=always, a container's restart policy) brings a crashed process back, sooner
 * than Sentinel's down-after-milliseconds would fail over. Its replica reconnects and copies what
 * the restarted primary holds. Without persistence (appendonly no, no RDB saves) that is nothing:
 * a send whose enqueue WAIT had confirmed on the replica read SMSQ_NOT_FOUND, 0 keys left on
 * either server (design invariants 2 and 8; Redis's replication docs warn of it, "Safety of
 * replication when master has persistence turned off"), and the start-up check accepted that
 * primary. Now the mode refuses it at the door, as `fsync` refuses `appendonly no`; with an AOF,
 * even `everysec` (the page cache keeps what a killed process wrote), the send is still there.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { createProducer } from '../../producers/producer.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { createProducerConnection } from '../support/redis.js';
import { followPrimary } from '../support/replicated-redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DURABILITY: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
const PREFIX = '{probe26-restart}';

/** A primary that a crash and a supervisor's restart bring back on its port, as its settings keep it. */
interface RestartablePrimary {
  url: string;
  port: number;
  crashAndRestart(): Promise<void>;
}

/** appendonly no: started again, it is a new empty server on the same port. */
async function primaryWithoutPersistence(): Promise<RestartablePrimary> {
  const first = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => first.stop());
  return {
    url: first.url,
    port: first.port,
    async crashAndRestart() {
      const exited = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGKILL');
      await exited;
      const again = await startPrivateRedis({ appendfsync: 'off', port: first.port });
      closers.push(() => again.stop());
    },
  };
}

/** An AOF with appendfsync everysec, started again on the same data directory. */
async function primaryWithAof(): Promise<RestartablePrimary> {
  const server = await startCrashableRedis({ appendfsync: 'everysec' });
  closers.push(() => server.stop());
  return {
    url: server.url,
    port: server.port,
    async crashAndRestart() {
      await server.kill();
      await server.start();
    },
  };
}

describe('SMSQ_DURABILITY=replicas, its primary crashed and restarted by a supervisor before any failover', () => {
  it.each([
    ['appendonly no', primaryWithoutPersistence],
    ['an AOF (everysec)', primaryWithAof],
  ])('with %s: an enqueue is refused at the door, or the send it acknowledged is still there after the restart', async (_setting, startPrimary) => {
    const primary = await startPrimary();
    const replica = await startPrivateRedis({ appendfsync: 'off' });
    closers.push(() => replica.stop());
    await followPrimary(replica, primary.port);
    const replicaClient = new Redis(replica.url);
    closers.push(() => void replicaClient.disconnect());
    const redis = createProducerConnection(primary.url, DURABILITY);
    closers.push(() => void redis.disconnect());
    const producer = createProducer({ redis, prefix: PREFIX, logger: createLogger({ level: 'silent' }), durability: DURABILITY });
    closers.push(() => producer.close());

    const enqueued = await producer
      .send({ phones: ['13800138000', '13800138001'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' })
      .then((r) => ({ sendId: r.sendId }), (err: unknown) => ({ err: err as { code?: string; message: string } }));
    if ('err' in enqueued) {
      // Refused at the door, naming what is missing: nothing was acknowledged, so nothing can be lost.
      expect(enqueued.err.code).toBe('SMSQ_REDIS_NOT_DURABLE');
      expect(enqueued.err.message).toMatch(/appendonly is off on the primary: restarted before a failover .*Fix: CONFIG SET appendonly yes on the primary/);
      expect(await replicaClient.dbsize()).toBe(0);
      return;
    }
    // Acknowledged: WAIT confirmed it on the replica.
    expect(await replicaClient.exists(`${PREFIX}:send:${enqueued.sendId}`)).toBe(1);

    await primary.crashAndRestart();
    // The replica reconnects and copies what the restarted primary holds.
    await waitFor(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 'the replica to sync again', 20_000);
    const admin = new Redis(primary.url);
    closers.push(() => void admin.disconnect());

    const after = await producer.getStatus(enqueued.sendId).then(
      (s) => s.send.state,
      (err: unknown) => (err as { code?: string }).code,
    );
    const left = `keys left: ${await admin.dbsize()} on the restarted primary, ${await replicaClient.dbsize()} on the replica`;
    expect(after, left).toBe('active');
  }, 60_000);
});
