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
 * An AOF under `appendfsync everysec` does not close it: a host crash cut the AOF back to what was
 * fsynced, and while a background fsync was slow Redis postponed even its write(2) of the AOF (up to
 * 2 s), answering meanwhile, so a process crash lost those writes too: 4 of 5 confirmed sends gone
 * each way, the replica having had them and dropped them as it resynced. Redis has no setting that
 * keeps a replica from copying an older primary, so smsq warns at start-up in that case, naming the
 * two fixes, and the last describe holds the first of them (fsync+replicas) to the same crashes.
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
import { collector } from '../support/text-collector.js';
import { followPrimary } from '../support/replicated-redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DURABILITY: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
const PREFIX = '{replicas-restart}';

/** A replica following the primary on `port`, and a producer in the mode on the primary at `url`. */
async function replicaAndProducer(url: string, port: number, durability = DURABILITY, logger = createLogger({ level: 'silent' })): Promise<{ replicaClient: Redis; producer: Producer }> {
  const replica = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => replica.stop());
  await followPrimary(replica, port);
  const replicaClient = new Redis(replica.url);
  closers.push(() => void replicaClient.disconnect());
  const redis = createProducerConnection(url, durability);
  closers.push(() => void redis.disconnect());
  const producer = createProducer({ redis, prefix: PREFIX, logger, durability });
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

describe('SMSQ_DURABILITY=replicas on a primary with an everysec AOF', () => {
  it('starts, warning once that a restart before a failover may lose confirmed sends, naming fsync+replicas and a restart delay past down-after-milliseconds', async () => {
    const primary = await startPrivateRedis({ appendfsync: 'everysec' });
    closers.push(() => primary.stop());
    const log = collector();
    const { producer } = await replicaAndProducer(primary.url, primary.port, DURABILITY, createLogger({ level: 'warn' }, log));
    await producer.send(notification('13800138000'));
    await producer.send(notification('13800138001'));
    const warnings = log.text
      .split('\n')
      .filter((line) => line.includes('DURABILITY: appendfsync is everysec on the primary'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; fix: string });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(40);
    expect(warnings[0]?.msg).toMatch(/restarted before Sentinel fails over .* its replicas drop them as they resync, so sends the replicas confirmed may be lost/);
    // A producer's own logger: its caller's option, not a variable it never reads.
    expect(warnings[0]?.fix).toMatch(/`durability\.mode: "fsync\+replicas"` \(appendfsync always on the primary\), or no automatic restart of the primary \(or a restart delay longer than Sentinel's down-after-milliseconds\)/);
  }, 60_000);
});

// The crashes that lost 4 of 5 confirmed sends under `replicas` with an everysec AOF (a host crash
// cutting the AOF to what was fsynced; a process crash while fsyncs were slow, each taking 1.5 s),
// under the fix the warning names: each write fsynced on the primary before it is answered.
describe('SMSQ_DURABILITY=fsync+replicas (appendfsync always) on a primary restarted before any failover', () => {
  it.each([
    ['a host crash (the AOF cut back to what was fsynced)', 'fsynced' as const],
    ['a process crash while an fsync is held', 'none' as const],
  ])('%s: every send WAIT confirmed is still there once the replica has resynced', async (_crash, cut) => {
    const server = await startCrashableRedis({ appendfsync: 'always' });
    closers.push(() => server.stop());
    const { replicaClient, producer } = await replicaAndProducer(server.url, server.port, { ...DURABILITY, mode: 'fsync+replicas' });

    const acked: string[] = [];
    for (let i = 0; i < 5; i++) acked.push((await producer.send(notification(String(13800150000 + i)))).sendId);
    const onReplica = await Promise.all(acked.map((id) => replicaClient.exists(`${PREFIX}:send:${id}`)));
    expect(onReplica.every((n) => n === 1)).toBe(true);
    // One more send caught in flight: written to the AOF, its fsync held, so not yet answered.
    server.holdFsyncs();
    const inFlight = producer.send(notification('13800150009')).then(
      (r) => r.sendId,
      () => undefined,
    );
    await waitFor(async () => server.unsyncedBytes() > 0, 'a write waiting for its fsync', 10_000);
    let bytesLost = 0;
    if (cut === 'fsynced') bytesLost = (await server.crash('fsynced')).bytesLost;
    else {
      await server.kill();
      server.releaseFsyncs();
    }
    if (cut === 'fsynced') expect(bytesLost, 'the crash cut the unanswered write from the AOF').toBeGreaterThan(0);
    await server.start();
    await replicaResynced(replicaClient);
    // Answered after the restart (the producer sent it again), it counts as acknowledged too.
    const late = await inFlight;
    if (late) acked.push(late);

    const missing = (await outcomes(producer, acked)).filter((o) => o !== 'found');
    expect(missing, `${acked.length} sends acknowledged; the crash cut ${bytesLost} bytes of the primary's AOF`).toEqual([]);
  }, 60_000);
});
