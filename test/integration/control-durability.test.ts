/**
 * An operator's pause and cancel, answered 200 over REST, through the two ways Redis forgets its
 * last writes, produced for real: a failover to a replica that lags (SMSQ_DURABILITY=replicas; the
 * replication stream held in test/support/stallable-proxy.ts, the primary SIGKILLed with those
 * bytes held, the replica promoted), and a host crash (the AOF cut back to what Redis had
 * fsynced). A cancel answered OK and then forgotten leaves a campaign the operator stopped sending,
 * so a control is acknowledged only once it is as durable as an enqueue.
 */
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer } from '../../server/build-server.js';
import { createProducer } from '../../producers/producer.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startStallableProxy } from '../support/stallable-proxy.js';
import { runWaitaofTests, VALKEY } from '../support/valkey.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const logger = createLogger({ level: 'silent' });
const API_TOKEN = 'test-api-token-0123456789';
const DURABILITY: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 300 };

async function redisServer(server: string): Promise<PrivateRedis> {
  const r = await startPrivateRedis({ appendfsync: 'everysec', server });
  closers.push(() => r.stop());
  return r;
}

async function replicaOf(replica: PrivateRedis, port: number): Promise<void> {
  const admin = new Redis(replica.url);
  try {
    await admin.replicaof('127.0.0.1', port);
    await waitFor(async () => /master_link_status:up/.test(await admin.info('replication')), 'the replica to sync', 15_000);
  } finally {
    admin.disconnect();
  }
}

/** `smsq server`'s REST controls over the harness's producer: POST /v1/sends/:id/<action>. */
async function controls(h: Harness) {
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger, apiToken: API_TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
  closers.push(() => app.close());
  return (action: 'pause' | 'cancel', sendId: string) => app.inject({ method: 'POST', url: `/v1/sends/${sendId}/${action}`, headers: { authorization: `Bearer ${API_TOKEN}` } });
}

const phonesFrom = (first: number, count: number) => Array.from({ length: count }, (_, i) => String(first + i));
const codes = (h: Harness, phones: string[]) => h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification' });

// Valkey (Redis 7.2's protocol) answers a WAIT from a connection that wrote nothing at once, whatever
// the replicas hold; Redis 7.0 waits for them: a control given again that changes nothing differs there.
const SERVERS = ['redis-server', ...(runWaitaofTests ? [VALKEY] : [])];

describe.each(SERVERS)('pause and cancel in SMSQ_DURABILITY=replicas, then a failover to a replica that lags (%s)', (server) => {
  it('are answered OK only once the replica has them: answered OK while it lagged, the promoted replica had neither, and a worker following it sent every recipient of both sends', async () => {
    const primary = await redisServer(server);
    const replica = await redisServer(server);
    const link = await startStallableProxy({ port: primary.port });
    closers.push(() => link.close());
    await replicaOf(replica, link.port);
    // The harness closes through its connection to the primary: a Redis on that port again by then.
    let revived: PrivateRedis | undefined;
    closers.push(() => revived?.stop());
    const h = await createHarness({ label: 'control-durability', redisUrl: primary.url, durability: DURABILITY });
    closers.push(() => h.close());

    // Two sends of 20 codes each, acknowledged (so confirmed by the replica); no worker has taken them yet.
    const stopped = { cancelled: phonesFrom(13848000000, 20), paused: phonesFrom(13848000100, 20) };
    const ids = { cancelled: (await codes(h, stopped.cancelled)).sendId, paused: (await codes(h, stopped.paused)).sendId };
    const control = await controls(h);

    // The replica lags; the operator stops both sends.
    link.stall();
    const answers = { cancel: await control('cancel', ids.cancelled), pause: await control('pause', ids.paused) };
    expect(link.heldBytes()).toBeGreaterThan(0);
    // The operator gives the cancel again from another process (`smsq campaign <id> cancel`: a
    // connection of its own, which has written nothing yet), the replica still lagging.
    const cliRedis = createRedisConnection(primary.url);
    const cli = createProducer({ redis: cliRedis, prefix: h.prefix, logger, durability: DURABILITY });
    const repeated = await cli.cancel(ids.cancelled).then(
      () => 'OK',
      (err: unknown) => (err as { code?: string }).code,
    );
    await cli.close();
    cliRedis.disconnect();
    // The primary dies with those bytes held, and the replica is promoted; a new replica follows it.
    await new Promise<void>((resolve) => {
      const child = primary.process as ChildProcess;
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    link.cut();
    closers.push(async () => void (revived = await startPrivateRedis({ port: primary.port, appendfsync: 'off', server })));
    const promoted = new Redis(replica.url);
    closers.push(() => void promoted.disconnect());
    await promoted.replicaof('NO', 'ONE');
    const third = await redisServer(server);
    await replicaOf(third, replica.port);

    // The deployment goes on: producers and workers on the promoted replica (as Sentinel makes them).
    const after = await createHarness({ label: 'control-durability-after', redisUrl: replica.url, prefix: h.prefix, durability: DURABILITY });
    closers.push(() => after.close());
    const states = async () => ({ cancelled: (await after.producer.getStatus(ids.cancelled)).send.state, paused: (await after.producer.getStatus(ids.paused)).send.state });
    const promotedHas = await states();
    const answered = { cancel: answers.cancel.statusCode, pause: answers.pause.statusCode };
    // A control not answered OK is given again (its answer says so), now to the promoted replica.
    const againControl = await controls(after);
    if (answered.cancel !== 200) expect((await againControl('cancel', ids.cancelled)).statusCode).toBe(200);
    if (answered.pause !== 200) expect((await againControl('pause', ids.paused)).statusCode).toBe(200);

    // A worker follows the promoted replica; a code sent after the failover shows when it has been through the queue.
    await after.startWorker();
    const marker = await codes(after, ['13848000999']);
    await waitFor(async () => (await after.producer.getStatus(marker.sendId)).counts.accepted === 1, 'the code sent after the failover accepted', 20_000);
    await waitFor(async () => {
      const c = (await after.producer.getStatus(ids.cancelled)).counts;
      return c.queued + c.sending + c.unknown === 0;
    }, 'the cancelled send settled', 20_000);
    const sentAfter = new Set(after.emulator.accepted().flatMap((s) => s.phoneNumbers));
    const sent = { cancelled: stopped.cancelled.filter((p) => sentAfter.has(p)).length, paused: stopped.paused.filter((p) => sentAfter.has(p)).length };
    const told = `answered ${JSON.stringify(answered)} while the replica lagged, the cancel given again from another connection ${repeated}; the promoted replica has the sends ${JSON.stringify(promotedHas)}; after the failover a worker sent ${JSON.stringify(sent)} of 20 recipients each`;

    // OK told the operator the sends were stopped: the promoted replica must have it, and nothing of theirs goes out.
    if (answered.cancel === 200) expect(promotedHas.cancelled, told).toBe('cancelled');
    if (answered.pause === 200) expect(promotedHas.paused, told).toBe('paused');
    if (repeated === 'OK') expect(promotedHas.cancelled, told).toBe('cancelled');
    expect(sent, told).toEqual({ cancelled: 0, paused: 0 });
    // Not OK: refused as not durable, saying the control is applied on the primary and to give it again.
    for (const res of [answers.cancel, answers.pause]) expect({ status: res.statusCode, code: res.json().error?.code }, res.body).toEqual({ status: 503, code: 'SMSQ_NOT_DURABLE' });
    expect(repeated, told).toBe('SMSQ_NOT_DURABLE');
    expect(answers.cancel.json().error.message).toMatch(/^cancel of send \S+ could not be made durable: WAIT: 0 of 1 replica\(s\) confirmed within 300 ms/);
    expect(await states()).toEqual({ cancelled: 'cancelled', paused: 'paused' });
  }, 60_000);
});
