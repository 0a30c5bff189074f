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
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer } from '../../server/build-server.js';
import { createProducer } from '../../producers/producer.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { followPrimary } from '../support/replicated-redis.js';
import { startStallableProxy } from '../support/stallable-proxy.js';
import { runWaitaofTests, VALKEY } from '../support/valkey.js';
import { waitFor } from '../support/wait.js';
import { createProducerConnection } from '../support/redis.js';

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

const replicaOf = followPrimary;

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
    const cliRedis = createProducerConnection(primary.url, DURABILITY);
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
    const controlAfter = await controls(after);
    // Under load the new replica's first WAIT can outlast the 300 ms: 503 SMSQ_NOT_DURABLE says to give it again.
    const againControl = async (action: 'pause' | 'cancel', sendId: string) => {
      for (let tries = 1; ; tries++) {
        const res = await controlAfter(action, sendId);
        if (res.statusCode !== 503 || res.json().error?.code !== 'SMSQ_NOT_DURABLE' || tries === 5) return res;
      }
    };
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

describe('pause and cancel in the default mode (appendfsync always)', () => {
  it('answered OK, a cancel outlives a power cut that comes while other cancels are in flight (the AOF cut back to what Redis had fsynced): none of its recipients is sent after the restart', async () => {
    // Each fsync takes 10 ms, as on a slow disk: the cut can land on a write not yet fsynced.
    const redis = await startCrashableRedis({ appendfsync: 'always', fsyncDelayMs: 10 });
    closers.push(() => redis.stop());
    const h = await createHarness({ label: 'control-fsync', redisUrl: redis.url });
    closers.push(() => h.close());
    const sends = await Promise.all(Array.from({ length: 150 }, (_, i) => codes(h, phonesFrom(13849000000 + 10 * i, 2))));
    const control = await controls(h);
    // Its durability check made now: the cancels below do not wait for it.
    await control('pause', sends[0]!.sendId);

    // Every send cancelled at once, other traffic going on; the power cut comes once a tenth are
    // answered, at a moment Redis holds a write it has not fsynced, and Redis starts again at once
    // (the producer's connection fails the calls under way at the cut: a control then answers 503).
    const answered = new Set<string>();
    let crashed = false;
    let cut: Promise<{ bytesLost: number }> | undefined;
    const other = (async () => {
      for (let i = 0; !crashed; i++) await codes(h, [String(13849400000 + i)]).catch(() => undefined);
    })();
    await Promise.all(
      sends.map(async ({ sendId }) => {
        const res = await control('cancel', sendId);
        // Only an answer given before the cut counts: the ones after it are answers of the restarted Redis.
        if (res.statusCode !== 200 || crashed) return;
        answered.add(sendId);
        if (answered.size >= sends.length / 10) {
          cut ??= waitFor(() => redis.unsyncedBytes() > 0, 'a write Redis has not fsynced yet', 10_000, 0).then(async () => {
            crashed = true;
            const report = await redis.crash('fsynced');
            await redis.start();
            return report;
          });
        }
      }),
    );
    const { bytesLost } = await cut!;
    await other;
    expect(bytesLost).toBeGreaterThan(0);

    await waitFor(() => h.producer.getStatus(sends[0]!.sendId).catch(() => undefined), 'the producer to reconnect', 15_000);
    const notCancelled: string[] = [];
    for (const id of answered) if ((await h.producer.getStatus(id)).send.state !== 'cancelled') notCancelled.push(id);
    // A worker starts: a send whose cancel was not answered before the cut is sent or cancelled; one answered, not a recipient of it.
    await h.startWorker();
    const others = sends.filter((s) => !answered.has(s.sendId));
    await waitFor(async () => {
      for (const s of others) {
        const st = await h.producer.getStatus(s.sendId);
        if (st.send.state !== 'cancelled' && st.counts.accepted + st.counts.delivered < 2) return false;
      }
      return true;
    }, 'the sends whose cancel was not answered to be sent or cancelled', 20_000);
    const sentAfter = h.emulator.accepted().length;
    const answeredPhones = new Set(sends.filter((s) => answered.has(s.sendId)).flatMap((s) => phonesFrom(13849000000 + 10 * sends.indexOf(s), 2)));
    const sentOfAnswered = h.emulator.accepted().flatMap((c) => c.phoneNumbers).filter((p) => answeredPhones.has(p)).length;
    expect({ notCancelled, sentOfAnswered }, `${answered.size} cancels of ${sends.length} answered 200 before a power cut that threw away ${bytesLost} bytes; ${sentAfter} calls after the restart (the other traffic included)`).toEqual({ notCancelled: [], sentOfAnswered: 0 });
    console.info(`default mode: ${answered.size} cancels of ${sends.length} answered 200 before a power cut that threw away ${bytesLost} bytes: all kept, 0 of their ${answeredPhones.size} recipients sent; ${sentAfter} calls for the rest`);
  }, 60_000);

  it('Redis switched to appendfsync everysec under a running producer: a cancel is applied but answered 503 naming the setting (it was answered 200, and a power cut right after lost it)', async () => {
    const redis = await startCrashableRedis({ appendfsync: 'always' });
    closers.push(() => redis.stop());
    let offsetMs = 0;
    const h = await createHarness({ label: 'control-recheck', redisUrl: redis.url, clock: { now: () => Date.now() + offsetMs } });
    closers.push(() => h.close());
    const stopped = phonesFrom(13849500000, 10);
    const { sendId } = await codes(h, stopped);
    const control = await controls(h);

    // An operator (or a failover to a Redis configured otherwise) makes Redis fsync once a second.
    const admin = new Redis(redis.url);
    await admin.config('SET', 'appendfsync', 'everysec');
    admin.disconnect();
    offsetMs += 31_000; // past the producer's 30 s between checks
    const res = await control('cancel', sendId);
    // A host crash before Redis's next fsync.
    const { bytesLost } = await redis.crash('fsynced');
    await redis.start();
    const state = (await waitFor(() => h.producer.getStatus(sendId).catch(() => undefined), 'the producer to reconnect', 15_000)).send.state;
    // Redis came back as its command line says (appendfsync always): a cancel refused is given again.
    const again = res.statusCode === 200 ? undefined : await control('cancel', sendId);
    await h.startWorker();
    await waitFor(async () => {
      const st = await h.producer.getStatus(sendId);
      return st.counts.queued + st.counts.sending + st.counts.unknown === 0;
    }, 'the send settled', 20_000);
    const sent = h.emulator.accepted().flatMap((c) => c.phoneNumbers).filter((p) => stopped.includes(p)).length;
    const told = `cancel answered ${res.statusCode} under appendfsync everysec; a power cut threw away ${bytesLost} bytes; after the restart the send is ${state}${again ? `, the cancel given again is answered ${again.statusCode}` : ''}, and ${sent} of ${stopped.length} recipients were sent`;
    if (res.statusCode === 200) expect(state, told).toBe('cancelled');
    expect(sent, told).toBe(0);
    expect({ status: res.statusCode, code: res.json().error?.code }, told).toEqual({ status: 503, code: 'SMSQ_REDIS_NOT_DURABLE' });
    expect(res.json().error.message).toMatch(/appendfsync is everysec.*The cancel of send \S+ is applied, but a host crash may lose it/);
    expect(again?.statusCode, told).toBe(200);
    console.info(told);
  }, 60_000);
});
