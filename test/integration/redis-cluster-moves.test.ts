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
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startClusterDeployment, type ClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';
import { onNode } from '../support/node-admin.js';
import { buildServer } from '../../server/build-server.js';
import { spawnSmsq } from '../support/cli-process.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { createSmsClient } from '../../src/sms/client.js';
import { createLogger } from '../../src/logger.js';

const harnesses: Harness[] = [];
const TOKEN = 'test-api-token-0123456789';

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
    // After a master was SIGKILLed, closing the Cluster connection rejects ("Connection is closed.", the dead node's QUIT).
    for (const h of harnesses.splice(0)) await h.close().catch(() => {});
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
    // A check while the keys are on two nodes never answers "not sent" for a number recorded: it
    // reads them all on one node, or is refused (TRYAGAIN).
    const midway = await sent.check(recorded).catch(() => undefined);
    if (midway) expect(recorded.filter((_, i) => !midway[i])).toEqual([]);
    // A record that names a key on each side is refused (TRYAGAIN) rather than run on the wrong node.
    await move.finish();
    for (let i = 0; i < 5; i++) await record();
    expect(await cluster.portServing(prefix)).toBe(to.port);
    expect(recorded.length).toBeGreaterThanOrEqual(10 * 8);
    const found = await sent.check(recorded);
    expect(recorded.filter((_, i) => !found[i])).toEqual([]);
  }, 30_000);

  it('while the slot moves with its keys on two masters, a send and `smsq send` are refused as the Cluster moving the slot (SMSQ_REDIS_UNAVAILABLE, exit 3), not a raw TRYAGAIN', async () => {
    const prefix = '{smsq-move3}';
    const h = await createHarness({ label: 'cluster-moving', redisUrl: cluster.url, prefix });
    harnesses.push(h);
    const send = (phone: string) => h.producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate });
    await send('13860000001');
    const ownerPort = await cluster.portServing(prefix);
    const move = await cluster.beginSlotMove(prefix, cluster.masters.find((m) => m.port !== ownerPort)!);
    const admin = move.from.admin();
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', prefix));
    const onOwner = (await admin.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
    admin.disconnect();
    // Every key but the send's own records moves: the next send's keys are then on both masters.
    await move.migrate(onOwner.filter((k) => !k.includes(':send:')));
    try {
      const refused = await send('13860000002').catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(/cannot serve smsq's keys now: the Redis Cluster is moving the slot of smsq's keys between masters \((TRYAGAIN|ASK|MOVED)/) });
      expect((refused as Error).message).not.toMatch(/start Redis/);
      const run = await runSmsqInProcess(['send', '--phones', '13860000003', '--sign', N.sign, '--template', N.plainTemplate, '--yes'], {
        env: { REDIS_URL: cluster.url, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off', SMSQ_DURABILITY: 'fsync' },
      });
      expect(run.stderr).toMatch(/the Redis Cluster is moving the slot of smsq's keys between masters/);
      expect(run.code).toBe(3);
      // The REST answer says the Cluster's state and its fix too, naming no node (not "does not answer (the connection failed)").
      const app = await buildServer({ redis: h.redis, prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
      try {
        const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}` }, payload: { phones: ['13860000006'], signName: N.sign, templateCode: N.plainTemplate } });
        expect(rest.statusCode, rest.body).toBe(503);
        expect(rest.headers['retry-after']).toBe('5');
        const { code, message } = (rest.json() as { error: { code: string; message: string } }).error;
        expect(code).toBe('SMSQ_REDIS_UNAVAILABLE');
        expect(message).toMatch(/^Redis cannot serve smsq's keys now: the Redis Cluster is moving the slot of smsq's keys between masters \((TRYAGAIN|ASK|MOVED)\); .*Fix: retry in a few seconds \(Retry-After\): a reshard or a failover ends on its own; if it does not, tell the operator of this server: `redis-cli --cluster check <host:port>`.*`redis-cli --cluster fix <host:port>` finishes it$/);
        expect(message).not.toMatch(/127\.0\.0\.1|connection failed/);
      } finally {
        await app.close();
      }
    } finally {
      await move.finish();
    }
    // The first enqueue on the new master may meet BullMQ's scripts not loaded there (NOSCRIPT in its MULTI): refused with a code, and the next goes through.
    const first = await send('13860000004').catch((e: unknown) => e);
    if (first instanceof Error) expect(first).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(/the Redis Cluster moved the slot of smsq's keys to a master that had not loaded smsq's scripts yet \(NOSCRIPT\)/) });
    expect((await send('13860000005')).sendId).toEqual(expect.any(String));
  }, 30_000);

  it('a redis:// URL that reaches a Cluster node is refused at start with the fix redis+cluster://, whether or not the node serves the slot (it was served silently, or failed MOVED, exit 1)', async () => {
    const prefix = '{smsq-node4}';
    const ownerPort = await cluster.portServing(prefix);
    for (const port of [ownerPort, cluster.masters.find((m) => m.port !== ownerPort)!.port]) {
      const run = await runSmsqInProcess(['send', '--phones', '13870000001', '--sign', N.sign, '--template', N.plainTemplate, '--yes'], {
        env: { REDIS_URL: `redis://127.0.0.1:${port}`, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: '127.0.0.1:1', LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off', SMSQ_DURABILITY: 'fsync' },
      });
      expect(run.stderr).toContain(`REDIS_URL=redis://127.0.0.1:${port} names a node of a Redis Cluster (INFO cluster_enabled:1) as a single Redis; nothing was read or written. Fix: REDIS_URL=redis+cluster://127.0.0.1:${port}`);
      expect(run.code).toBe(2);
    }
    const h = await createHarness({ label: 'cluster-node', redisUrl: `redis://127.0.0.1:${ownerPort}`, prefix });
    harnesses.push(h);
    await expect(h.producer.send({ phones: ['13870000002'], signName: N.sign, templateCode: N.plainTemplate })).rejects.toMatchObject({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/names a node of a Redis Cluster .*Fix: `redis: "redis\+cluster:\/\/127\.0\.0\.1:\d+"`/) });
  }, 30_000);

  it('smsq worker with a redis:// URL that reaches a Cluster node is refused at start the same way (exit 2, the fix redis+cluster://), before it writes anything', async () => {
    const prefix = '{smsq-node5}';
    const ownerPort = await cluster.portServing(prefix);
    const slotKeys = async () => {
      const keys: string[] = [];
      for (const master of cluster.masters) {
        const admin = master.admin();
        try {
          await admin.connect();
          keys.push(...((await admin.call('KEYS', `${prefix}*`)) as string[]));
        } finally {
          admin.disconnect();
        }
      }
      return keys;
    };
    for (const port of [ownerPort, cluster.masters.find((m) => m.port !== ownerPort)!.port]) {
      // Not refused, the worker runs: stopped after 8 s, and the exit and output below say so.
      let stop: (signal: string) => void = () => {};
      const stopped = new Promise<string>((resolve) => (stop = resolve));
      const timer = setTimeout(() => stop('SIGTERM'), 8000);
      const run = await runSmsqInProcess(['worker', '--concurrency', '1'], {
        env: { REDIS_URL: `redis://127.0.0.1:${port}`, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: '127.0.0.1:1', LOG_LEVEL: 'error', SMSQ_DURABILITY: 'fsync' },
        waitForShutdown: () => stopped,
      }).finally(() => clearTimeout(timer));
      expect(run.stderr).toContain(`REDIS_URL=redis://127.0.0.1:${port} names a node of a Redis Cluster (INFO cluster_enabled:1) as a single Redis; nothing was read or written. Fix: REDIS_URL=redis+cluster://127.0.0.1:${port}`);
      expect(run.code).toBe(2);
      expect(await slotKeys()).toEqual([]);
    }
    // A real process with the defaults (its durability, its log level), and a Node caller's worker.
    const spawned = spawnSmsq(['worker'], { REDIS_URL: `redis://127.0.0.1:${ownerPort}`, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: '127.0.0.1:1' });
    const killer = setTimeout(() => spawned.child.kill('SIGKILL'), 20_000);
    const code = await spawned.exited.finally(() => clearTimeout(killer));
    expect(spawned.stderr + spawned.stdout).toContain(`REDIS_URL=redis://127.0.0.1:${ownerPort} names a node of a Redis Cluster`);
    expect(code).toBe(2);
    const connection = connect(`redis://127.0.0.1:${ownerPort}`);
    const worker = createSmsWorker({ connection, client: createSmsClient({ endpoint: '127.0.0.1:1', protocol: 'http', credential: { kind: 'access-key', accessKeyId: 'a', accessKeySecret: 'b' } }), logger: createLogger({ level: 'silent' }), prefix, qps: 10, readTimeoutMs: 2000, quietHours: null });
    try {
      await expect(worker.start()).rejects.toMatchObject({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/names a node of a Redis Cluster .*Fix: `redis: "redis\+cluster:\/\/127\.0\.0\.1:\d+"`/) });
    } finally {
      await worker.close().catch(() => {});
    }
    expect(await slotKeys()).toEqual([]);
  }, 60_000);

  // Last: the Cluster keeps a master fewer.
  it('a producer that sent before follows the replica promoted when the master of its slot is SIGKILLed, and a send that fails meanwhile carries a code', async () => {
    const prefix = '{smsq-fail2}';
    const ownerPort = await cluster.portServing(prefix);
    const owner = cluster.masters.find((m) => m.port === ownerPort)!;
    // Durability `none`: what is under test is the producer finding the promoted master, not the
    // replicas a WAIT mode would need behind it (a second replica's following the new master is
    // the Cluster's, and took over a minute on a loaded machine).
    const replica = await cluster.addReplica(owner);
    // The other masters vote in the election: one that does not know the replica yet as the owner's
    // (gossip) refuses its vote, and the promotion waited past the test's time now and then.
    const idOf = async (node: RedisNode) => {
      const admin = node.admin();
      try {
        await admin.connect();
        return String(await admin.call('CLUSTER', 'MYID'));
      } finally {
        admin.disconnect();
      }
    };
    const [ownerId, replicaId] = [await idOf(owner), await idOf(replica)];
    await waitFor(
      async () => {
        for (const master of cluster.masters.filter((m) => m !== owner)) {
          const admin = master.admin();
          try {
            await admin.connect();
            const nodes = String(await admin.call('CLUSTER', 'NODES'));
            if (!nodes.split('\n').some((line) => line.startsWith(`${replicaId} `) && line.includes(` ${ownerId} `) && /\bslave\b/.test(line))) return false;
          } finally {
            admin.disconnect();
          }
        }
        return true;
      },
      'every other master to know the replica as the owner\'s',
      20_000,
      100,
    );
    const h = await createHarness({ label: 'cluster-failover', redisUrl: cluster.url, prefix, durability: { mode: 'none' } });
    harnesses.push(h);
    const send = (phone: string) => h.producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate });
    await send('13850000001');
    await owner.kill();
    const roleOf = async (node: RedisNode) => {
      const admin = node.admin();
      try {
        await admin.connect();
        return ((await admin.call('ROLE')) as [string])[0];
      } finally {
        admin.disconnect();
      }
    };
    // Redis's own election, as in production; on a machine too loaded for it to end (CI D of
    // session 35 waited 40 s), the replica takes over as an operator would: what is under test is
    // smsq following whichever promotion comes, not the election.
    const promoted = async () => (await roleOf(replica)) === 'master';
    await waitFor(promoted, 'the Cluster to promote the replica', 20_000, 100).catch(async () => {
      await onNode(replica, (c) => c.call('CLUSTER', 'FAILOVER', 'TAKEOVER'));
      await waitFor(promoted, 'the replica to take over (CLUSTER FAILOVER TAKEOVER)', 20_000, 100);
    });
    const failures: unknown[] = [];
    const sent = await waitFor(
      async () => {
        try {
          return await send('13850000002');
        } catch (err) {
          failures.push(err);
          await new Promise((r) => setTimeout(r, 200));
          return undefined;
        }
      },
      'a send through the promoted replica',
      12_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the last failure: ${String(failures.at(-1))}`);
    });
    expect(sent.sendId).toEqual(expect.any(String));
    for (const err of failures) expect(err).toMatchObject({ code: expect.stringMatching(/^SMSQ_/) });
  }, 90_000);
});
