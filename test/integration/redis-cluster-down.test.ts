/**
 * A Redis Cluster down (`cluster_state:fail`, Redis's default `cluster-require-full-coverage yes`)
 * because a master that does not serve smsq's slot was SIGKILLed and has no replica: every command,
 * on smsq's slot too, is answered CLUSTERDOWN. Real redis-server processes
 * (test/support/redis-topology.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import { createProducer } from '../../producers/producer.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { toHttpError } from '../../server/errors.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startClusterDeployment, type ClusterDeployment } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'test-api-token-0123456789';
// Not `redis-cli --cluster fix`: it would give the failed master's slots, empty, to the others.
const CLUSTER_DOWN_FIX = /Fix: retry in a few seconds \(Retry-After\): a failover ends it on its own; if it does not, tell the operator of this server: a master failed with no replica to take its slots: start it again \(`redis-cli --cluster check <host:port>` names the one it cannot connect to\)$/;

describe('Redis Cluster down (a master of another slot SIGKILLed)', () => {
  let cluster: ClusterDeployment;
  let h: Harness;
  const prefix = '{smsq-down1}';
  beforeAll(async () => {
    cluster = await startClusterDeployment();
    h = await createHarness({ label: 'cluster-down', redisUrl: cluster.url, prefix });
    // Sent once while the Cluster is up: the connections know the slots, BullMQ's scripts are loaded.
    await h.producer.send({ phones: ['13880000001'], signName: N.sign, templateCode: N.plainTemplate });
    const ownerPort = await cluster.portServing(prefix);
    const other = cluster.masters.find((m) => m.port !== ownerPort)!;
    await other.kill();
    const owner = cluster.masters.find((m) => m.port === ownerPort)!;
    await waitFor(
      async () => {
        const admin = owner.admin();
        try {
          await admin.connect();
          return String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:fail');
        } finally {
          admin.disconnect();
        }
      },
      'the Cluster to say cluster_state:fail',
      20_000,
      100,
    );
  }, 60_000);
  afterAll(async () => {
    await h?.close().catch(() => {});
    await cluster?.stop();
  });

  it('POST /v1/messages with and without an Idempotency-Key is refused 503 as the Cluster down (CLUSTERDOWN) with its fix, not 500 for the EXECABORT of the key\'s MULTI', async () => {
    const app = await buildServer({ redis: h.redis, prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    try {
      for (const headers of [{ authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'down-1' }, { authorization: `Bearer ${TOKEN}` }]) {
        const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: { phones: ['13880000002'], signName: N.sign, templateCode: N.plainTemplate } });
        const said = `${JSON.stringify(headers)}: ${rest.body}`;
        expect(rest.statusCode, said).toBe(503);
        expect(rest.headers['retry-after'], said).toBe('5');
        const { code, message } = (rest.json() as { error: { code: string; message: string } }).error;
        expect(code, said).toBe('SMSQ_REDIS_UNAVAILABLE');
        expect(message, said).toMatch(/^Redis cannot serve smsq's keys now: the Redis Cluster is down \(CLUSTERDOWN\); /);
        expect(message, said).toMatch(CLUSTER_DOWN_FIX);
        expect(message, said).not.toMatch(/connection failed|not connected|EXECABORT/);
      }
    } finally {
      await app.close();
    }
  }, 60_000);

  it('a server started while the Cluster is down says so at /readyz and POST /v1/messages (its connection never ready: it said "not connected; reconnecting")', async () => {
    const redis = createRedisConnection(cluster.url, { role: 'client' });
    const producer = createProducer({ redis, prefix, logger: h.logger });
    const app = await buildServer({ redis, prefix, producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode, ready.body).toBe(503);
      expect(ready.body).toMatch(/Redis cannot serve smsq's keys now: the Redis Cluster is down \(CLUSTERDOWN\)\. Fix: check again in a few seconds \(Retry-After\): a failover ends it on its own/);
      const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'down-2' }, payload: { phones: ['13880000004'], signName: N.sign, templateCode: N.plainTemplate } });
      expect(rest.statusCode, rest.body).toBe(503);
      expect((rest.json() as { error: { message: string } }).error.message).toMatch(/^Redis cannot serve smsq's keys now: the Redis Cluster is down \(CLUSTERDOWN\); /);
      // A command on it outside a gate is refused by ioredis ("Cluster isn't ready and enableOfflineQueue options is false"): a gate says why, not SMSQ_INTERNAL.
      const raw = await redis.get(`${prefix}:x`).catch((err: unknown) => err);
      expect(String(raw)).toMatch(/Cluster isn't ready/);
      expect(toHttpError(raw, { bodyLimit: 1024, csvBodyLimit: 1024 }, 'req-1')).toMatchObject({ statusCode: 503, code: 'SMSQ_REDIS_UNAVAILABLE' });
      expect(createRedisGate({ redis }).translate(raw)).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(/cannot serve smsq's keys now: the Redis Cluster is down \(CLUSTERDOWN/) });
    } finally {
      await app.close();
      await producer.close();
      redis.disconnect();
    }
  }, 60_000);

  it('commands given up after their retries all say CLUSTERDOWN: ioredis retries on a node at random, and the dead master\'s "Connection is closed." was the last error whenever the last retry landed on it (docs/operations.md has the measurement)', async () => {
    const said = await Promise.all(Array.from({ length: 12 }, () => h.redis.get(`${prefix}:x`).catch((err: unknown) => (err instanceof Error ? err.message : String(err)))));
    expect(said).toEqual(Array.from({ length: 12 }, () => 'Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down'));
  }, 60_000);

  it('`smsq send`, with and without --idempotency-key, says the Cluster is down with its fix (exit 3), not that Redis does not answer', async () => {
    for (const extra of [['--idempotency-key', 'down-cli-1'], []]) {
      const run = await runSmsqInProcess(['send', '--phones', '13880000003', '--sign', N.sign, '--template', N.plainTemplate, '--yes', ...extra], {
        env: { REDIS_URL: cluster.url, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off', SMSQ_DURABILITY: 'fsync' },
      });
      const said = `${extra.join(' ')}: ${run.stderr}`;
      expect(run.stderr, said).toMatch(/cannot serve smsq's keys now: the Redis Cluster is down \(CLUSTERDOWN/);
      expect(run.stderr, said).toMatch(/Fix: retry in a few seconds: a failover ends it on its own; if it does not, a master failed with no replica to take its slots: start it again \(`redis-cli --cluster check <host:port>` names the one it cannot connect to\)/);
      expect(run.stderr, said).not.toMatch(/does not answer|start Redis|--cluster fix/);
      expect(run.code, said).toBe(3);
    }
  }, 90_000);
});
