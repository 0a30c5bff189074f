/**
 * A Redis Cluster under `cluster-require-full-coverage no` with a master SIGKILLed and no replica
 * to take its slots: the Cluster stays `cluster_state:ok` and serves every other slot. A master of
 * another slot gone, smsq is served as before; the master of smsq's own slot gone (as in the
 * seconds before a replica's promotion), smsq says that the Cluster has no master for
 * its slot, with the failover's fix. Real redis-server processes (test/support/redis-topology.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startClusterDeployment, type ClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';

/** Starts a three-master Cluster whose masters serve their slots whatever the others' state. */
async function partialCoverageCluster(): Promise<ClusterDeployment> {
  const cluster = await startClusterDeployment();
  for (const master of cluster.masters) {
    const admin = master.admin();
    try {
      await admin.connect();
      await admin.config('SET', 'cluster-require-full-coverage', 'no');
    } finally {
      admin.disconnect();
    }
  }
  return cluster;
}

/** SIGKILLs `dead` and waits until `witness` counts it failed (its slots no longer ok), the Cluster still `ok`. */
async function killAndWaitForFail(dead: RedisNode, witness: RedisNode): Promise<void> {
  await dead.kill();
  await waitFor(
    async () => {
      const admin = witness.admin();
      try {
        await admin.connect();
        const info = String(await admin.call('CLUSTER', 'INFO'));
        return info.includes('cluster_state:ok') && !info.includes('cluster_slots_ok:16384');
      } finally {
        admin.disconnect();
      }
    },
    `port ${witness.port} to count port ${dead.port} failed`,
    20_000,
    100,
  );
}

const cliEnv = (cluster: ClusterDeployment, h: Harness, extra: Record<string, string> = {}) => ({ REDIS_URL: cluster.url, SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off', SMSQ_DURABILITY: 'fsync', ...extra });

/** A Cluster as {@link partialCoverageCluster}, a send made on it, then a master SIGKILLed: the one serving `prefix`'s slot (`owner`), or another. */
async function withMasterKilled(prefix: string, killed: 'owner' | 'other'): Promise<{ cluster: ClusterDeployment; h: Harness; sendId: string }> {
  const cluster = await partialCoverageCluster();
  const h = await createHarness({ label: 'cluster-partial', redisUrl: cluster.url, prefix });
  const { sendId } = await h.producer.send({ phones: ['13880000001'], signName: N.sign, templateCode: N.plainTemplate });
  const ownerPort = await cluster.portServing(prefix);
  const [owner, other] = [cluster.masters.find((m) => m.port === ownerPort)!, cluster.masters.find((m) => m.port !== ownerPort)!];
  await (killed === 'owner' ? killAndWaitForFail(owner, other) : killAndWaitForFail(other, owner));
  return { cluster, h, sendId };
}

describe('Redis Cluster with cluster-require-full-coverage no: a master of another slot SIGKILLed', () => {
  let cluster: ClusterDeployment;
  let h: Harness;
  let sendId: string;
  beforeAll(async () => {
    ({ cluster, h, sendId } = await withMasterKilled('{smsq-partial1}', 'other'));
  }, 60_000);
  afterAll(async () => {
    await h?.close().catch(() => {});
    await cluster?.stop();
  });

  it('new `smsq` commands are served every time (ioredis\'s ready check asked CLUSTER INFO of a node at random, the dead master among them: about one new command in two said "does not answer (not connected; reconnecting)")', async () => {
    const failed: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const argv of [['status', sendId], ['sends']]) {
        const run = await runSmsqInProcess(argv, { env: cliEnv(cluster, h) });
        if (run.code !== 0) failed.push(`${argv[0]!} #${i}: exit ${run.code}: ${run.stderr}`);
      }
    }
    expect(failed).toEqual([]);
  }, 60_000);
});

describe('Redis Cluster with cluster-require-full-coverage no: the master of smsq\'s slot SIGKILLed, no replica promoted', () => {
  let cluster: ClusterDeployment;
  let h: Harness;
  let sendId: string;
  beforeAll(async () => {
    ({ cluster, h, sendId } = await withMasterKilled('{smsq-partial2}', 'owner'));
  }, 60_000);
  afterAll(async () => {
    await h?.close().catch(() => {});
    await cluster?.stop();
  });

  // The Cluster is ok (no CLUSTERDOWN): ioredis retried on the dead master, and on a node at random
  // that answered MOVED to it, and gave up after 16 tries (~3 s) on "Connection is closed.", said as
  // Redis not answering with the fix to start it, or on the MOVED, said as a reshard with the fix
  // `redis-cli --cluster fix` (which would give the dead master's slots, and smsq's keys, away empty).
  const NO_MASTER = /cannot serve smsq's keys now: the Redis Cluster has no master for (the slot of smsq's keys|slot \d+ \(of \{smsq-partial2\})/;
  const FAILOVER_FIX = /Fix: retry in a few seconds: a failover ends it on its own; if it does not, a master failed with no replica to take its slots: start it again \(`redis-cli --cluster check <host:port>` names the one it cannot connect to\)/;

  it('`smsq status` and `smsq send` say the Cluster has no master for smsq\'s slot, with the failover\'s fix (exit 3), not that Redis does not answer nor that the slot is moving', async () => {
    for (const argv of [['status', sendId], ['sends'], ['send', '--phones', '13880000002', '--sign', N.sign, '--template', N.plainTemplate, '--yes']]) {
      // `smsq send` looks for the slot's master for up to the connect timeout (its durability check);
      // the reads keep the default, longer than ioredis's retries (their own timeout would cut them short).
      const run = await runSmsqInProcess(argv, { env: cliEnv(cluster, h, argv[0] === 'send' ? { SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1500' } : {}) });
      const said = `${argv[0]!}: ${run.stderr}`;
      expect(run.stderr, said).toMatch(NO_MASTER);
      expect(run.stderr, said).toMatch(FAILOVER_FIX);
      expect(run.stderr, said).not.toMatch(/does not answer|start Redis|moving the slot|--cluster fix/);
      expect(run.code, said).toBe(3);
    }
  }, 60_000);

  it('a producer that sent before says the same, with the failover\'s fix for an HTTP client', async () => {
    const err = await h.producer.send({ phones: ['13880000003'], signName: N.sign, templateCode: N.plainTemplate }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(NO_MASTER) });
    expect((err as { apiMessage: string }).apiMessage).toMatch(/^Redis cannot serve smsq's keys now: the Redis Cluster has no master for the slot of smsq's keys: a master failed and no replica has taken its slots yet; .*\. Fix: retry in a few seconds \(Retry-After\): a failover ends it on its own; if it does not, tell the operator of this server: a master failed with no replica to take its slots: start it again/);
    expect((err as Error).message).toMatch(/Fix: retry in a few seconds: a failover ends it on its own/);
  }, 60_000);
});
