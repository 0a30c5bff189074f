/**
 * A campaign whose list streams in slowly (an upload, a pipe) across a Sentinel failover to a
 * replica that lags, in SMSQ_DURABILITY=replicas, produced for real: the replication stream held
 * in the primary's proxy (test/support/stallable-proxy.ts), the primary SIGKILLed with those bytes
 * held, the sentinels promoting the replica, a replacement replica joining it. The producer's
 * connection (as `smsq campaign` and `smsq server` open it) follows the sentinels to the new
 * primary while the list is still being read.
 *
 * Before, the campaign went on writing there: the promoted replica lacked the send's record, its
 * idempotency key and the chunks written while it lagged, and got the rest of the list as chunks
 * of a send no record names. Workers sent those; the final confirmation refused the campaign
 * (SMSQ_NOT_DURABLE, "retry with the same idempotency key"), and the retry under that key, lost
 * with the rest, enqueued the whole list again: 3,000 of 6,000 recipients got the SMS twice. With
 * the key and the record kept but the chunks written during the lag lost, the refusal cancelled
 * the send and the retry answered it (a duplicate, cancelled): 5,000 of 6,000 recipients never sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { clientCommandTimeoutMs, createRedisConnection, DEFAULT_REDIS_CONNECT_TIMEOUT_MS } from '../../src/queue/connection.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startSentinelDeployment, type SentinelDeployment } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';
import { replicationField } from '../support/replicated-redis.js';

const logger = createLogger({ level: 'silent' });
const DURABILITY = { mode: 'replicas', replicas: 1, timeoutMs: 300 } as const satisfies DurabilityOptions;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});


const phonesFrom = (first: number, count: number) => Array.from({ length: count }, (_, i) => String(first + i));

function acceptedPerPhone(h: Harness): Map<string, number> {
  const per = new Map<string, number>();
  for (const send of h.emulator.accepted()) for (const phone of send.phoneNumbers) per.set(phone, (per.get(phone) ?? 0) + 1);
  return per;
}

const SETTINGS = { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const, idempotencyKey: 'spring-list' };

/** A harness (emulator, in-process worker on the sentinels' primary) and a producer on a `client` connection, as the CLI opens it. */
async function setUp(d: SentinelDeployment): Promise<{ h: Harness; producer: Producer; ready: () => boolean }> {
  const h = await createHarness({ label: 'campaign-failover', redisUrl: d.url, durability: DURABILITY });
  closers.push(() => h.close());
  await h.startWorker();
  const conn = createRedisConnection(d.url, { role: 'client', commandTimeoutMs: clientCommandTimeoutMs(DEFAULT_REDIS_CONNECT_TIMEOUT_MS, DURABILITY.timeoutMs) });
  closers.push(() => void conn.disconnect());
  const producer = createProducer({ redis: conn, prefix: h.prefix, logger, durability: DURABILITY });
  closers.push(() => producer.close());
  // The producer's start-up check and a send through the whole pipeline, before any fault.
  const warm = await producer.send({ phones: ['13848200000'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
  await waitFor(async () => {
    const { counts } = await producer.getStatus(warm.sendId);
    return counts.accepted + counts.delivered === 1;
  }, 'the first send accepted');
  return { h, producer, ready: () => conn.status === 'ready' };
}

/** SIGKILLs the primary with its replication stream held, waits for the replica's promotion and a replacement replica; returns the bytes the promoted replica lacks. */
async function failOver(d: SentinelDeployment): Promise<number> {
  const primaryOffset = await replicationField(d.primary, 'master_repl_offset');
  await d.primary.kill();
  d.primary.link!.cut();
  expect(await d.waitForPromotion(d.primary.port, 30_000)).toBe(d.replica.port);
  const promotedOffset = (await replicationField(d.replica, 'second_repl_offset')) - 1;
  // WAIT has a replica again: what the deployment needs to take writes in this mode.
  await d.addReplica();
  return primaryOffset - promotedOffset;
}

/** Waits until nothing of `sendId` is left to send (its counts may not cover recipients whose chunks were lost), then a little longer for any straggler. */
async function settled(producer: Producer, sendId: string): Promise<void> {
  await waitFor(
    async () => {
      const { send, counts } = await producer.getStatus(sendId);
      return send.state !== 'enqueuing' && counts.queued + counts.sending + counts.unknown === 0;
    },
    `send ${sendId} settled`,
    40_000,
  );
  await new Promise((r) => setTimeout(r, 1000));
}

describe('a campaign streaming across a Sentinel failover to a replica that lags (SMSQ_DURABILITY=replicas)', () => {
  let d: SentinelDeployment;
  beforeEach(async () => {
    // down-after 2.5 s as redis-topology.test.ts has it (a shorter one failed over again, to the replacement).
    d = await startSentinelDeployment({ downAfterMs: 2500, failoverTimeoutMs: 2000, appendfsync: 'everysec', proxied: true });
    closers.push(() => d.stop());
  }, 45_000);

  it('the replica lagging from its start: the campaign stops writing once its connection is lost, and the retry under its key sends each recipient once', async () => {
    const { h, producer, ready } = await setUp(d);
    const phones = phonesFrom(13848210000, 6000);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* rows() {
      for (let i = 0; i < 3000; i++) yield { phone: phones[i] as string };
      // The rest of the list arrives after the failover, as an upload or a pipe may.
      await gate;
      for (let i = 3000; i < 6000; i++) yield { phone: phones[i] as string };
    }
    d.primary.link!.stall();
    let written = 0;
    const first = producer.campaign(rows(), SETTINGS, { onProgress: (p) => (written = p.written) }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    await waitFor(() => written >= 3000, 'the first 3,000 recipients written while the replica lags');
    const lost = await failOver(d);
    expect(lost).toBeGreaterThan(0);
    await waitFor(ready, 'the producer connected to the promoted replica', 20_000);
    release();
    const refusal = await first;
    // Not told "queued": nothing of it is confirmed on the promoted replica.
    expect(refusal?.code, refusal?.message).toBe('SMSQ_NOT_DURABLE');
    expect(refusal?.message).toMatch(/^campaign send smx\w+ could not be made durable: the connection to Redis was lost part-way through its list, .*so nothing more of it was written\. Fix: once Redis answers, make the same request with the same idempotency key \(spring-list\)/);

    // The caller retries as the refusal says: the same request with the same key.
    const retried = await producer.campaign((async function* () {
      for (const phone of phones) yield { phone };
    })(), SETTINGS);
    expect(retried.recipients).toBe(6000);
    await settled(producer, retried.sendId);
    const per = acceptedPerPhone(h);
    const twice = phones.filter((p) => (per.get(p) ?? 0) > 1).length;
    const never = phones.filter((p) => !per.get(p)).length;
    const told = `the promoted replica lacked ${lost} bytes; first answer ${refusal?.code}: ${refusal?.message}; the retry answered send ${retried.sendId}; of 6,000 recipients ${twice} were sent twice, ${never} never`;
    expect({ twice, never }, told).toEqual({ twice: 0, never: 0 });
  }, 120_000);

  it('the replica lagging after the first chunk: the retry under the key completes the same send, and no recipient is left unsent', async () => {
    const { h, producer, ready } = await setUp(d);
    const phones = phonesFrom(13848230000, 6000);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let written = 0;
    async function* rows() {
      for (let i = 0; i < 1000; i++) yield { phone: phones[i] as string };
      // The send, its key and its first chunk reach the replica; then it lags.
      await waitFor(() => written >= 1000, 'the first chunk written');
      const offset = await replicationField(d.primary, 'master_repl_offset');
      await waitFor(async () => (await replicationField(d.replica, 'master_repl_offset')) >= offset, 'the replica to have the first chunk');
      d.primary.link!.stall();
      for (let i = 1000; i < 3000; i++) yield { phone: phones[i] as string };
      await gate;
      for (let i = 3000; i < 6000; i++) yield { phone: phones[i] as string };
    }
    const first = producer.campaign(rows(), SETTINGS, { onProgress: (p) => (written = p.written) }).then(
      (r) => r as unknown as Error & { code?: string },
      (e: unknown) => e as Error & { code?: string },
    );
    await waitFor(() => written >= 3000, 'the first 3,000 recipients written, 2,000 of them while the replica lags');
    const lost = await failOver(d);
    expect(lost).toBeGreaterThan(0);
    await waitFor(ready, 'the producer connected to the promoted replica', 20_000);
    release();
    const refusal = await first;
    expect(refusal?.code, refusal?.message).toBe('SMSQ_NOT_DURABLE');
    expect(refusal?.message).toMatch(/^campaign send smx\w+ could not be made durable: the connection to Redis was lost part-way through its list, .*so nothing more of it was written\. Fix: once Redis answers, make the same request with the same idempotency key \(spring-list\)/);
    const sendId = /send (smx\w+)/.exec(refusal?.message ?? '')?.[1];

    // The first request's lease on the key lets go as it ends; the retry takes the send over.
    const retried = await producer.campaign((async function* () {
      for (const phone of phones) yield { phone };
    })(), SETTINGS);
    await settled(producer, retried.sendId);
    const per = acceptedPerPhone(h);
    const twice = phones.filter((p) => (per.get(p) ?? 0) > 1).length;
    const never = phones.filter((p) => !per.get(p)).length;
    const state = (await producer.getStatus(retried.sendId)).send.state;
    const told = `the promoted replica lacked ${lost} bytes; first answer ${refusal?.code}: ${refusal?.message}; the retry answered send ${retried.sendId} (${retried.duplicate ? 'duplicate' : 'new'}, ${state}); of 6,000 recipients ${twice} were sent twice, ${never} never`;
    expect({ twice, never }, told).toEqual({ twice: 0, never: 0 });
    expect(retried.sendId, told).toBe(sendId);
    expect(['sent', 'completed'], told).toContain(state);
  }, 120_000);
});
