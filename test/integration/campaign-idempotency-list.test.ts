/**
 * A campaign's Idempotency-Key stands for its recipient list too, not its settings alone: the same
 * key with another list (another JSON list, a CSV upload, another file in the CLI, another
 * iterable in the Node API) is refused 422 SMSQ_IDEMPOTENCY_KEY_REUSED with nothing written,
 * where it was answered with the first request's send and the new numbers were never sent. And a
 * repeat answers the first request's rejected rows, not an empty list beside a count of them.
 * Real Redis, the real producer and server (inject), the CLI in process, the emulator.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { cliOnHarness } from '../support/harness-cli.js';
import { heldRows } from '../support/held-rows.js';
import { redisState } from '../support/redis-state.js';

const harnesses = harnessPerTest();
const TOKEN = 'test-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate };

async function serverFor(h: Harness): Promise<SmsqServer> {
  const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
  harnesses.defer(() => app.close());
  return app;
}

/** Jobs in the calls queue, in any state. */
async function jobsIn(h: Harness): Promise<number> {
  const q = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  try {
    return await q.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  } finally {
    await q.close();
  }
}

async function* rowsOf(...phones: string[]) {
  for (const phone of phones) yield { phone };
}

const csvOf = (n: number, from = 13600000000) => ['phone,name', ...Array.from({ length: n }, (_, i) => `${from + i},n${i}`)].join('\n');

describe('a campaign idempotency key stands for its recipient list', () => {
  it('REST: the same key with two other recipients, or with a 5,000-row CSV upload, is 422 naming the list, and writes nothing; the same list again is the first send', async () => {
    const h = await harnesses.create({ label: 'idem-list-rest' });
    const app = await serverFor(h);
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...AUTH, 'idempotency-key': 'jcamp-1' }, payload: payload as Record<string, unknown> });
    const first = await post({ ...SETTINGS, recipients: [{ phone: '13500000001', params: { name: 'a' } }] });
    expect(first.statusCode).toBe(202);
    const { sendId } = first.json() as { sendId: string };
    const before = await redisState(h);
    const jobs = await jobsIn(h);

    const other = await post({ ...SETTINGS, recipients: [{ phone: '13500000002', params: { name: 'b' } }, { phone: '13500000003', params: { name: 'c' } }] });
    expect(other.statusCode, other.body).toBe(422);
    expect(other.json().error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
    expect(other.json().error.message).toBe(
      'the idempotency key "jcamp-1" stands for an earlier request whose `recipients` was different; nothing was enqueued. Fix: to repeat that request, give it the same `recipients` as the first; for a new request, use a new idempotency key',
    );

    const upload = await app.inject({
      method: 'POST',
      url: `/v1/campaigns?${new URLSearchParams(SETTINGS)}`,
      headers: { ...AUTH, 'idempotency-key': 'jcamp-1', 'content-type': 'text/csv' },
      payload: csvOf(5000),
    });
    expect(upload.statusCode, upload.body).toBe(422);
    expect(upload.json().error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
    expect(upload.json().error.issues).toEqual([
      { field: 'Idempotency-Key', message: 'stands for an earlier request whose recipient list (the body) was different. Fix: to repeat that request, give it the same recipient list (the body) as the first; for a new request, use a new idempotency key' },
    ]);
    expect(await redisState(h)).toEqual(before);
    expect(await jobsIn(h)).toBe(jobs);

    // The same list, the number written otherwise: the same request.
    const same = await post({ ...SETTINGS, recipients: [{ phone: '+86 135 0000 0001', params: { name: 'a' } }] });
    expect(same.statusCode).toBe(202);
    expect(same.json()).toMatchObject({ sendId, duplicate: true, recipients: 1 });
  });

  it('the Node API: another list under the key throws IdempotencyKeyReusedError naming `recipients`; the CLI names `--file`', async () => {
    const h = await harnesses.create({ label: 'idem-list-api' });
    const settings = { ...SETTINGS, templateParam: { name: 'n' }, idempotencyKey: 'api-1' };
    const first = await h.producer.campaign(rowsOf('13500000011', '13500000012'), settings);
    const before = await redisState(h);
    await expect(h.producer.campaign(rowsOf('13500000011', '13500000013'), settings)).rejects.toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED', differingFields: ['recipients'] });
    // A list that is the first's and then some is another list too.
    await expect(h.producer.campaign(rowsOf('13500000011', '13500000012', '13500000013'), settings)).rejects.toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED' });
    expect(await redisState(h)).toEqual(before);
    expect(await h.producer.campaign(rowsOf('13500000011', '13500000012'), settings)).toMatchObject({ sendId: first.sendId, duplicate: true });

    const dir = mkdtempSync(join(tmpdir(), 'smsq-idem-list-'));
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeFileSync(a, csvOf(3, 13500000100));
    writeFileSync(b, csvOf(4, 13500000100));
    const run = (file: string, ...extra: string[]) => cliOnHarness(h, ['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--idempotency-key', 'cli-1', '--yes', ...extra]);
    expect((await run(a)).code).toBe(0);
    const refused = await run(b);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the idempotency key "cli-1" stands for an earlier request whose `--file` list was different; nothing was enqueued. Fix: to repeat that request, give it the same `--file` list as the first; for a new request, use a new idempotency key');
  });

  it('a repeat with another list that arrives while the first still enqueues is refused once the first has ended, not answered with its send', async () => {
    const h = await harnesses.create({ label: 'idem-list-busy' });
    const twin = createProducer({ redis: h.producerRedis, prefix: h.prefix });
    harnesses.defer(() => twin.close());
    const { rows: slowRows, reading, letGo } = heldRows([{ phone: '13500000021' }], [{ phone: '13500000022' }]);
    const settings = { ...SETTINGS, templateParam: { name: 'n' }, idempotencyKey: 'busy-1' };
    const first = h.producer.campaign(slowRows(), settings);
    await reading;
    const repeat = twin.campaign(rowsOf('13500000021', '13500000029'), settings).then(() => undefined, (e: unknown) => e);
    setTimeout(letGo, 300);
    expect((await first).recipients).toBe(2);
    expect(await repeat).toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED', differingFields: ['recipients'] });
  });
});

describe('the same list, laid out otherwise', () => {
  it('REST: a blank line more before a row that cannot be read is the same list (its reason names its line): the first send, not 422', async () => {
    const h = await harnesses.create({ label: 'idem-list-blank-line' });
    const app = await serverFor(h);
    const upload = (lines: string[]) =>
      app.inject({ method: 'POST', url: `/v1/campaigns?${new URLSearchParams(SETTINGS)}`, headers: { ...AUTH, 'idempotency-key': 'pb-2', 'content-type': 'text/csv' }, payload: lines.join('\n') });
    const first = await upload(['phone,name', '13500000031,a', '13500000032,"b"x', '13500000033,c']);
    expect(first.statusCode, first.body).toBe(202);
    expect((first.json() as { rejectedCount: number }).rejectedCount).toBe(1);
    const again = await upload(['phone,name', '13500000031,a', '', '13500000032,"b"x', '13500000033,c']);
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json()).toMatchObject({ sendId: (first.json() as { sendId: string }).sendId, duplicate: true });
  });
});

describe('a key kept by a version before lists were kept', () => {
  it('answers a repeat with its send, whatever its list, as that version did: it has no list to compare with (docs/http-api.md, Idempotency)', async () => {
    const h = await harnesses.create({ label: 'idem-list-older' });
    const settings = { ...SETTINGS, templateParam: { name: 'n' }, idempotencyKey: 'older-1' };
    const first = await h.producer.campaign(rowsOf('13500000041', '12345'), settings);
    expect(first.rejectedCount).toBe(1);
    // What the earlier version left: the key and its fields, no list.
    expect(await h.redis.del(`${h.prefix}:idem:older-1:list`)).toBe(1);
    const again = await h.producer.campaign(rowsOf('13500000042'), settings);
    expect(again).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 1, rejected: [], rejectedCount: 1 });
  });

  it('answers a repeat with its send when its list was read by another scheme (a version reading rows otherwise): an identical retry across an upgrade is not told it is another request', async () => {
    const h = await harnesses.create({ label: 'idem-list-scheme' });
    const settings = { ...SETTINGS, templateParam: { name: 'n' }, idempotencyKey: 'scheme-1' };
    const first = await h.producer.campaign(rowsOf('13500000051'), settings);
    const listKey = `${h.prefix}:idem:scheme-1:list`;
    expect(await h.redis.hget(listKey, 'rows')).toMatch(/^l1:[0-9a-f]{64}$/);
    await h.redis.hset(listKey, 'rows', `l0:${'0'.repeat(64)}`);
    const again = await h.producer.campaign(rowsOf('13500000051'), settings);
    expect(again).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 1 });
  });
});

describe('a repeat of a campaign answers the first request\'s rejected rows', () => {
  it('REST: the CSV upload again lists the same 4 rejected rows, with their lines and reasons, as the first answer did', async () => {
    const h = await harnesses.create({ label: 'idem-list-rejected' });
    const app = await serverFor(h);
    const csv = ['phone,name', '13500000031,a', '12345,b', '13500000032,c', 'not-a-phone,d', '1350000003,e', '13500000033,f', '+1 202 555 01,g'].join('\n');
    const upload = () =>
      app.inject({ method: 'POST', url: `/v1/campaigns?${new URLSearchParams(SETTINGS)}`, headers: { ...AUTH, 'idempotency-key': 'camp-1', 'content-type': 'text/csv' }, payload: csv });
    const first = await upload();
    expect(first.statusCode, first.body).toBe(202);
    const answer = first.json() as { sendId: string; rejected: { line: number; reason: string }[]; rejectedCount: number };
    expect(answer.rejectedCount).toBe(4);
    expect(answer.rejected.map((r) => r.line)).toEqual([3, 5, 6, 8]);
    const again = await upload();
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ ...answer, duplicate: true });
  });

  it('the Node API: a list of 1,000 rejected rows and more answers the 1,000 its first answer listed, kept in a few KB', async () => {
    const h = await harnesses.create({ label: 'idem-list-rejected-many' });
    async function* rows() {
      yield { phone: '13500000051' };
      for (let i = 0; i < 1500; i++) yield { phone: String(1350000000 + i) };
    }
    const settings = { ...SETTINGS, templateParam: { name: 'n' }, idempotencyKey: 'many-1' };
    const first = await h.producer.campaign(rows(), settings);
    expect(first).toMatchObject({ recipients: 1, rejectedCount: 1500 });
    expect(first.rejected).toHaveLength(1000);
    const again = await h.producer.campaign(rows(), settings);
    expect(again).toEqual({ ...first, duplicate: true });
    const kept = await h.redis.hstrlen(`${h.prefix}:idem:many-1:list`, 'rejected');
    expect(kept).toBeLessThan(16_000);
  });
});
