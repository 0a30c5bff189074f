/**
 * `/metrics` counts the sends withdrawn at enqueue and still held (`smsq_sends_withdrawn`), and
 * every withdrawal and how each held one ended (`smsq_send_withdrawals_total`), so that an operator
 * can alert on "enqueues are not confirmed durable" before callers who do not retry lose messages.
 * The refusal is produced for real, as in withdrawn-retry.test.ts: SMSQ_DURABILITY=replicas with
 * the replication stream held in test/support/stallable-proxy.ts, a real producer, a real server's
 * `/metrics`, and the repair sweep on a clock of its own.
 *
 * Before, nothing in `/metrics` said a send was held: an operator learned of a failing durability
 * setting from callers, or from the sweep's log line ten minutes later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { WITHDRAWN_REASON } from '../../src/queue/withdrawal.js';
import { readAlertState } from '../../src/metrics/alert-state.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';
import { followPrimary, replicationField } from '../support/replicated-redis.js';
import { withdrawalSweep } from '../support/withdrawal-sweep.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DURABILITY: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 300 };
const GRACE_MS = 10 * 60_000;

interface Setup {
  h: Harness;
  app: SmsqServer;
  link: StallableProxy;
  /** One verification code to `phone`, under `key` when given. */
  send(phone: string, key?: string): Promise<{ sendId: string; duplicate: boolean }>;
  /** Resumes the replication link and waits until the replica holds everything the primary wrote. */
  catchUp(): Promise<void>;
  /** The value of the sample that `line` matches, in a scrape of the server's `/metrics`; undefined when there is none. */
  sample(line: RegExp): Promise<number | undefined>;
}

async function setup(label: string): Promise<Setup> {
  const primary = await startPrivateRedis({ appendfsync: 'everysec' });
  closers.push(() => primary.stop());
  const replica = await startPrivateRedis({ appendfsync: 'everysec' });
  closers.push(() => replica.stop());
  const link = await startStallableProxy({ port: primary.port });
  closers.push(() => link.close());
  await followPrimary(replica, link.port);
  const h = await createHarness({ label, redisUrl: primary.url, durability: DURABILITY });
  closers.push(() => h.close());
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, insecure: true });
  closers.push(() => app.close());
  const offset = (url: string) => replicationField(url, 'master_repl_offset');
  return {
    h,
    app,
    link,
    async send(phone, key) {
      const res = await h.producer.send({ phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4711' }, kind: 'verification', ...(key ? { idempotencyKey: key } : {}) });
      return { sendId: res.sendId, duplicate: res.duplicate === true };
    },
    async catchUp() {
      link.resume();
      const primaryOffset = await offset(primary.url);
      await waitFor(async () => (await offset(replica.url)) >= primaryOffset, 'the replica to catch up');
    },
    async sample(line) {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      const found = res.body.split('\n').find((l) => line.test(l));
      return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
    },
  };
}

/** Sends with the replication link stalled: refused SMSQ_NOT_DURABLE. Returns the send id the refusal names. */
async function refused(s: Setup, phone: string, key?: string): Promise<string> {
  s.link.stall();
  const err = (await s.send(phone, key).then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { code?: string }) | undefined;
  expect(err?.code, err?.message).toBe('SMSQ_NOT_DURABLE');
  const sendId = /send (\S+) could not be made durable/.exec(err?.message ?? '')?.[1];
  expect(sendId, err?.message).toBeDefined();
  return sendId as string;
}

const held = /^smsq_sends_withdrawn /;
const withdrawals = (outcome: string) => new RegExp(`^smsq_send_withdrawals_total\\{outcome="${outcome}"\\} `);

describe('sends withdrawn at enqueue in /metrics (SMSQ_DURABILITY=replicas, the replica held back)', () => {
  it('counts a send held by its withdrawal until the retry under its idempotency key takes it back', async () => {
    const s = await setup('withdrawn-gauge-retry');
    expect(await s.sample(held)).toBe(0);
    expect(await s.sample(withdrawals('held'))).toBe(0);

    const sendId = await refused(s, '13848200001', 'order-5001');
    expect((await s.h.producer.getStatus(sendId)).send).toMatchObject({ state: 'paused', controlReason: WITHDRAWN_REASON });
    expect(await s.sample(held)).toBe(1);
    expect(await s.sample(withdrawals('held'))).toBe(1);
    // The entry was written by the withdrawal itself, scored with its time.
    expect(await s.h.redis.zrange(createKeys(s.h.prefix).withdrawnSends(), 0, -1)).toEqual([sendId]);

    await s.catchUp();
    expect(await s.send('13848200001', 'order-5001')).toEqual({ sendId, duplicate: true });
    expect((await s.h.producer.getStatus(sendId)).send.state).toBe('active');
    expect(await s.sample(held)).toBe(0);
    expect(await s.sample(withdrawals('taken-back'))).toBe(1);
    expect(await s.sample(withdrawals('held'))).toBe(1);
    expect(await s.sample(withdrawals('lapsed'))).toBe(0);
    expect(await s.h.redis.zcard(createKeys(s.h.prefix).withdrawnSends())).toBe(0);
  }, 60_000);

  it('counts it until the repair sweep cancels it, no retry having come, and counts that as lapsed', async () => {
    const s = await setup('withdrawn-gauge-lapse');
    const withdrawnAt = Date.now();
    const sendId = await refused(s, '13848200002', 'order-5002');
    await s.catchUp();
    expect(await s.sample(held)).toBe(1);

    const { sweep, close } = withdrawalSweep({ redis: s.h.redis, prefix: s.h.prefix, logger: s.h.logger, startAt: withdrawnAt + GRACE_MS + 1000, graceMs: GRACE_MS });
    closers.push(close);
    expect((await sweep.run()).samples.withdrawnNotRetried).toEqual([sendId]);
    expect((await s.h.producer.getStatus(sendId)).send.state).toBe('cancelled');
    expect(await s.sample(held)).toBe(0);
    expect(await s.sample(withdrawals('lapsed'))).toBe(1);
    expect(await s.sample(withdrawals('taken-back'))).toBe(0);
  }, 60_000);

  it('counts a send withdrawn without an idempotency key as cancelled at once, never as held', async () => {
    const s = await setup('withdrawn-gauge-nokey');
    const sendId = await refused(s, '13848200003');
    expect((await s.h.producer.getStatus(sendId)).send.state).toBe('cancelled');
    await s.catchUp();
    expect(await s.sample(held)).toBe(0);
    expect(await s.sample(withdrawals('held'))).toBe(0);
    expect(await s.sample(withdrawals('cancelled'))).toBe(1);
  }, 60_000);
});

describe('the index of withdrawn sends at scrape', () => {
  it('drops the sends no longer held that no control move took out: ended by another script, or gone', async () => {
    const redis = createTestConnection();
    const keys = createKeys(uniquePrefix('withdrawn-prune'));
    closers.push(async () => {
      await deleteKeys(redis, keys.prefix);
      redis.disconnect();
    });
    const sends = createSendStore({ redis, keys });
    for (const sendId of ['held', 'settled', 'expired']) {
      await redis.hset(keys.send(sendId), 'sendId', sendId, 'state', 'active', 'enqueuedAt', 1, 'history', 'active:1');
      await sends.setControl(sendId, 'withdraw', WITHDRAWN_REASON);
    }
    // Nothing of it left to send or to wait for (its one recipient expired): settle completes it, paused as it is.
    await redis.hset(keys.sendCounts('settled'), 'queued', 0, 'expired', 1);
    expect(await sends.settle('settled')).toMatchObject({ from: 'paused', to: 'completed' });
    // Its record's retention ended.
    await redis.del(keys.send('expired'));

    const state = await readAlertState(redis, keys.prefix, Date.now());
    expect({ withdrawnSends: state.withdrawnSends, withdrawals: state.withdrawals }).toEqual({ withdrawnSends: 1, withdrawals: { held: 3, cancelled: 0, 'taken-back': 0, lapsed: 0 } });
    expect(await redis.zrange(keys.withdrawnSends(), 0, -1)).toEqual(['held']);
  });
});
