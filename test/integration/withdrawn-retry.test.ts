/**
 * An enqueue that the replica does not confirm in time, in SMSQ_DURABILITY=replicas, produced for
 * real: the replication stream held in test/support/stallable-proxy.ts, as in the first seconds
 * of a failover to a replica that lags. The request is refused 503 SMSQ_NOT_DURABLE and its send
 * withdrawn; the refusal tells the caller to retry with the same idempotency key: "it returns this
 * send if it survived, and sends nothing twice".
 *
 * Before, a withdrawal cancelled the send, and once the replica caught up (no failover: the most
 * common way this ends) the retry answered 202 `"duplicate": true` with that cancelled send: the
 * verification code never went out, and the caller had been told it was queued (this file's first
 * test, then `it.fails`). Now a withdrawn send is held (paused, control reason "not confirmed
 * durable at enqueue": src/queue/withdrawal.ts): the retry that finds it confirmed resumes it, a
 * retry that cannot confirm it leaves it held (503 again), and the repair sweep cancels one no
 * retry took back within SMSQ_REPAIR_ENQUEUE_GRACE_MS, after which the key is refused with
 * SMSQ_SEND_WITHDRAWN rather than answered "queued".
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { waitText } from '../../src/queue/send-wait.js';
import { WITHDRAWN_REASON } from '../../src/queue/withdrawal.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { followPrimary, replicationField } from '../support/replicated-redis.js';
import { withdrawalSweep } from '../support/withdrawal-sweep.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';
import { waitFor } from '../support/wait.js';
import { printedByCli } from '../support/cli-run.js';
import { SendWithdrawnError } from '../../src/errors.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DURABILITY: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 300 };
const API_TOKEN = 'test-api-token-0123456789';
const GRACE_MS = 10 * 60_000;

async function redisServer(): Promise<PrivateRedis> {
  const r = await startPrivateRedis({ appendfsync: 'everysec' });
  closers.push(() => r.stop());
  return r;
}

interface Answer {
  statusCode: number;
  body: string;
  json: () => { sendId?: string; duplicate?: boolean; error?: { code: string; message: string } };
}

interface Setup {
  h: Harness;
  link: StallableProxy;
  post(phone: string, key: string): Promise<Answer>;
  /** Resumes the replication link and waits until the replica holds everything the primary wrote. */
  catchUp(): Promise<void>;
  /** Recipients of `phone` the emulator accepted. */
  sent(phone: string): number;
}

/** A primary whose replica follows through a stallable link, a worker and the REST server, both in the replicas mode; one code sent through it all. */
async function setup(label: string, durability: DurabilityOptions = DURABILITY): Promise<Setup> {
  const primary = await redisServer();
  const replica = await redisServer();
  const link = await startStallableProxy({ port: primary.port });
  closers.push(() => link.close());
  await followPrimary(replica, link.port);
  const h = await createHarness({ label, redisUrl: primary.url, durability });
  closers.push(() => h.close());
  await h.startWorker();
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: API_TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
  closers.push(() => app.close());
  const post = (phone: string, key: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'idempotency-key': key },
      payload: { phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4711' }, kind: 'verification' },
    }) as Promise<Answer>;
  const offset = (url: string) => replicationField(url, 'master_repl_offset');
  const sent = (phone: string) => h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;
  // The whole pipeline once, the replica following.
  expect((await post('13848100000', `${label}-warm`)).statusCode).toBe(202);
  await waitFor(() => sent('13848100000') === 1, 'the first code sent');
  return {
    h,
    link,
    post,
    sent,
    async catchUp() {
      link.resume();
      const primaryOffset = await offset(primary.url);
      await waitFor(async () => (await offset(replica.url)) >= primaryOffset, 'the replica to catch up');
    },
  };
}

/** Posts with the replication link stalled: refused 503 SMSQ_NOT_DURABLE, its send withdrawn (held). Returns that send's id. */
async function refusedAsNotDurable(s: Setup, phone: string, key: string): Promise<string> {
  s.link.stall();
  const refused = await s.post(phone, key);
  expect(s.link.heldBytes()).toBeGreaterThan(0);
  const error = refused.json().error;
  expect({ status: refused.statusCode, code: error?.code }, refused.body).toEqual({ status: 503, code: 'SMSQ_NOT_DURABLE' });
  expect(error?.message).toContain('retry with the same idempotency key (it returns this send if it survived, and sends nothing twice)');
  expect(error?.message).toContain('it is withdrawn (held paused');
  // The server, configured by the environment, names the variable (a Node caller, its worker's option).
  expect(error?.message).toContain('the retry resumes it once the replicas confirm it, and without one the repair sweep cancels it after SMSQ_REPAIR_ENQUEUE_GRACE_MS');
  const sendId = /send (\S+) could not be made durable/.exec(error?.message ?? '')?.[1];
  expect(sendId, refused.body).toBeDefined();
  // Held, not cancelled: status says why it waits and what to do. A worker may have claimed the
  // chunk while the enqueue waited for its confirmation: that claim cannot be confirmed either, and
  // is undone before any call (the worker's durability timeout later), so the status is read once
  // no claim is left on it, and nothing was sent meanwhile.
  const status = await waitFor(async () => {
    const read = await s.h.producer.getStatus(sendId as string);
    return read.counts.sending === 0 ? read : undefined;
  }, 'a claim made during the enqueue\'s confirmation to be undone', 10_000);
  expect(s.sent(phone)).toBe(0);
  expect(status.send).toMatchObject({ state: 'paused', controlReason: WITHDRAWN_REASON });
  expect(status.counts).toMatchObject({ queued: 1, cancelled: 0 });
  expect(status.wait).toEqual({ reason: 'paused', by: 'withdrawn', detail: WITHDRAWN_REASON });
  expect(waitText(status.wait as NonNullable<typeof status.wait>)).toMatch(/^withdrawn at enqueue: .*SMSQ_NOT_DURABLE; the retry of that request with the same idempotency key resumes it once the replicas confirm it, and the repair sweep cancels it/);
  return sendId as string;
}

/** The id of the first send Redis holds under `prefix` other than `except`'s, once it is enqueued (active) and waits for its confirmation. */
async function newSendId(redis: Harness['redis'], prefix: string, except: ReadonlySet<string>): Promise<string> {
  return waitFor(async () => {
    const keys = await redis.keys(`${prefix}:send:*`);
    const id = keys.map((k) => k.slice(`${prefix}:send:`.length)).find((k) => /^[a-z0-9]+$/.test(k) && !except.has(k));
    return id && (await redis.hget(`${prefix}:send:${id}`, 'state')) === 'active' ? id : undefined;
  }, 'the send to be enqueued', 5000, 5);
}

/** Waits long enough for a worker to have sent a send it could claim (its job re-checks a second after an unconfirmed claim). */
const noSendFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a send refused as not durable while the replica lagged (SMSQ_DURABILITY=replicas)', () => {
  it('is sent once when its retry under the same Idempotency-Key, once the replica caught up, answers it as queued (before: 202 duplicate with the send cancelled, the code never sent)', async () => {
    const s = await setup('withdrawn-retry');
    const phone = '13848100001';
    const sendId = await refusedAsNotDurable(s, phone, 'order-4711');

    // The replica catches up; the send stays held, a running worker does not send it before the retry.
    await s.catchUp();
    await noSendFor(1500);
    expect(s.sent(phone)).toBe(0);

    // The caller retries as told.
    const retried = await s.post(phone, 'order-4711');
    expect({ status: retried.statusCode, sendId: retried.json().sendId, duplicate: retried.json().duplicate }, retried.body).toEqual({ status: 202, sendId, duplicate: true });
    // Told "queued": the code goes out, once.
    await waitFor(() => s.sent(phone) === 1, `the retried code sent (its send is ${(await s.h.producer.getStatus(sendId)).send.state})`, 10_000);
    await noSendFor(500);
    expect(s.sent(phone)).toBe(1);
    const status = await s.h.producer.getStatus(sendId);
    expect(status.send.controlReason).toMatch(/^resumed: a retry of its request/);
    expect(status.counts).toMatchObject({ queued: 0, cancelled: 0 });
    // A retry after that answers the same send, and sends nothing more.
    expect((await s.post(phone, 'order-4711')).json()).toMatchObject({ sendId, duplicate: true });
    await noSendFor(500);
    expect(s.sent(phone)).toBe(1);
  }, 60_000);

  it('stays held when its retry still cannot be confirmed (503 again, nothing sent); the retry once the replica caught up sends it once', async () => {
    const s = await setup('withdrawn-again');
    const phone = '13848100002';
    const sendId = await refusedAsNotDurable(s, phone, 'order-4712');

    // Still stalled: the retry cannot confirm the send, and leaves it as it was.
    const again = await s.post(phone, 'order-4712');
    expect({ status: again.statusCode, code: again.json().error?.code }, again.body).toEqual({ status: 503, code: 'SMSQ_NOT_DURABLE' });
    expect(again.json().error?.message).toContain(`send ${sendId} (enqueued by an earlier request with this idempotency key, withdrawn as not confirmed durable) could not be made durable`);
    expect(again.json().error?.message).toContain('it stays withdrawn (held paused), so retry with the same idempotency key again');
    expect((await s.h.producer.getStatus(sendId)).send).toMatchObject({ state: 'paused', controlReason: WITHDRAWN_REASON });
    await noSendFor(1500);
    expect(s.sent(phone)).toBe(0);

    await s.catchUp();
    const retried = await s.post(phone, 'order-4712');
    expect({ status: retried.statusCode, sendId: retried.json().sendId }, retried.body).toEqual({ status: 202, sendId });
    await waitFor(() => s.sent(phone) === 1, 'the retried code sent', 10_000);
    await noSendFor(500);
    expect(s.sent(phone)).toBe(1);
  }, 60_000);

  it('a campaign refused so is sent once, each recipient, by its retry under the same idempotency key', async () => {
    const s = await setup('withdrawn-campaign');
    const phones = Array.from({ length: 30 }, (_, i) => String(13848110000 + i));
    const request = { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const, idempotencyKey: 'spring-4714' };
    const list = async function* () {
      for (const phone of phones) yield { phone };
    };
    s.link.stall();
    const refused = await s.h.producer.campaign(list(), request).catch((e: unknown) => e as Error & { code?: string });
    expect(refused).toMatchObject({ code: 'SMSQ_NOT_DURABLE', message: expect.stringContaining('it is withdrawn (held paused') });
    // A Node caller is told its worker's option, not the variable of `smsq worker`; the CLI, the variable.
    expect((refused as Error).message).toContain('without one the repair sweep cancels it after `repair.enqueueGraceMs`');
    expect((refused as Error).message).not.toMatch(/SMSQ_REPAIR_ENQUEUE_GRACE_MS/);
    expect(printedByCli(refused).stderr).toContain('without one the repair sweep cancels it after SMSQ_REPAIR_ENQUEUE_GRACE_MS');
    const sendId = /send (\S+) could not be made durable/.exec((refused as Error).message)?.[1] as string;
    expect((await s.h.producer.getStatus(sendId)).send).toMatchObject({ state: 'paused', controlReason: WITHDRAWN_REASON });

    await s.catchUp();
    const retried = await s.h.producer.campaign(list(), request);
    expect(retried).toMatchObject({ sendId, duplicate: true });
    await waitFor(() => phones.every((p) => s.sent(p) >= 1), 'every recipient of the retried campaign sent', 10_000);
    await noSendFor(500);
    expect(phones.filter((p) => s.sent(p) !== 1)).toEqual([]);
  }, 60_000);

  it('is cancelled by the repair sweep, with the reason, when no retry comes within SMSQ_REPAIR_ENQUEUE_GRACE_MS; a retry after that is refused 409 SMSQ_SEND_WITHDRAWN, nothing sent', async () => {
    const s = await setup('withdrawn-lapse');
    const phone = '13848100003';
    const withdrawnAt = Date.now();
    const sendId = await refusedAsNotDurable(s, phone, 'order-4713');
    await s.catchUp();

    // The sweep as a worker runs it, on a clock of its own.
    const { sweep, clock, close } = withdrawalSweep({ redis: s.h.redis, prefix: s.h.prefix, logger: s.h.logger, startAt: withdrawnAt + GRACE_MS - 60_000, graceMs: GRACE_MS });
    closers.push(close);

    // Within the grace: a retry may still come.
    expect((await sweep.run()).found.withdrawnNotRetried).toBe(0);
    expect((await s.h.producer.getStatus(sendId)).send.state).toBe('paused');
    // A dry run past it says what it would do and does nothing.
    clock.set(Date.now() + GRACE_MS + 1000);
    expect((await sweep.run({ dryRun: true })).samples.withdrawnNotRetried).toEqual([sendId]);
    expect((await s.h.producer.getStatus(sendId)).send.state).toBe('paused');

    const report = await sweep.run();
    expect({ found: report.found.withdrawnNotRetried, samples: report.samples.withdrawnNotRetried }).toEqual({ found: 1, samples: [sendId] });
    const status = await s.h.producer.getStatus(sendId);
    expect(status.send.state).toBe('cancelled');
    // Recorded in Redis and read by every kind of caller later: it names no one caller's setting.
    const reason = `${WITHDRAWN_REASON}, and no retry of its request took it back within 10 min (the repair sweep's enqueue grace): cancelled by the repair sweep`;
    expect(status.send.controlReason).toBe(reason);
    expect(status.counts).toMatchObject({ queued: 0, cancelled: 1 });
    // The next sweep finds nothing more to do.
    expect((await sweep.run()).found.withdrawnNotRetried).toBe(0);

    // A retry now is not told "queued" for a send that will never go out. A Node caller's is told
    // the producer's call that lists the recipients; the CLI and the server say the command.
    const refusal = `the idempotency key "order-4713" stands for send ${sendId}, withdrawn when its enqueue could not be confirmed durable and cancelled since (${reason}); nothing was enqueued by this request. Fix: make the request again under a new idempotency key; `;
    const cliWords = `${refusal}smsq status ${sendId} --recipients shows any of its recipients that went out before it was withdrawn`;
    const fromNode = await s.h.producer
      .send({ phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4711' }, kind: 'verification', idempotencyKey: 'order-4713' })
      .then(() => undefined, (e: unknown) => e);
    expect(fromNode).toBeInstanceOf(SendWithdrawnError);
    expect((fromNode as Error).message).toBe(`${refusal}\`producer.recipientPage("${sendId}")\` shows any of its recipients that went out before it was withdrawn`);
    expect((fromNode as Error).message).not.toMatch(/smsq |SMSQ_|repair\.enqueueGraceMs/);
    expect(printedByCli(fromNode).stderr).toBe(`error SMSQ_SEND_WITHDRAWN: ${cliWords}\n`);
    const late = await s.post(phone, 'order-4713');
    expect({ status: late.statusCode, code: late.json().error?.code }, late.body).toEqual({ status: 409, code: 'SMSQ_SEND_WITHDRAWN' });
    expect(late.json().error?.message).toBe(cliWords);
    await noSendFor(1500);
    expect(s.sent(phone)).toBe(0);

    // Its records expire (retention) while its key lives on (a key may be kept a year): a retry then
    // was answered `duplicate: true` from the key's ended mark, for a send that never went out.
    // With the mark gone at the cancel, it is made again, once.
    const records = (await s.h.redis.keys(`${s.h.prefix}:*`)).filter((k) => k.includes(sendId));
    expect(records.length).toBeGreaterThan(0);
    await s.h.redis.del(...records);
    const afterExpiry = await s.post(phone, 'order-4713');
    expect({ status: afterExpiry.statusCode, duplicate: afterExpiry.json().duplicate }, afterExpiry.body).toEqual({ status: 202, duplicate: false });
    await waitFor(() => s.sent(phone) === 1, 'the request made again sent', 10_000);
    await noSendFor(1000);
    expect(s.sent(phone)).toBe(1);
  }, 60_000);
  it("an operator's pause during the enqueue's confirmation stays the operator's: the refusal does not say the send is withdrawn (before: 'it is withdrawn (held paused...)', and the sweep would cancel it)", async () => {
    // The request's confirmation waits 3 s: room for the operator's move on a busy machine.
    const s = await setup('withdrawn-operator', { ...DURABILITY, timeoutMs: 3000 });
    // An operator on a connection of its own: the request's connection waits on its WAIT, and
    // anything sent on it (this test's reads too) waits behind.
    if (!(s.h.redis instanceof Redis)) throw new Error('one Redis here');
    const operatorRedis = s.h.redis.duplicate();
    closers.push(() => void operatorRedis.disconnect());
    const prefix = `${s.h.prefix}:send:`;
    const before = new Set((await operatorRedis.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)));
    s.link.stall();
    const answer = s.post('13848100009', 'withdrawn-operator-1');
    const sendId = await newSendId(operatorRedis, s.h.prefix, before);
    // The operator's pause lands on the primary while the request waits for its confirmation (an
    // operator's producer would then wait for its own, which the held link refuses too: the move
    // itself is what matters here).
    const operator = createSendStore({ redis: operatorRedis, keys: createKeys(s.h.prefix) });
    expect(await operator.setControl(sendId, 'pause', 'held by an operator')).toMatchObject({ from: 'active', to: 'paused' });
    const refused = await answer;
    const error = refused.json().error;
    expect({ status: refused.statusCode, code: error?.code }, refused.body).toEqual({ status: 503, code: 'SMSQ_NOT_DURABLE' });
    expect(error?.message).not.toContain('it is withdrawn');
    expect(error?.message).toContain('it was not withdrawn: it is paused');
    const status = await s.h.producer.getStatus(sendId);
    expect(status.send).toMatchObject({ state: 'paused', controlReason: 'held by an operator' });
    await s.catchUp();
  });
});
