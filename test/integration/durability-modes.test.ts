/**
 * SMSQ_DURABILITY against real redis-servers: what each mode refuses at start-up, and the replicas
 * mode's WAIT with a real replica that stops answering.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DURABILITY, type DurabilityOptions } from '../../src/durability/mode.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { FAST_TIMING, fastReconcileFor } from '../support/pipeline.js';
import { followPrimary, startReplicatedRedis } from '../support/replicated-redis.js';
import { waitFor } from '../support/wait.js';
import { startEmulatorClient } from '../support/emulator-client.js';
import { createProducerConnection } from '../support/redis.js';

const logger = createLogger({ level: 'silent' });
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A private Redis, a workers' connection to it (`redis`) and a producer's (`producerRedis`). */
async function privateRedis(appendfsync: 'always' | 'everysec' | 'off'): Promise<{ server: PrivateRedis; redis: Redis; producerRedis: RedisConnection }> {
  const server = await startPrivateRedis({ appendfsync });
  closers.push(() => server.stop());
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  closers.push(() => void redis.disconnect());
  const producerRedis = createProducerConnection(server.url);
  closers.push(() => void producerRedis.disconnect());
  return { server, redis, producerRedis };
}

/** A primary (`redis`: a connection to it) and a replica in sync, without AOF. */
async function replicated() {
  const pair = await startReplicatedRedis({ appendfsync: 'everysec' }, (close) => void closers.push(close));
  const redis = new Redis(pair.primary.url, { maxRetriesPerRequest: null });
  closers.push(() => void redis.disconnect());
  const producerRedis = createProducerConnection(pair.primary.url);
  closers.push(() => void producerRedis.disconnect());
  return { primary: { server: pair.primary, redis, producerRedis }, replica: { redis: pair.replicaClient }, replicaProcess: pair.replicaProcess };
}

const emulatorClient = () => startEmulatorClient((close) => void closers.push(close));

const request = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });

describe('durability checks at start-up', () => {
  it('the default mode refuses a Redis with appendfsync everysec, in the producer and the worker, writing nothing', async () => {
    const { redis, producerRedis } = await privateRedis('everysec');
    const producer = createProducer({ redis: producerRedis, prefix: '{smsq-d}', logger });
    closers.push(() => producer.close());
    const refusal = await producer.send(request('13900000011')).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    // A Node caller is told its option (`durability: { mode }` of createProducer), not a variable it never reads.
    expect(String((refusal as Error).message)).toMatch(/^Redis cannot keep `durability\.mode: "fsync"`: appendfsync is everysec.*Fix: CONFIG SET appendfsync always.*, or `durability\.mode: "replicas"` with replicas.*Or, where losing acknowledged sends is acceptable \(development\): `durability\.mode: "none"`, under which/);
    expect(String((refusal as Error).message)).not.toContain('SMSQ_DURABILITY');
    expect(String((refusal as Error).message)).not.toContain('\n'); // one line, as every refusal
    // The relaxation is said once, with its cost: the problem's own fix said it too ("or accept the risk with SMSQ_DURABILITY=none").
    expect(String((refusal as Error).message).match(/durability\.mode: "none"/g)).toHaveLength(1);
    // A dry run is refused as the send would be: it used to print a plan the real run then refused.
    await expect(producer.planSend(request('13900000011'))).rejects.toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    await expect(producer.planSendBatch({ templateCode: N.plainTemplate, messages: [{ phone: '13900000011', signName: N.sign }] })).rejects.toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    async function* one() {
      yield { phone: '13900000011' };
    }
    await expect(producer.planCampaign(one(), { signName: N.sign, templateCode: N.plainTemplate })).rejects.toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    // Not even BullMQ's queue meta: only a worker's queue writes it.
    expect(await redis.keys('*')).toEqual([]);
    // POST /v1/messages says it as the server's environment does, the relaxation once too.
    const app = await buildServer({ redis, prefix: '{smsq-d}', producer, logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, checkResponses: true });
    closers.push(() => app.close());
    const posted = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: 'Bearer test-api-token-0123456789' }, payload: request('13900000011') });
    expect({ status: posted.statusCode, code: posted.json().error?.code }, posted.body).toEqual({ status: 503, code: 'SMSQ_REDIS_NOT_DURABLE' });
    expect(String(posted.json().error.message).match(/SMSQ_DURABILITY=none/g), posted.body).toHaveLength(1);
    expect(String(posted.json().error.message), posted.body).toMatch(/^Redis cannot keep SMSQ_DURABILITY=fsync: appendfsync is everysec: a host crash loses up to a second of acknowledged writes \(SMSQ_DURABILITY=fsync needs always\)\. Fix: CONFIG SET appendfsync always \(and in redis\.conf\), or SMSQ_DURABILITY=replicas with replicas\. Or, where/);
    expect(String(posted.json().error.message), posted.body).not.toContain('durability.mode');
    expect(await redis.keys('*')).toEqual([]);

    const { client } = await emulatorClient();
    const worker = createSmsWorker({ connection: redis, client, logger, prefix: '{smsq-d}', qps: 50, readTimeoutMs: 1000 });
    closers.push(() => worker.close());
    const workerRefusal = await worker.start().catch((e: unknown) => e);
    expect(workerRefusal).toMatchObject({ code: 'SMSQ_REDIS_NOT_DURABLE' });
    // createSmsWorker's caller is told its `durability` option too.
    expect(String((workerRefusal as Error).message)).toMatch(/^Redis cannot keep `durability\.mode: "fsync"`: .*Or, where losing acknowledged sends is acceptable \(development\): `durability\.mode: "none"`, under which/);
    expect(String((workerRefusal as Error).message)).not.toContain('SMSQ_DURABILITY');
  });

  it('the default mode refuses a Redis without an AOF; none starts on it', async () => {
    const { producerRedis } = await privateRedis('off');
    const strict = createProducer({ redis: producerRedis, prefix: '{smsq-d}', logger });
    closers.push(() => strict.close());
    await expect(strict.send(request('13900000012'))).rejects.toThrow(/appendonly is off/);
    const warnings: string[] = [];
    const relaxedLogger = createLogger({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const relaxed = createProducer({ redis: producerRedis, prefix: '{smsq-d}', logger: relaxedLogger, durability: { ...DEFAULT_DURABILITY, mode: 'none' } });
    closers.push(() => relaxed.close());
    await expect(relaxed.send(request('13900000012'))).resolves.toMatchObject({ recipients: 1 });
    // A producer's own logger words the warning for its Node caller.
    expect(warnings.join('')).toMatch(/"fix":"use `durability\.mode: \\"fsync\\"` \(appendfsync always\).*"msg":"DURABILITY: `durability\.mode: \\"none\\"`: a host crash.*SMS twice/);
    expect(warnings.join('')).not.toContain('SMSQ_DURABILITY');
  });

  it('every strict mode refuses an eviction policy that may delete queued sends; none only warns', async () => {
    const { redis, producerRedis } = await privateRedis('always');
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const strict = createProducer({ redis: producerRedis, prefix: '{smsq-d}', logger });
    closers.push(() => strict.close());
    await expect(strict.send(request('13900000014'))).rejects.toThrow(/maxmemory-policy is allkeys-lru.*Fix: CONFIG SET maxmemory-policy noeviction/s);
    expect(await redis.keys('*')).toEqual([]);
    const warnings: string[] = [];
    const relaxed = createProducer({ redis: producerRedis, prefix: '{smsq-d}', logger: createLogger({ level: 'warn' }, { write: (line: string) => void warnings.push(line) }), durability: { ...DEFAULT_DURABILITY, mode: 'none' } });
    closers.push(() => relaxed.close());
    await expect(relaxed.send(request('13900000014'))).resolves.toMatchObject({ recipients: 1 });
    expect(warnings.join('')).toMatch(/maxmemory-policy is allkeys-lru/);
  });

  it('the replicas mode refuses a primary without the replicas it waits for', async () => {
    const { producerRedis } = await privateRedis('off');
    const producer = createProducer({ redis: producerRedis, prefix: '{smsq-d}', logger, durability: { ...DEFAULT_DURABILITY, mode: 'replicas' } });
    closers.push(() => producer.close());
    await expect(producer.send(request('13900000013'))).rejects.toThrow(/0 replica\(s\) connected/);
  });
});

describe('the replicas mode (WAIT) with a real replica', () => {
  it('a replica that stops answering stops enqueues and calls; once it is back, every recipient goes out once', async () => {
    const { primary, replicaProcess } = await replicated();

    // A second, not 300 ms: on a loaded machine (a CI run with helpers beside it) the healthy
    // replica's acknowledgement of the first send took longer, and that send was refused.
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 1000 };
    const prefix = '{smsq-wait}';
    const producer = createProducer({ redis: primary.producerRedis, prefix, logger, durability });
    closers.push(() => producer.close());
    const { emulator, client } = await emulatorClient();
    const worker = createSmsWorker({ connection: primary.redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 2, durability, ...FAST_TIMING, reconcile: fastReconcileFor(durability) });
    closers.push(() => worker.close());
    await worker.start();

    const first = await producer.send(request('13900000021'));
    await waitFor(async () => (await producer.getStatus(first.sendId)).counts.accepted === 1, 'the first send to be accepted');

    // The replica stops: an enqueue is not acknowledged, and a claim is never followed by a call.
    replicaProcess.kill('SIGSTOP');
    const refused = await producer.send(request('13900000022')).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'SMSQ_NOT_DURABLE' });
    // Without an idempotency key no retry can take it back: cancelled at once, and said so.
    expect(String((refused as Error).message)).toMatch(/cancelled, but a replica may have it without the cancel and be promoted, so a retry may send it twice \(a request with an idempotency key is held instead/);
    const callsBefore = emulator.calls().length;
    // An enqueue written while the replica was away (relaxed producer): the worker must not send it yet.
    const relaxedProducer = createProducer({ redis: primary.producerRedis, prefix, logger, durability: { ...durability, mode: 'none' } });
    closers.push(() => relaxedProducer.close());
    const held = await relaxedProducer.send(request('13900000023'));
    await waitFor(async () => (await primary.redis.hget(`${prefix}:chunk:${held.sendId}.0`, 'code')) === 'SMSQ_NOT_DURABLE', 'a claim refused for want of the replica');
    expect(emulator.calls().length).toBe(callsBefore);

    replicaProcess.kill('SIGCONT');
    await waitFor(async () => (await producer.getStatus(held.sendId)).counts.accepted === 1, 'the held send to go out once the replica is back', 20_000);
    const accepted = emulator.accepted().flatMap((a) => a.phoneNumbers);
    expect(accepted.filter((p) => p === '13900000023')).toHaveLength(1);
    expect(accepted).not.toContain('13900000022'); // refused and withdrawn (cancelled, having no key)
  }, 40_000);
});

describe('an enqueue withdrawn while a worker waits to confirm its claim', () => {
  // The worker claims the chunk (queued → sending) as soon as the job is added, and waits for its
  // own confirmation far longer than the producer waits for the enqueue's. The producer's fails
  // first and withdraws the send; the replica comes back at once, and the worker's confirmation of
  // its claim succeeds. Before, it then called, though the producer had said the send was cancelled
  // (or held): a caller without a key sending again texted the number twice.
  it.each([
    { how: 'cancelled (no idempotency key)', key: undefined, phone: '13900000071', said: /it was cancelled, but a replica may have it/ },
    { how: 'held (an idempotency key)', key: 'order-72', phone: '13900000072', said: /it is withdrawn \(held paused: nothing more of it is sent\)/ },
  ])('a send refused as $how is not sent by the claim that was waiting for its confirmation', async ({ key, phone, said }) => {
    const { primary, replica, replicaProcess } = await replicated();
    const prefix = '{smsq-wclaim}';
    const producerDurability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 500 };
    const workerDurability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 3000 };
    const producer = createProducer({ redis: primary.producerRedis, prefix, logger, durability: producerDurability });
    closers.push(() => producer.close());
    const { emulator, client } = await emulatorClient();
    const worker = createSmsWorker({ connection: primary.redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 2, durability: workerDurability, ...FAST_TIMING, reconcile: fastReconcileFor(workerDurability) });
    closers.push(() => worker.close());
    await worker.start();
    const warm = await producer.send(request('13900000070'));
    await waitFor(async () => (await producer.getStatus(warm.sendId)).counts.accepted === 1, 'the first send to be accepted');

    replicaProcess.kill('SIGSTOP');
    const refused = await producer.send({ ...request(phone), ...(key ? { idempotencyKey: key } : {}) }).catch((e: unknown) => e);
    replicaProcess.kill('SIGCONT');
    expect(refused).toMatchObject({ code: 'SMSQ_NOT_DURABLE' });
    const message = String((refused as Error).message);
    const sendId = /send (s[0-9a-z]+)/.exec(message)?.[1] as string;
    // The worker's claim was waiting for its confirmation when the send was withdrawn.
    expect(await primary.redis.hget(`${prefix}:chunk:${sendId}.0`, 'state')).toBe('sending');
    await waitFor(async () => (await primary.redis.hget(`${prefix}:chunk:${sendId}.0`, 'state')) !== 'sending' || undefined, 'the claim to be confirmed and acted on', 10_000);
    await waitFor(async () => /master_link_status:up/.test(await replica.redis.info('replication')), 'the replica to catch up');
    expect(message).toMatch(said);
    // What it said is so: nothing of it went out.
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === phone)).toHaveLength(0);
    expect((await producer.getStatus(sendId)).counts).toMatchObject({ accepted: 0, sending: 0 });
    if (key === undefined) return;
    // Held: the retry its refusal asks for takes it back, and it goes out once.
    await expect(producer.send({ ...request(phone), idempotencyKey: key })).resolves.toMatchObject({ sendId, duplicate: true });
    await waitFor(async () => (await producer.getStatus(sendId)).counts.accepted === 1, 'the retried send to go out', 20_000);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === phone)).toHaveLength(1);
  }, 40_000);
});

describe('a call gate held up past the call deadline', () => {
  // In the WAIT modes a worker opens its claim's call gate, a round trip, right before the call.
  // It came after the call deadline's check: a gate held up by a Redis stall (CLIENT PAUSE WRITE
  // stands in for one) still opened and the call went out 7.1 s after a claim with a 4.5 s deadline
  // (review31b), when another worker may already be looking the attempt up.
  it('the claim is undone SMSQ_CLAIM_EXPIRED, not called: no call carries its OutId', async () => {
    const { primary, replicaProcess } = await replicated();
    const prefix = '{smsq-gate-late}';
    const producerDurability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 3500 };
    const workerDurability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 2000 };
    const reconcile = fastReconcileFor(workerDurability);
    const producer = createProducer({ redis: primary.producerRedis, prefix, logger, durability: producerDurability });
    closers.push(() => producer.close());
    const { emulator, client } = await emulatorClient();
    const worker = createSmsWorker({ connection: primary.redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 2, durability: workerDurability, ...FAST_TIMING, reconcile });
    closers.push(() => worker.close());
    await worker.start();
    const warm = await producer.send(request('13900000080'));
    await waitFor(async () => (await producer.getStatus(warm.sendId)).counts.accepted === 1, 'the first send to be accepted');

    const phone = '13900000081';
    replicaProcess.kill('SIGSTOP');
    const sent = producer.send(request(phone));
    const admin = new Redis(primary.server.url);
    closers.push(() => void admin.disconnect());
    let chunkKey: string | undefined;
    await waitFor(async () => {
      for (const key of await admin.keys(`${prefix}:chunk:*`)) if ((await admin.hget(key, 'state')) === 'sending') chunkKey = key;
      return chunkKey;
    }, 'the worker to claim the chunk', 10_000, 5);
    const firstOutId = await admin.hget(chunkKey as string, 'outId');
    // Writes (the gate's script among them) wait past the deadline; WAIT, a read, does not.
    await admin.call('CLIENT', 'PAUSE', String(reconcile.callDeadlineMs + 2500), 'WRITE');
    replicaProcess.kill('SIGCONT');
    const { sendId } = await sent;
    await waitFor(async () => (await producer.getStatus(sendId)).counts.accepted === 1 || undefined, 'the send to go out on a later attempt', 30_000);
    const calls = emulator.accepted().filter((a) => a.phoneNumbers.includes(phone));
    expect(calls.map((c) => c.outId), 'OutIds of the calls made for the number').not.toContain(firstOutId);
    expect(calls).toHaveLength(1);
  }, 60_000);
});

describe('an enqueue withdrawn after a worker let its call go', () => {
  // The other order: the worker waits for one replica, the producer for two, and one of them stops.
  // The worker's claim is confirmed and its call's gate opened long before the producer's
  // confirmation times out and cancels the send: the chunk goes out, and the refusal must say so.
  it('the refusal says the recipients a worker had taken to the API may get it, and does not say it was cancelled as a whole', async () => {
    const { primary, replicaProcess } = await replicated();
    const second = await startPrivateRedis({ appendfsync: 'everysec' });
    closers.push(() => second.stop());
    await followPrimary(second, primary.server.port);
    closers.push(() => void second.process.kill('SIGCONT'));
    const prefix = '{smsq-wgone}';
    const producerDurability: DurabilityOptions = { mode: 'replicas', replicas: 2, timeoutMs: 500 };
    const workerDurability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 3000 };
    const producer = createProducer({ redis: primary.producerRedis, prefix, logger, durability: producerDurability });
    closers.push(() => producer.close());
    // Its answer comes after the producer's confirmation times out: the chunk is `sending`, its
    // gate open, when the producer cancels (a chunk already answered is said by the cancel itself).
    const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 }, latencyMs: 1000 });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 3000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const worker = createSmsWorker({ connection: primary.redis, client, logger, prefix, qps: 50, readTimeoutMs: 3000, concurrency: 2, durability: workerDurability, ...FAST_TIMING, reconcile: fastReconcileFor(workerDurability, 3000) });
    closers.push(() => worker.close());
    await worker.start();
    const warm = await producer.send(request('13900000073'));
    await waitFor(async () => (await producer.getStatus(warm.sendId)).counts.accepted === 1, 'the first send to be accepted');

    second.process.kill('SIGSTOP');
    const refused = await producer.send(request('13900000074')).catch((e: unknown) => e);
    second.process.kill('SIGCONT');
    expect(refused).toMatchObject({ code: 'SMSQ_NOT_DURABLE' });
    const message = String((refused as Error).message);
    const sendId = /send (s[0-9a-z]+)/.exec(message)?.[1] as string;
    await waitFor(async () => (await producer.getStatus(sendId)).counts.accepted === 1, 'the chunk its worker called to be accepted');
    expect(message).toMatch(/it was cancelled, but workers had already taken 1 of its recipients to the API before the withdrawal, and they may get it/);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === '13900000074')).toHaveLength(1);
    replicaProcess.kill('SIGCONT');
  }, 40_000);
});

describe('an idempotency key in the replicas mode', () => {
  it('a twin request is not told "queued" while the first one cannot confirm its send durable', async () => {
    const { primary, replica, replicaProcess } = await replicated();
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 600 };
    const prefix = '{smsq-twin}';
    const first = createProducer({ redis: primary.producerRedis, prefix, logger, durability });
    closers.push(() => first.close());
    const twinConnection = createProducerConnection(primary.server.url);
    closers.push(() => void twinConnection.disconnect());
    const twin = createProducer({ redis: twinConnection, prefix, logger, durability });
    closers.push(() => twin.close());
    await first.send(request('13900000061')); // both start-up checks done, replica confirming
    await twin.send(request('13900000062'));

    replicaProcess.kill('SIGSTOP');
    const req = { ...request('13900000063'), idempotencyKey: 'order-63' };
    const original = first.send(req).catch((e: unknown) => e);
    // The twin arrives while the first request waits for its confirmation (once its send is enqueued).
    await waitFor(async () => (await primary.redis.keys(`${prefix}:send:*`)).length >= 3 || undefined, 'the first request to write its send');
    const retried = await twin.send(req).catch((e: unknown) => e);
    expect(await original).toMatchObject({ code: 'SMSQ_NOT_DURABLE' });
    // Before, the twin answered the send as queued as soon as it was enqueued, unconfirmed.
    expect(retried).toMatchObject({ code: 'SMSQ_NOT_DURABLE' });

    // Neither refusal left it to go out: withdrawn, it is held for a retry.
    const withdrawn = (await primary.redis.keys(`${prefix}:send:*`)).map((k) => k.slice(`${prefix}:send:`.length)).filter((id) => !id.includes(':'));
    const sendId = (await Promise.all(withdrawn.map(async (id) => ((await first.getStatus(id)).send.idempotencyKey === 'order-63' ? id : undefined)))).find(Boolean) as string;
    expect((await first.getStatus(sendId)).send).toMatchObject({ state: 'paused', controlReason: 'not confirmed durable at enqueue' });

    replicaProcess.kill('SIGCONT');
    await waitFor(async () => /master_link_status:up/.test(await replica.redis.info('replication')), 'the replica to catch up');
    // Once the replica is back, the key answers the first request's send, confirmed, and live: it
    // goes out once. (Before, this answered `duplicate: true` with the send the first request had
    // cancelled, and this test, reading only the answer, passed with nothing sent.)
    await expect(twin.send(req)).resolves.toMatchObject({ sendId, duplicate: true });
    expect((await twin.getStatus(sendId)).send).toMatchObject({ state: 'active', control: 'active' });
    const { emulator, client } = await emulatorClient();
    const worker = createSmsWorker({ connection: primary.redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 2, durability, ...FAST_TIMING, reconcile: fastReconcileFor(durability) });
    closers.push(() => worker.close());
    await worker.start();
    await waitFor(async () => (await twin.getStatus(sendId)).counts.accepted === 1, 'the retried send to go out', 20_000);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === '13900000063')).toHaveLength(1);
  }, 40_000);
});
