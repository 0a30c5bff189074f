/**
 * SMSQ_DURABILITY=replicas and a primary restarted before any failover, produced for real: the
 * primary is SIGKILLed and started again on its port with its own settings, as a supervisor
 * (systemd Restart=always, a container's restart policy) brings a crashed process back, sooner
 * than Sentinel's down-after-milliseconds would fail over. Its replica reconnects, finds a new
 * replication history and resyncs in full: it ends up holding only what the restarted primary
 * holds, whatever WAIT had confirmed on it.
 *
 * Fixed: without persistence (appendonly no, no RDB saves) the restarted primary holds nothing. A
 * send whose enqueue WAIT had confirmed read SMSQ_NOT_FOUND, 0 keys left on either server (design
 * invariants 2 and 8; Redis's replication docs warn of it, "Safety of replication when master has
 * persistence turned off"), and the start-up check accepted that primary. Now the mode refuses it.
 *
 * Open (the second describe FAILS; a question for the mode's design, not fixed here): an AOF under
 * `appendfsync everysec` does not close it. A host crash cuts the AOF back to what was fsynced; and
 * while a background fsync is slow, Redis postpones even its write(2) of the AOF (up to 2 s) and
 * answers meanwhile, so a process crash loses those acknowledged writes too. The replica had them
 * and drops them when it resyncs.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { createProducer, type Producer } from '../../producers/producer.js';
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

/** A replica following the primary on `port`, and a producer in the mode on the primary at `url`. */
async function replicaAndProducer(url: string, port: number): Promise<{ replicaClient: Redis; producer: Producer }> {
  const replica = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => replica.stop());
  await followPrimary(replica, port);
  const replicaClient = new Redis(replica.url);
  closers.push(() => void replicaClient.disconnect());
  const redis = createProducerConnection(url, DURABILITY);
  closers.push(() => void redis.disconnect());
  const producer = createProducer({ redis, prefix: PREFIX, logger: createLogger({ level: 'silent' }), durability: DURABILITY });
  closers.push(() => producer.close());
  return { replicaClient, producer };
}

const notification = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });

/** What each send reads as after the restart ('found', or the error's code), read again while the producer reconnects. */
async function outcomes(producer: Producer, sendIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of sendIds) {
    for (let tries = 0; ; tries++) {
      const outcome = await producer.getStatus(id).then(
        () => 'found',
        (err: unknown) => (err as { code?: string }).code ?? String(err),
      );
      if (outcome !== 'SMSQ_REDIS_UNAVAILABLE' || tries === 50) {
        out.push(outcome);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return out;
}

const replicaResynced = (replicaClient: Redis) =>
  waitFor(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 'the replica to sync again', 20_000);

describe('SMSQ_DURABILITY=replicas on a primary without persistence', () => {
  it('is refused at the door, naming appendonly and the fix, before anything is written (its restart before a failover lost every send WAIT had confirmed)', async () => {
    const primary = await startPrivateRedis({ appendfsync: 'off' });
    closers.push(() => primary.stop());
    const { replicaClient, producer } = await replicaAndProducer(primary.url, primary.port);
    const enqueued = await producer.send(notification('13800138000')).then(
      (r) => ({ sendId: r.sendId }),
      (err: unknown) => ({ err: err as { code?: string; message: string } }),
    );
    if (!('err' in enqueued)) {
      // Before: acknowledged; the restart below then empties both servers.
      const exited = new Promise((resolve) => primary.process.once('exit', resolve));
      primary.process.kill('SIGKILL');
      await exited;
      const again = await startPrivateRedis({ appendfsync: 'off', port: primary.port });
      closers.push(() => again.stop());
      await replicaResynced(replicaClient);
      expect(await outcomes(producer, [enqueued.sendId]), `keys left on the replica: ${await replicaClient.dbsize()}`).toEqual(['found']);
      return;
    }
    expect(enqueued.err.code).toBe('SMSQ_REDIS_NOT_DURABLE');
    expect(enqueued.err.message).toMatch(/appendonly is off on the primary: restarted before a failover .*Fix: CONFIG SET appendonly yes on the primary/);
    expect(await replicaClient.dbsize()).toBe(0);
  }, 60_000);
});

describe('probe26 (open, fails): SMSQ_DURABILITY=replicas on a primary with an everysec AOF, restarted before any failover', () => {
  it.each([
    // A host crash: the AOF cut back to what Redis had fsynced.
    ['a host crash', 0, 'fsynced' as const],
    // A process crash while each fsync takes 1.5 s: Redis postpones its AOF writes behind the fsync in progress.
    ['a process crash while fsyncs are slow', 1500, 'none' as const],
  ])('%s: every send WAIT confirmed on the replica is still there once the replica has resynced', async (_crash, fsyncDelayMs, cut) => {
    const server = await startCrashableRedis({ appendfsync: 'everysec', fsyncDelayMs });
    closers.push(() => server.stop());
    const { replicaClient, producer } = await replicaAndProducer(server.url, server.port);

    // Sends acknowledged (WAIT 1 confirmed each on the replica) until a crash would cut some.
    const acked: string[] = [];
    for (let i = 0; i < 200 && (acked.length < 5 || server.unsyncedBytes() === 0); i++) acked.push((await producer.send(notification(String(13800150000 + i)))).sendId);
    const onReplica = await Promise.all(acked.map((id) => replicaClient.exists(`${PREFIX}:send:${id}`)));
    expect(onReplica.every((n) => n === 1)).toBe(true);
    let bytesLost = 0;
    if (cut === 'fsynced') bytesLost = (await server.crash('fsynced')).bytesLost;
    else await server.kill();
    await server.start();
    await replicaResynced(replicaClient);

    const missing = (await outcomes(producer, acked)).filter((o) => o !== 'found');
    expect(missing, `${acked.length} sends acknowledged, each on the replica; the crash cut ${bytesLost} bytes of the primary's AOF`).toEqual([]);
  }, 60_000);
});
