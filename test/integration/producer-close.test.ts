/**
 * Closing a producer while calls are in flight. Before, close() closed the producer's queues and
 * resolved at once: a send or campaign under way went on writing on the caller's connection, and a
 * caller that closed that connection once close() had resolved (the CLI, the test harness, any
 * service's shutdown) cut it half-way: 500 of 3000 chunks written, the send left `enqueuing` for the
 * repair sweep to fail ten minutes later, and the call rejected with SMSQ_REDIS_UNAVAILABLE blaming
 * a Redis that was fine. Now close() waits for the calls in flight, and closeWithin(graceMs) stops
 * the campaigns still reading when its grace runs out, holding each paused with what it read.
 * Against real Redis; the producer only (no worker needed).
 */
import { describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import type { CampaignProgress } from '../../producers/campaign.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { CampaignStoppedError, ProducerClosedError, RedisUnavailableError } from '../../src/errors.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { startFreezableRedis } from '../support/freezable-redis.js';
import { SILENCE_AFTER_GRACE_MS } from '../../src/queue/redis-silence.js';
import { commandTimeoutOf } from '../../src/queue/connection.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { createProducerConnection } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
const CAMPAIGN = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } };
const harnesses = harnessPerTest();

const numbers = (n: number, from: number) => Array.from({ length: n }, (_, i) => String(from + i));

/** `n` rows, pausing `pauseMs` every 200 rows (a database cursor's pages). */
async function* slowList(n: number, pauseMs = 5): AsyncGenerator<CampaignRecipient> {
  for (let i = 0; i < n; i++) {
    if (i % 200 === 0) await new Promise((r) => setTimeout(r, pauseMs));
    yield { phone: String(13500000000 + i) };
  }
}

/** `n` rows, then a read that is never answered (a pipe or cursor with nothing more to say yet); `onStall` once it is asked for. */
async function* stalledList(n: number, onStall?: () => void): AsyncGenerator<CampaignRecipient> {
  for (let i = 0; i < n; i++) yield { phone: String(13500000000 + i) };
  onStall?.();
  await new Promise(() => {});
}

/** How a call ended, and when (for the order against close()). */
interface Settled<T> {
  value?: T;
  error?: unknown;
  at: number;
}
function settle<T>(call: Promise<T>): Promise<Settled<T>> {
  return call.then(
    (value) => ({ value, at: performance.now() }),
    (error: unknown) => ({ error, at: performance.now() }),
  );
}

/** The send's jobs in the calls queue. */
async function jobsOf(h: Harness, sendId: string): Promise<number> {
  return (await h.redis.keys(`${h.prefix}:calls:s.${sendId}.*`)).length;
}

/** A send whose enqueue ended, every chunk with its job: nothing for the repair sweep to end. */
async function expectWhole(h: Harness, sendId: string, state: string, recipients: number): Promise<void> {
  const { send } = await h.producer.getStatus(sendId);
  expect(send).toMatchObject({ state, recipients });
  expect(send.enqueuedAt).toBeDefined();
  expect(await jobsOf(h, sendId)).toBe(send.chunks);
}

/**
 * A campaign whose list stalls after 2,500 rows, under way on a producer of Redis `url` once its
 * first 1,000 are written. A producer's connection fails its commands while Redis is down
 * (createProducer takes no other).
 */
async function campaignUnderWay(h: Harness, url: string) {
  const redis = createProducerConnection(url);
  harnesses.defer(async () => redis.disconnect());
  const producer = createProducer({ redis, prefix: h.prefix });
  let progress: CampaignProgress | undefined;
  const campaign = settle(producer.campaign(stalledList(2500), CAMPAIGN, { onProgress: (p) => (progress = p) }));
  await waitFor(() => (progress?.written ?? 0) >= 1000, 'the first chunks to be written');
  return { producer, redis, campaign, progress: () => progress! };
}

/** The producer under test, on a connection of the caller's own (the harness's stays open to look). */
function producerOnOwnConnection(h: Harness): { producer: Producer; redis: RedisConnection } {
  const redis = createProducerConnection();
  harnesses.defer(async () => redis.disconnect());
  return { producer: createProducer({ redis, prefix: h.prefix }), redis };
}

describe('close() waits for the calls in flight', () => {
  it('a send and a sendBatch under way finish whole and are acknowledged before close() resolves; the caller may then close its connection', async () => {
    const h = await harnesses.create({ label: 'close-send' });
    const { producer, redis } = producerOnOwnConnection(h);
    // 5000 verification codes: 5000 chunks, written 500 a round trip.
    const send = settle(producer.send({ ...CODE, phones: numbers(5000, 13600000000) }));
    const batch = settle(
      producer.sendBatch({ templateCode: N.notificationTemplate, messages: numbers(1000, 13700000000).map((phone) => ({ phone, signName: N.sign, templateParam: { name: 'a', order: '1' } })) }),
    );
    // Closed mid-way: once a send is written in part (its enqueue not ended).
    await waitFor(async () => {
      const records = (await h.redis.keys(`${h.prefix}:send:*`)).filter((k) => /:send:[^:]+$/.test(k));
      const states = await Promise.all(records.map((k) => h.redis.hget(k, 'state')));
      return states.includes('enqueuing');
    }, 'a send to be written in part', 15_000, 5);

    await producer.close();
    const closedAt = performance.now();
    // What a caller does once close() has resolved: nothing of the producer's may still need it.
    redis.disconnect();

    const [sent, batched] = await Promise.all([send, batch]);
    expect(sent.error).toBeUndefined();
    expect(batched.error).toBeUndefined();
    expect(sent.at).toBeLessThanOrEqual(closedAt);
    expect(batched.at).toBeLessThanOrEqual(closedAt);
    await expectWhole(h, sent.value!.sendId, 'active', 5000);
    await expectWhole(h, batched.value!.sendId, 'active', 1000);
  });

  it('a campaign under way reads its list to the end before close() resolves; calls made meanwhile are refused at once', async () => {
    const h = await harnesses.create({ label: 'close-campaign' });
    const { producer, redis } = producerOnOwnConnection(h);
    let progress: CampaignProgress | undefined;
    const campaign = settle(producer.campaign(slowList(6000), CAMPAIGN, { onProgress: (p) => (progress = p) }));
    await waitFor(() => (progress?.written ?? 0) > 0, 'the first chunk to be written');

    const closing = producer.close();
    let closedAt: number | undefined;
    void closing.then(() => (closedAt = performance.now()));
    // Closed for new calls at once, while it waits: refused without being waited for.
    const refused = await settle(producer.send({ ...CODE, phones: ['13800138000'] }));
    expect(refused.error).toBeInstanceOf(ProducerClosedError);
    await expect(producer.getStatus(progress!.sendId)).rejects.toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED' });
    expect(closedAt).toBeUndefined();

    await closing;
    redis.disconnect();
    const done = await campaign;
    expect(done.error).toBeUndefined();
    expect(done.value).toMatchObject({ recipients: 6000, duplicate: false });
    expect(done.at).toBeLessThanOrEqual(closedAt!);
    await expectWhole(h, done.value!.sendId, 'active', 6000);
  });

  it('leaves the caller\'s connection open: the producer owns no connection', async () => {
    const h = await harnesses.create({ label: 'close-conn' });
    const { producer, redis } = producerOnOwnConnection(h);
    await producer.send({ ...CODE, phones: ['13800138001'] });
    await producer.close();
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
  });
});

describe('closeWithin(graceMs)', () => {
  it('resolves true when the calls in flight end within the grace, and at once when none is', async () => {
    const h = await harnesses.create({ label: 'close-within-ok' });
    const { producer } = producerOnOwnConnection(h);
    const send = settle(producer.send({ ...CODE, phones: numbers(200, 13600000000) }));
    expect(await producer.closeWithin(10_000)).toBe(true);
    const sent = await send;
    expect(sent.error).toBeUndefined();
    await expectWhole(h, sent.value!.sendId, 'active', 200);

    const idle = createProducer({ redis: h.producerRedis, prefix: h.prefix });
    const from = performance.now();
    expect(await idle.closeWithin(5000)).toBe(true);
    expect(performance.now() - from).toBeLessThan(1000);
    // After close(): nothing in flight.
    expect(await producer.closeWithin(10)).toBe(true);
  });

  it('stops a campaign still reading when the grace runs out, as its AbortSignal would: paused, holding what it read, its enqueue ended', async () => {
    const h = await harnesses.create({ label: 'close-within-stop' });
    const { producer, redis } = producerOnOwnConnection(h);
    let progress: CampaignProgress | undefined;
    const campaign = settle(producer.campaign(stalledList(2500), CAMPAIGN, { onProgress: (p) => (progress = p) }));
    await waitFor(() => (progress?.written ?? 0) >= 1000, 'the first chunks to be written');

    const from = performance.now();
    const inTime = await producer.closeWithin(300);
    const closedAt = performance.now();
    redis.disconnect();

    expect(inTime).toBe(false);
    expect(closedAt - from).toBeGreaterThanOrEqual(290);
    const stopped = await campaign;
    expect(stopped.at).toBeLessThanOrEqual(closedAt);
    expect(stopped.error).toBeInstanceOf(CampaignStoppedError);
    const err = stopped.error as CampaignStoppedError;
    expect(err).toMatchObject({ code: 'SMSQ_CAMPAIGN_STOPPED', stopped: { sendId: progress!.sendId, recipients: 2500, rowsRead: 2500 } });
    expect(err.message).toContain('the campaign was stopped (producer closed after its 300 ms grace) after 2500 rows: the 2500 recipients read before it were enqueued as send');
    await expectWhole(h, progress!.sendId, 'paused', 2500);
  });

  it('stops a campaign\'s dry run still reading (planCampaign): nothing was enqueued', async () => {
    const h = await harnesses.create({ label: 'close-within-plan' });
    const { producer } = producerOnOwnConnection(h);
    let stalled!: () => void;
    const readAll = new Promise<void>((resolve) => (stalled = resolve));
    const plan = settle(producer.planCampaign(stalledList(1500, stalled), CAMPAIGN));
    await readAll;
    expect(await producer.closeWithin(100)).toBe(false);
    const { error } = await plan;
    expect(error).toBeInstanceOf(CampaignStoppedError);
    expect(error).toMatchObject({ stopped: { sendId: undefined, recipients: 0, rowsRead: 1500 } });
    expect((error as Error).message).toContain('nothing was enqueued');
    expect(await h.redis.keys(`${h.prefix}:send:*`)).toEqual([]);
  });

  it('with Redis gone when the grace runs out, resolves false at once; the stopped campaign fails, naming its send and the stop', async () => {
    const h = await harnesses.create({ label: 'close-within-down' });
    const server = await startCrashableRedis({ appendfsync: 'always' });
    harnesses.defer(() => server.stop());
    const { producer, redis, campaign, progress } = await campaignUnderWay(h, server.url);
    await server.kill();
    await waitFor(() => redis.status !== 'ready', 'the connection to see Redis gone');

    const from = performance.now();
    expect(await producer.closeWithin(200)).toBe(false);
    expect(performance.now() - from).toBeLessThan(2000);
    const { error } = await campaign;
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error).toMatchObject({ campaign: { sendId: progress().sendId, stopping: 'producer closed after its 200 ms grace' } });
    expect((error as Error).message).toContain(`Fix: once Redis answers, cancel it (\`producer.cancel("${progress().sendId}")\`)`);
  });

  it('with Redis frozen when the grace runs out (its connection open, nothing answered), resolves false within a second of silence, not after the command timeout', async () => {
    const h = await harnesses.create({ label: 'close-within-frozen' });
    const server = await startFreezableRedis(harnesses.defer);
    const { producer, redis, campaign, progress } = await campaignUnderWay(h, server.url);
    server.freeze();

    const from = performance.now();
    expect(await producer.closeWithin(200)).toBe(false);
    const took = performance.now() - from;
    // The grace, then at most one unanswered PING window (SILENCE_AFTER_GRACE_MS); before, the
    // stop's writes were waited for until the connection's command timeout failed them (5 s here).
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(200 + SILENCE_AFTER_GRACE_MS + 1500);
    expect(commandTimeoutOf(redis)).toBeGreaterThan(200 + SILENCE_AFTER_GRACE_MS + 1500);
    // The calls under way fail as with Redis gone, once their commands time out.
    const { error } = await campaign;
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error).toMatchObject({ campaign: { sendId: progress().sendId, stopping: 'producer closed after its 200 ms grace' } });
  });
});
