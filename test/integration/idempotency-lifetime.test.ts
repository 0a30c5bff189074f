/**
 * How long an idempotency key answers, and with what: a key outliving its send's records, a key
 * whose TTL runs out while its enqueue goes on, a retry refused by a check that depends on time
 * or state although its first request went out, and a duplicate answered with the retry's own plan.
 * Real Redis, a real worker, the emulator through the real SDK.
 */
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import { createManualClock } from '../../src/clock.js';
import { createKeys } from '../../src/queue/keys.js';
import { createIdempotency, type KeptAnswer } from '../../producers/idempotency.js';
import { createSuppressionList } from '../../src/receipts/suppression.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { heldRows } from '../support/held-rows.js';
import { cliOnHarness } from '../support/harness-cli.js';

const harnesses = harnessPerTest();
const DAY = 86_400;
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4711' }, kind: 'verification' as const };
const AD = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const };
const TOKEN = 'test-api-token-0123456789';

/** What retention does once it runs out: every record of the send, and its (completed) jobs, gone from Redis. */
async function forgetSend(h: Harness, sendId: string): Promise<number> {
  const gone = (await h.redis.keys(`${h.prefix}*${sendId}*`)).filter((k) => !k.includes(':idem:'));
  if (gone.length) await h.redis.del(...gone);
  for (const set of await h.redis.keys(`${h.prefix}*:completed`)) {
    const ids = (await h.redis.zrange(set, 0, -1)).filter((id) => id.includes(sendId));
    if (ids.length) await h.redis.zrem(set, ...ids);
  }
  return gone.length;
}

const optOut = (h: Harness, phones: string[]) => createSuppressionList({ redis: h.redis, keys: createKeys(h.prefix) }).add(phones);

describe('a key never outlives the proof of its send', () => {
  it('a key kept longer than its send (30 days, a code kept 4) answers a retry after the send is gone as a duplicate, and sends nothing twice', async () => {
    const h = await harnesses.create({ label: 'idem-outlive' });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, idempotencyTtlSeconds: 30 * DAY });
    harnesses.defer(() => producer.close());
    const req = { ...CODE, phones: ['13870000001'], idempotencyKey: 'outlive' };
    const first = await producer.send(req);
    await h.startWorker();
    await waitFor(() => h.emulator.accepted().length === 1, 'the code accepted');
    await waitFor(async () => (await h.producer.getStatus(first.sendId)).send.state !== 'active', 'the send settled');
    expect(await forgetSend(h, first.sendId)).toBeGreaterThan(0);
    const retry = await producer.send(req);
    expect(retry).toMatchObject({ sendId: first.sendId, duplicate: true, completedEarlier: false, recipients: 1, chunks: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.emulator.accepted()).toHaveLength(1);
  });

  it('a campaign whose send is gone is answered as a duplicate too: its list is not written again', async () => {
    const h = await harnesses.create({ label: 'idem-outlive-c' });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, idempotencyTtlSeconds: 60 * DAY });
    harnesses.defer(() => producer.close());
    const rows = [{ phone: '13870000011' }, { phone: '13870000012' }];
    const first = await producer.campaign(rows, { ...AD, idempotencyKey: 'outlive-c' });
    await h.startWorker();
    await waitFor(() => h.emulator.accepted().flatMap((a) => a.phoneNumbers).length === 2, 'the campaign accepted');
    await waitFor(async () => (await h.producer.getStatus(first.sendId)).send.state !== 'active', 'the send settled');
    await forgetSend(h, first.sendId);
    const retry = await producer.campaign(rows, { ...AD, idempotencyKey: 'outlive-c' });
    expect(retry).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 2 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.emulator.accepted().flatMap((a) => a.phoneNumbers)).toHaveLength(2);
  });
});

describe('a done mark never outlives its list', () => {
  // The list's TTL counted from its record (recordList), the mark's from the enqueue's end: with
  // the list gone and the mark there, a retry with another list was answered as a duplicate.
  it('markDone renews the list as long as the mark', async () => {
    const h = await harnesses.create({ label: 'idem-list-ttl' });
    const idempotency = createIdempotency({ redis: h.redis, keys: createKeys(h.prefix), ttlSeconds: 1000 });
    await idempotency.recordList('list-ttl', 'sone', { digest: 'd'.repeat(64), rows: 2, rejected: [] });
    const listKey = `${h.prefix}:idem:list-ttl:list`;
    // As if the campaign's enqueue had taken 990 s since its list was recorded.
    await h.redis.expire(listKey, 10);
    await idempotency.markDone('list-ttl', 'sone', { sendId: 'sone', apiCalls: 1 } as unknown as KeptAnswer);
    const doneTtl = await h.redis.ttl(`${h.prefix}:idem:list-ttl:done`);
    expect(doneTtl).toBeGreaterThan(990);
    expect(await h.redis.ttl(listKey)).toBeGreaterThanOrEqual(doneTtl);
  });
});

describe("a key's TTL does not run out under its live enqueue", () => {
  it('a twin that comes after the TTL, while the first campaign still reads its list, waits for it and is answered with its send', async () => {
    const h = await harnesses.create({ label: 'idem-short-ttl' });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, idempotencyTtlSeconds: 1, idempotencyLeaseMs: 3000 });
    harnesses.defer(() => producer.close());
    const { rows, reading, letGo } = heldRows([{ phone: '13871000001' }], [{ phone: '13871000002' }]);
    const settings = { ...AD, idempotencyKey: 'short-ttl' };
    const first = producer.campaign(rows(), settings);
    await reading;
    // Past the key's TTL (1 s) while the lease (3 s, renewed every second) is live.
    await new Promise((r) => setTimeout(r, 2500));
    const twin = producer.campaign([{ phone: '13871000001' }, { phone: '13871000002' }], settings);
    await new Promise((r) => setTimeout(r, 500));
    letGo();
    const [a, b] = await Promise.all([first, twin]);
    expect(b.sendId).toBe(a.sendId);
    expect(b.duplicate).toBe(true);
    expect((await h.redis.keys(`${h.prefix}:send:*:counts`)).length).toBe(1);
  });
});

describe('an identical retry of a send that went out is answered with it before checks that depend on time or state', () => {
  it('Node API and REST: a deadline now past, and numbers opted out since, do not refuse the retry', async () => {
    const clock = createManualClock(Date.now());
    const h = await harnesses.create({ label: 'idem-retry-checks', clock });
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    await h.startWorker();
    const timed = { ...AD, phones: ['13872000001', '13872000002'], deadline: clock.now() + 60_000, idempotencyKey: 'timed' };
    const first = await h.producer.send(timed);
    await waitFor(() => h.emulator.accepted().flatMap((a) => a.phoneNumbers).length === 2, 'both sent');
    clock.advance(120_000);
    expect(await h.producer.send(timed)).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 2 });
    const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'timed' }, payload: { ...timed, idempotencyKey: undefined } });
    expect(rest.statusCode, rest.body).toBe(202);
    expect(rest.json()).toMatchObject({ sendId: first.sendId, duplicate: true });
    // Every number opted out since: "no number left to send to (nothing was enqueued)" was false.
    await optOut(h, ['13872000001', '13872000002']);
    const again = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'timed' }, payload: { ...timed, idempotencyKey: undefined } });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 2, suppressed: 0 });
    // A request of another shape under the key is still refused first.
    await expect(h.producer.send({ ...timed, phones: [] })).rejects.toMatchObject({ code: 'SMSQ_INVALID_REQUEST' });
    expect(h.emulator.accepted().flatMap((a) => a.phoneNumbers)).toHaveLength(2);
  });

  it('sendBatch: a retry after the deadline is answered with the first send', async () => {
    const clock = createManualClock(Date.now());
    const h = await harnesses.create({ label: 'idem-retry-batch', clock });
    const req = { templateCode: N.notificationTemplate, deadline: clock.now() + 60_000, idempotencyKey: 'batch', messages: [{ phone: '13872100001', signName: N.sign, templateParam: { name: 'A', order: '1' } }] };
    const first = await h.producer.sendBatch(req);
    clock.advance(120_000);
    expect(await h.producer.sendBatch(req)).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 1 });
  });

  it('CLI: smsq send --idempotency-key after every number opted out answers the first send (exit 0), not "nothing was enqueued"', async () => {
    const h = await harnesses.create({ label: 'idem-retry-cli' });
    await h.startWorker();
    const argv = ['send', '--phones', '13872200001,13872200002', '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"n"}', '--idempotency-key', 'cli-retry', '--yes', '--json'];
    const first = await cliOnHarness(h, argv);
    expect(first.code, first.stderr).toBe(0);
    const sent = JSON.parse(first.stdout) as { sendId: string };
    await waitFor(() => h.emulator.accepted().flatMap((a) => a.phoneNumbers).length === 2, 'both sent');
    await optOut(h, ['13872200001', '13872200002']);
    const retry = await cliOnHarness(h, argv);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ sendId: sent.sendId, duplicate: true, recipients: 2, suppressed: 0 });
  });
});

describe("a duplicate's answer is the first send's", () => {
  it('a number opted out after the first send: the retry answers the 2 recipients sent, none suppressed', async () => {
    const h = await harnesses.create({ label: 'idem-answer' });
    await h.startWorker();
    const req = { ...AD, phones: ['13873000001', '13873000002'], idempotencyKey: 'answer' };
    const first = await h.producer.send(req);
    expect(first).toMatchObject({ recipients: 2, suppressed: 0 });
    await waitFor(() => h.emulator.accepted().flatMap((a) => a.phoneNumbers).length === 2, 'both sent');
    await optOut(h, ['13873000002']);
    const retry = await h.producer.send(req);
    expect(retry).toEqual({ ...first, duplicate: true });
  });

  it('a key that kept no answer (marked by an earlier version) answers from the send\'s record, not the retry\'s plan', async () => {
    const h = await harnesses.create({ label: 'idem-answer-old' });
    await h.startWorker();
    const req = { ...AD, phones: ['13873100001', '13873100002'], idempotencyKey: 'answer-old' };
    const first = await h.producer.send(req);
    await waitFor(() => h.emulator.accepted().flatMap((a) => a.phoneNumbers).length === 2, 'both sent');
    await h.redis.del(`${h.prefix}:idem:answer-old:done`);
    await optOut(h, ['13873100002']);
    const retry = await h.producer.send(req);
    expect(retry).toEqual({ ...first, duplicate: true });
  });
});
