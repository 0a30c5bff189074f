/**
 * Whether Redis still keeps the durability mode after start-up, against real redis-servers: a
 * Redis that skips its fsync while it saves in the background (`no-appendfsync-on-rewrite yes`,
 * produced for real with a slow BGSAVE and a crash cut back to what was fsynced), and a Redis whose
 * settings change under running workers and producers (CONFIG SET, a restart as another server, a
 * Cluster slot moved to a master configured otherwise).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker, type SmsWorkerOptions } from '../../workers/sms-worker.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { FAST_TIMING } from '../support/pipeline.js';
import { startClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { followPrimary } from '../support/replicated-redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { waitFor } from '../support/wait.js';
import { startEmulatorClient } from '../support/emulator-client.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createProducerConnection } from '../support/redis.js';

const silent = createLogger({ level: 'silent' });
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function connect(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  closers.push(() => void redis.disconnect());
  return redis;
}

/** A producer's connection (role 'client', as createProducer requires), closed after the test. */
function producerConnection(url: string): RedisConnection {
  const redis = createProducerConnection(url);
  closers.push(() => void redis.disconnect());
  return redis;
}

async function privateRedis(opts: { appendfsync: 'always' | 'everysec'; port?: number }): Promise<PrivateRedis> {
  const server = await startPrivateRedis(opts);
  closers.push(() => server.stop());
  return server;
}

const emulatorClient = () => startEmulatorClient((close) => void closers.push(close));

/** A logger whose lines a test reads. */
function capturedLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) }) };
}

/**
 * A worker of `prefix` on `redis` whose lines the test reads, checking the mode every `recheckMs`
 * (10 minutes: only a reconnect or the topology can prompt a check within a test), with the
 * emulator it calls.
 */
async function watchedWorker(redis: RedisConnection, prefix: string, recheckMs = 600_000, worker: Partial<SmsWorkerOptions> = {}) {
  const { emulator, client, endpoint } = await emulatorClient();
  const { lines, logger } = capturedLogger();
  const running = createSmsWorker({ connection: redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 4, durabilityRecheckMs: recheckMs, ...FAST_TIMING, ...worker });
  closers.push(() => running.close());
  await running.start();
  return { emulator, endpoint, lines, worker: running };
}

const request = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });

/** Starts a BGSAVE whose child lasts ~`seconds` (Redis's own test knob: a delay per key saved). */
async function slowBackgroundSave(redis: Redis, seconds: number): Promise<void> {
  const keys = 20;
  for (let i = 0; i < keys; i++) await redis.set(`filler:${i}`, 'x');
  await redis.config('SET', 'rdb-key-save-delay', String(Math.round((seconds * 1e6) / keys)));
  await redis.bgsave();
  await waitFor(async () => /rdb_bgsave_in_progress:1/.test(await redis.info('persistence')), 'the background save to start');
}

describe('no-appendfsync-on-rewrite: a Redis that does not fsync while it saves in the background', () => {
  it('loses a write it acknowledged under appendfsync always when the host crashes during a save (the control, with no, keeps it)', async () => {
    for (const skip of ['no', 'yes'] as const) {
      const server = await startCrashableRedis({ appendfsync: 'always' });
      closers.push(() => server.stop());
      const redis = connect(server.url);
      await redis.config('SET', 'no-appendfsync-on-rewrite', skip);
      await slowBackgroundSave(redis, 10);
      await redis.set('acknowledged', '1');
      const report = await server.crash('fsynced');
      await server.start();
      await waitFor(async () => (await redis.ping().catch(() => '')) === 'PONG', 'Redis to answer again');
      if (skip === 'no') {
        expect(report.bytesLost).toBe(0);
        expect(await redis.get('acknowledged')).toBe('1');
      } else {
        expect(report.bytesLost).toBeGreaterThan(0);
        expect(await redis.get('acknowledged')).toBeNull();
      }
    }
  }, 40_000);

  it('is refused by the default mode in the producer and the worker, naming the setting, writing nothing', async () => {
    const server = await privateRedis({ appendfsync: 'always' });
    const redis = connect(server.url);
    await redis.config('SET', 'no-appendfsync-on-rewrite', 'yes');
    const producer = createProducer({ redis: producerConnection(server.url), prefix: '{smsq-bg}', logger: silent });
    closers.push(() => producer.close());
    const refusal = await producer.send(request('13900000031')).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    expect(String((refusal as Error).message)).toMatch(/no-appendfsync-on-rewrite is yes: while Redis saves in the background .*host crash then loses acknowledged writes.*Fix: CONFIG SET no-appendfsync-on-rewrite no/);
    expect(await redis.keys('*')).toEqual([]);

    const { client } = await emulatorClient();
    const worker = createSmsWorker({ connection: redis, client, logger: silent, prefix: '{smsq-bg}', qps: 50, readTimeoutMs: 1000 });
    closers.push(() => worker.close());
    await expect(worker.start()).rejects.toThrow(/no-appendfsync-on-rewrite is yes/);
    // A re-check interval that would spin or never run is refused when the worker is built.
    expect(() => createSmsWorker({ connection: redis, client, logger: silent, prefix: '{smsq-bg}', qps: 50, readTimeoutMs: 1000, durabilityRecheckMs: 0 })).toThrow(
      expect.objectContaining({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/durabilityRecheckMs must be a number of ms >= 10, got 0\. Fix: /) }),
    );
  });
});

describe('a running worker re-checks the mode', () => {
  it('makes no new call once Redis stops keeping it (CONFIG SET), says why once, and goes on when it is fixed', async () => {
    const server = await privateRedis({ appendfsync: 'always' });
    const redis = connect(server.url);
    const prefix = '{smsq-recheck}';
    const producerRedis = producerConnection(server.url);
    const producer = createProducer({ redis: producerRedis, prefix, logger: silent });
    closers.push(() => producer.close());
    const { emulator, lines } = await watchedWorker(redis, prefix, 100);
    const first = await producer.send(request('13900000041'));
    await waitFor(async () => (await producer.getStatus(first.sendId)).counts.accepted === 1, 'the first send to be accepted');

    await redis.config('SET', 'no-appendfsync-on-rewrite', 'yes');
    await waitFor(() => lines.some((l) => l.includes('no-appendfsync-on-rewrite is yes')), 'the worker to say the mode no longer holds', 5000);
    // Written by a producer that does not check (a producer checks again only every 30 s).
    const relaxed = createProducer({ redis: producerRedis, prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const calls = emulator.calls().length;
    const held = await relaxed.send(request('13900000042'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.calls().length).toBe(calls);
    expect((await producer.getStatus(held.sendId)).counts.queued).toBe(1);
    const said = lines.filter((l) => l.includes('no-appendfsync-on-rewrite is yes'));
    expect(said).toHaveLength(1); // checked every 100 ms, said once
    expect(said[0]).toMatch(/"level":50.*makes no new call until it holds again \(jobs wait, nothing is lost\)\. Redis cannot keep `durability\.mode: \\"fsync\\"`: no-appendfsync-on-rewrite is yes.*Fix: CONFIG SET no-appendfsync-on-rewrite no/);

    await redis.config('SET', 'no-appendfsync-on-rewrite', 'no');
    await waitFor(async () => (await producer.getStatus(held.sendId)).counts.accepted === 1, 'the held send to go out once Redis keeps the mode again', 10_000);
    expect(lines.some((l) => l.includes('holds again'))).toBe(true);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === '13900000042')).toHaveLength(1);
  }, 30_000);

  it('in fsync, a replica attached to the primary later is said loudly, once, by the worker and by a producer (a failover to it would lose the last writes), and calls go on', async () => {
    const server = await privateRedis({ appendfsync: 'always' });
    const prefix = '{smsq-replica-later}';
    const producer = createProducer({ redis: producerConnection(server.url), prefix, logger: silent });
    closers.push(() => producer.close());
    const { emulator, endpoint, lines } = await watchedWorker(connect(server.url), prefix, 100);
    const first = await producer.send(request('13900000045'));
    await waitFor(async () => (await producer.getStatus(first.sendId)).counts.accepted === 1, 'the first send to be accepted');
    const warning = (l: string) => l.includes('connected_slaves:1');
    expect(lines.filter(warning)).toEqual([]);

    const replica = await privateRedis({ appendfsync: 'always' });
    await followPrimary(replica, server.port);
    await waitFor(() => lines.some(warning), 'the worker to say the primary has a replica', 5000);
    const said = lines.filter(warning);
    expect(said).toHaveLength(1); // checked every 100 ms, said once
    expect(said[0]).toMatch(/"level":40.*"fix":"`durability\.mode: \\"fsync\+replicas\\"`, which also waits for `durability\.replicas` \(default 1; 1 connected now\).*"msg":"DURABILITY: this Redis primary has 1 replica\(s\) connected \(INFO replication connected_slaves:1\): if a failover promotes one .*the promoted replica may lack the last writes this primary acknowledged/);
    // Not refused: a plain URL does not say whether anything promotes the replica.
    const { lines: producerLines, logger } = capturedLogger();
    const warned = createProducer({ redis: producerConnection(server.url), prefix, logger });
    closers.push(() => warned.close());
    const second = await warned.send(request('13900000046'));
    await waitFor(async () => (await producer.getStatus(second.sendId)).counts.accepted === 1, 'the send after the replica came to be accepted');
    expect(producerLines.filter(warning)).toEqual([expect.stringMatching(/"level":40.*DURABILITY: this Redis primary has 1 replica/)]);
    // The CLI (as `smsq server` and `smsq worker`) says it in the environment's words.
    const run = await runSmsqInProcess(['send', '--phones', '13900000047', '--sign', N.sign, '--template', N.plainTemplate, '--yes'], {
      env: { REDIS_URL: server.url, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter(warning)).toEqual([expect.stringMatching(/"level":40.*"fix":"SMSQ_DURABILITY=fsync\+replicas, which also waits for SMSQ_DURABILITY_REPLICAS \(default 1; 1 connected now\).*give REDIS_URL as a redis\+sentinel:\/\/ URL.*"msg":"DURABILITY: this Redis primary has 1 replica/)]);
    await waitFor(() => emulator.accepted().length === 3, 'the CLI\'s send to be accepted');
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers)).toEqual(['13900000045', '13900000046', '13900000047']);
  }, 30_000);

  it('checks a Redis that comes back as another server before its first claim there (a restart with appendfsync everysec)', async () => {
    const first = await privateRedis({ appendfsync: 'always' });
    const redis = connect(first.url);
    const prefix = '{smsq-recheck}';
    // Checked every 10 minutes: only the reconnect can catch it within this test.
    const { emulator, lines, worker } = await watchedWorker(redis, prefix);

    await first.stop();
    const second = await privateRedis({ appendfsync: 'everysec', port: first.port });
    // Closed before the second server stops (closers run in reverse): a worker closed with a job in
    // hand waits for its Redis, and one CI run's clean-up waited past the hook's 30 s for it.
    closers.push(() => worker.close());
    // Queued on the new server before the worker's connection finds it: its first claim there
    // must wait for the check of that server.
    const relaxed = createProducer({ redis: producerConnection(second.url), prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const held = await relaxed.send(request('13900000051'));
    await waitFor(() => lines.some((l) => l.includes('appendfsync is everysec')), 'the worker to check the new server', 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.calls()).toHaveLength(0);
    expect((await relaxed.getStatus(held.sendId)).counts.queued).toBe(1);

    await redis.config('SET', 'appendfsync', 'always');
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).counts.accepted === 1, 'the send to go out once the new server fsyncs', 10_000);
  }, 30_000);

  it('a check that gets no answer after a reconnect holds the claims, says so, and tries every second, not at the next interval', async () => {
    const server = await privateRedis({ appendfsync: 'always' });
    const redis = connect(server.url);
    const prefix = '{smsq-recheck}';
    const { emulator, lines } = await watchedWorker(redis, prefix);

    // Redis stops answering the worker's INFO (the check's first command), and every connection is
    // dropped. The test writes as another user, who may still read INFO.
    const admin = connect(server.url);
    await admin.call('ACL', 'SETUSER', 'writer', 'on', 'nopass', '~*', '&*', '+@all');
    const writer = producerConnection(server.url.replace('redis://', 'redis://writer@'));
    await admin.call('ACL', 'SETUSER', 'default', '-info');
    await admin.client('KILL', 'TYPE', 'normal');
    await waitFor(() => lines.some((l) => l.includes('does not answer the durability check')), 'the worker to say its checks get no answer', 15_000);
    const relaxed = createProducer({ redis: writer, prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const held = await relaxed.send(request('13900000071'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.calls()).toHaveLength(0);

    await admin.call('ACL', 'SETUSER', 'default', '+info');
    // Checked every second while held: the next interval is 10 minutes away.
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).counts.accepted === 1, 'the send to go out once a check passes', 10_000);
  }, 40_000);
});

/**
 * A worker on a real three-master Cluster, checked every 10 minutes (or `recheckMs`): the connection neither closes
 * nor reconnects when a slot moves, so within a test only the Cluster's topology can catch it.
 * Its first send has gone out. `moveToEverysec` moves the deployment's slot, keys and all, to
 * another master that runs appendfsync everysec, and returns that master's admin client.
 */
async function workerOnCluster(prefix: string, worker: Partial<SmsWorkerOptions> = {}, recheckMs = 600_000) {
  const cluster = await startClusterDeployment();
  closers.push(() => cluster.stop());
  const redis = createRedisConnection(cluster.url);
  redis.on('error', () => {});
  closers.push(() => void redis.disconnect());
  const producerRedis = producerConnection(cluster.url);
  const producer = createProducer({ redis: producerRedis, prefix, logger: silent });
  closers.push(() => producer.close());
  const { emulator, lines, worker: running } = await watchedWorker(redis, prefix, recheckMs, worker);
  const first = await producer.send(request('13900000081'));
  await waitFor(async () => (await producer.getStatus(first.sendId)).counts.accepted === 1, 'the first send to be accepted');
  const admin = (node: RedisNode) => {
    const client = node.admin();
    closers.push(() => void client.disconnect());
    return client;
  };
  return {
    cluster,
    redis,
    producerRedis,
    producer,
    emulator,
    lines,
    worker: running,
    admin,
    async moveToEverysec(): Promise<Redis> {
      const fromPort = await cluster.portServing(prefix);
      const to = cluster.masters.find((m) => m.port !== fromPort)!;
      const newOwner = admin(to);
      await newOwner.config('SET', 'appendfsync', 'everysec');
      await cluster.moveSlot(prefix, to);
      // The deployment's keys (queues, the first send) now live on the new owner only.
      expect(await admin(cluster.masters.find((m) => m.port === fromPort)!).keys(`${prefix}*`)).toEqual([]);
      expect((await newOwner.keys(`${prefix}*`)).length).toBeGreaterThan(5);
      return newOwner;
    },
  };
}

describe('a running worker on a Redis Cluster re-checks the mode', () => {
  it('when the deployment\'s slot moves, keys and all, to a master with appendfsync everysec: no new call until that master fsyncs', async () => {
    const prefix = '{smsq-recheck}';
    const { producerRedis, emulator, lines, moveToEverysec } = await workerOnCluster(prefix);
    const newOwner = await moveToEverysec();
    await waitFor(() => lines.some((l) => l.includes('appendfsync is everysec')), 'the worker to check the slot\'s new master', 10_000);

    // Written by a producer that does not check.
    const relaxed = createProducer({ redis: producerRedis, prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const calls = emulator.calls().length;
    const held = await relaxed.send(request('13900000082'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.calls().length).toBe(calls);
    expect((await relaxed.getStatus(held.sendId)).counts.queued).toBe(1);
    const said = lines.filter((l) => l.includes('appendfsync is everysec'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/"level":50.*makes no new call until it holds again \(jobs wait, nothing is lost\)\. Redis cannot keep `durability\.mode: \\"fsync\\"`: appendfsync is everysec/);

    await newOwner.config('SET', 'appendfsync', 'always');
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).counts.accepted === 1, 'the held send to go out once the new master fsyncs', 10_000);
    expect(lines.some((l) => l.includes('holds again'))).toBe(true);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === '13900000082')).toHaveLength(1);
  }, 30_000);

  it('a send that reaches the worker before its connection has seen the slot move (its claim is what meets MOVED) is not called either', async () => {
    const prefix = '{smsq-recheck}';
    // The stalled-jobs check at smsq's default interval (30 s; the test timing's 500 ms would
    // likely be the worker's first command on the slot after the move, its 'refresh' before the send).
    const { cluster, emulator, lines, moveToEverysec } = await workerOnCluster(prefix, { stalledIntervalMs: 30_000 });
    const newOwner = await moveToEverysec();
    // Enqueued at once, through a client of its own: the worker's connection learns of the move
    // only when one of its own commands is redirected, and ioredis sends that command on to the
    // new master at once, before its slots refresh ('refresh') has come back.
    const elsewhere = producerConnection(cluster.url);
    const relaxed = createProducer({ redis: elsewhere, prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const calls = emulator.calls().length;
    const held = await relaxed.send(request('13900000083'));
    await waitFor(() => lines.some((l) => l.includes('appendfsync is everysec')), 'the worker to check the slot\'s new master', 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.calls().length).toBe(calls);
    expect((await relaxed.getStatus(held.sendId)).counts.accepted).toBe(0);

    await newOwner.config('SET', 'appendfsync', 'always');
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).counts.accepted === 1, 'the held send to go out once the new master fsyncs', 10_000);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === '13900000083')).toHaveLength(1);
  }, 30_000);

  it('a claim written while the slot is being migrated, on the importing master (an ASK redirect: the slot table does not change), is not called either', async () => {
    const prefix = '{smsq-recheck}';
    // Checked every 200 ms: the hold below ends soon after the owner fsyncs again.
    const { cluster, producerRedis, emulator, lines, admin } = await workerOnCluster(prefix, { durabilityRecheckMs: 200 });
    const fromPort = await cluster.portServing(prefix);
    const owner = admin(cluster.masters.find((m) => m.port === fromPort)!);
    const to = cluster.masters.find((m) => m.port !== fromPort)!;
    const importer = admin(to);
    await importer.config('SET', 'appendfsync', 'everysec');
    // While a slot migrates, BullMQ cannot fetch a job (its scripts name keys that do not exist,
    // which Redis answers ASK, then TRYAGAIN): a claim made then is one whose job was fetched
    // before. Here it waits for a hold, the owner briefly running everysec.
    await owner.config('SET', 'appendfsync', 'everysec');
    await waitFor(() => lines.some((l) => l.includes('appendfsync is everysec')), 'the worker to hold its claims', 10_000);
    const relaxed = createProducer({ redis: producerRedis, prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const phone = '13900000085';
    const held = await relaxed.send(request(phone));
    await waitFor(async () => (await owner.llen(`${prefix}:calls:active`)) === 1, 'the worker to fetch the send\'s job');

    // The reshard begins, and the keys the claim touches are MIGRATEd first: the owner answers the
    // claim ASK, and the importing master, which no check has judged, runs it.
    const move = await cluster.beginSlotMove(prefix, to);
    const chunkKey = `${prefix}:chunk:${held.sendId}.0`;
    await move.migrate([chunkKey, `${prefix}:send:${held.sendId}:counts`, `${prefix}:send:${held.sendId}`, `${prefix}:events`, `${prefix}:recipients`, `${prefix}:pacer`]);
    const sendCalls = () => emulator.calls().filter((c) => c.action === 'SendSms' && c.phones.includes(phone)).length;
    await owner.config('SET', 'appendfsync', 'always');
    await waitFor(() => lines.some((l) => l.includes('holds again')), 'the hold to end', 10_000);
    // The claim was written, on the importing master.
    const onImporter = async (field: string) => ((await importer.pipeline().asking().hget(chunkKey, field).exec()) ?? [])[1]?.[1];
    await waitFor(async () => Number(await onImporter('attempt')) >= 1, 'the claim to be written on the importing master');
    await new Promise((r) => setTimeout(r, 1500));
    expect(sendCalls()).toBe(0);
    expect(lines.some((l) => l.includes('claim not confirmed durable') && l.includes('the slot is being migrated (a reshard) and its keys had moved there (ASK)'))).toBe(true);

    // Once the move ends, the slot's new master is checked before any call, as after MOVED.
    await move.finish();
    await waitFor(() => lines.filter((l) => l.includes('appendfsync is everysec')).length === 2, 'the worker to check the slot\'s new master', 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sendCalls()).toBe(0);
    await importer.config('SET', 'appendfsync', 'always');
    // The refused claim's undo names keys the importing master lacks, so during the move it is
    // answered TRYAGAIN and fails: the chunk stays `sending`, and is looked up before it is sent.
    await waitFor(async () => (await relaxed.getStatus(held.sendId)).counts.accepted === 1, 'the send to go out once the new master fsyncs', 20_000);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === phone)).toHaveLength(1);
  }, 60_000);
});

describe('fsync on a Redis Cluster whose master gets a replica', () => {
  it('a running worker makes no new call once the Cluster could promote a replica lacking its last claims, and a producer refuses to enqueue, naming fsync+replicas', async () => {
    const prefix = '{smsq-cluster-replica}';
    const { cluster, producerRedis, emulator, lines } = await workerOnCluster(prefix, {}, 200);
    const servingPort = await cluster.portServing(prefix);
    await cluster.addReplica(cluster.masters.find((m) => m.port === servingPort)!);
    const refusal = (l: string) => l.includes('Cluster master has 1 replica(s)');
    await waitFor(() => lines.some(refusal), 'the worker to refuse fsync on a master with a replica', 10_000);
    expect(lines.filter(refusal)[0]).toMatch(/"level":50.*makes no new call until it holds again.*Redis cannot keep `durability\.mode: \\"fsync\\"`: this Redis Cluster master has 1 replica\(s\) \(connected_slaves:1\), which the Cluster promotes on its own.*Fix: `durability\.mode: \\"fsync\+replicas\\"`/);

    // A producer that checks (after its 30 s, or a new one) refuses; one that does not enqueues, and the worker holds it.
    const checking = createProducer({ redis: producerConnection(cluster.url), prefix, logger: silent });
    closers.push(() => checking.close());
    await expect(checking.send(request('13900000092'))).rejects.toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE', message: expect.stringMatching(/Cluster master has 1 replica/) });
    const relaxed = createProducer({ redis: producerRedis, prefix, logger: silent, durability: { mode: 'none' } });
    closers.push(() => relaxed.close());
    const calls = emulator.calls().length;
    const held = await relaxed.send(request('13900000093'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.calls().length).toBe(calls);
    expect((await relaxed.getStatus(held.sendId)).counts.queued).toBe(1);
  }, 60_000);
});

describe('a producer re-checks the mode', () => {
  it('while a long campaign streams: Redis ceasing to keep it stops the campaign, held paused with what was read', async () => {
    const server = await privateRedis({ appendfsync: 'always' });
    const redis = connect(server.url);
    const clock = createManualClock(Date.now());
    const producer = createProducer({ redis: producerConnection(server.url), prefix: '{smsq-recheck}', logger: silent, clock });
    closers.push(() => producer.close());
    const total = 40_000;
    async function* list() {
      for (let i = 0; i < total; i++) {
        // After the first write: Redis weakened, and the producer's last check 30 s old.
        if (i === 9000) {
          await redis.config('SET', 'appendfsync', 'everysec');
          clock.advance(30_001);
        }
        yield { phone: String(13600000000 + i) };
      }
    }
    const refusal = await producer.campaign(list(), { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' }).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    const stopped = (refusal as { stopped?: { sendId?: string; recipients: number } }).stopped;
    expect(stopped?.sendId).toBeDefined();
    expect(String((refusal as Error).message)).toMatch(
      new RegExp(`^Redis cannot keep \`durability\\.mode: "fsync"\`: appendfsync is everysec.*Fix: CONFIG SET appendfsync always.*\\. The campaign was stopped \\(Redis stopped keeping SMSQ_DURABILITY=fsync\\).*enqueued as send ${stopped?.sendId}, now paused`),
    );
    const status = await producer.getStatus(stopped?.sendId as string).catch(() => undefined);
    // Read on the producer's connection once Redis keeps the mode again (reads are not refused anyway).
    await redis.config('SET', 'appendfsync', 'always');
    const held = status ?? (await producer.getStatus(stopped?.sendId as string));
    expect(held.send).toMatchObject({ control: 'paused', recipients: stopped?.recipients });
    expect(held.send.enqueuedAt).toBeDefined(); // its enqueue ended: the repair sweep leaves it be
    expect(held.send.controlReason).toMatch(/its enqueue was stopped \(Redis stopped keeping SMSQ_DURABILITY=fsync\)/);
    expect(stopped?.recipients).toBeGreaterThan(0);
    expect(stopped?.recipients).toBeLessThan(total);
  }, 30_000);

  it('after 30 s, and at once after its connection comes back', async () => {
    const server = await privateRedis({ appendfsync: 'always' });
    const redis = connect(server.url);
    const producerRedis = producerConnection(server.url);
    const clock = createManualClock(Date.now());
    const producer = createProducer({ redis: producerRedis, prefix: '{smsq-recheck}', logger: silent, clock });
    closers.push(() => producer.close());
    await producer.send(request('13900000061'));

    await redis.config('SET', 'appendfsync', 'everysec');
    // Checked less than 30 s ago: taken on that check.
    await producer.send(request('13900000062'));
    clock.advance(30_001);
    await expect(producer.send(request('13900000063'))).rejects.toThrow(/appendfsync is everysec/);
    await redis.config('SET', 'appendfsync', 'always');
    await producer.send(request('13900000064'));

    // Redis restarts with everysec: the producer's next send checks the server it reconnected to.
    await server.stop();
    const second = await privateRedis({ appendfsync: 'everysec', port: server.port });
    await waitFor(async () => (await producerRedis.ping().catch(() => '')) === 'PONG', 'the producer\'s connection to come back', 10_000);
    await expect(producer.send(request('13900000065'))).rejects.toThrow(/appendfsync is everysec/);
    expect(await connect(second.url).keys('{smsq-recheck}*')).toEqual([]);
  }, 30_000);
});
