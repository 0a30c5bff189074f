/**
 * An Idempotency-Key stands for one request body (issue 11): the same key with another body is
 * refused (typed error, HTTP 422), a twin with the same body waits for the first or gets 409, and
 * no caller is ever told of a send that does not hold its numbers. Concurrent requests through the
 * producer API and REST (inject), against real Redis, a real worker and the emulator.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import type { IdempotencyInProgressError } from '../../src/errors.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { createProducerConnection, testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { cliOnHarness } from '../support/harness-cli.js';
import { heldRows } from '../support/held-rows.js';
import { createCheckingProducer } from '../support/checking-producer.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

async function phonesOf(h: Harness, sendId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of h.producer.recipients(sendId)) out.push(r.phone);
  return out.sort();
}

describe('idempotency keys stand for one request', () => {
  it('producer API: concurrent requests with one key and different bodies never make a mixed send', async () => {
    const h = await harnesses.create({ label: 'idem-mixed' });
    // Two producers, as two processes would be.
    const other = createProducer({ redis: h.producerRedis, prefix: h.prefix });
    harnesses.defer(() => other.close());
    const TRIALS = 10;
    for (let t = 0; t < TRIALS; t++) {
      const key = `order-${t}`;
      const a = [String(13860000000 + t * 10), String(13860000001 + t * 10)];
      const b = [String(13861000000 + t * 10), String(13861000001 + t * 10)];
      const results = await Promise.allSettled([h.producer.send({ ...NOTE, phones: a, idempotencyKey: key }), other.send({ ...NOTE, phones: b, idempotencyKey: key })]);
      const told = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ result: r.value, phones: i === 0 ? a : b }] : []));
      // Whoever was told "queued" (duplicate or not) has a send that holds exactly its numbers.
      for (const { result, phones } of told) {
        expect(await phonesOf(h, result.sendId), `trial ${t}`).toEqual([...phones].sort());
        expect((await h.producer.getStatus(result.sendId)).send.state, `trial ${t}`).not.toBe('enqueuing');
      }
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code?: string }] : []));
      expect(told.length, `trial ${t}`).toBe(1);
      expect(refused.map((e) => e.code)).toEqual(['SMSQ_IDEMPOTENCY_KEY_REUSED']);
    }
    await h.startWorker();
    await waitFor(() => h.emulator.accepted().length === TRIALS, 'every send accepted');
    expect(h.emulator.accepted().flatMap((x) => x.phoneNumbers)).toHaveLength(TRIALS * 2);
  });

  it('producer API: the same key and body, concurrently, is one whole send; a number written differently is the same body', async () => {
    const h = await harnesses.create({ label: 'idem-twins' });
    const other = createProducer({ redis: h.producerRedis, prefix: h.prefix });
    harnesses.defer(() => other.close());
    const [first, second] = await Promise.all([
      h.producer.send({ ...NOTE, phones: ['13862000001', '13862000002'], idempotencyKey: 'twins' }),
      other.send({ ...NOTE, phones: ['+86 138-6200-0001', '13862000002'], idempotencyKey: 'twins' }),
    ]);
    expect(second.sendId).toBe(first.sendId);
    expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
    // Neither answer came before the send was whole.
    expect((await h.producer.getStatus(first.sendId)).send.state).toBe('active');
    expect(await phonesOf(h, first.sendId)).toEqual(['13862000001', '13862000002']);
    // Later, another body under the key is refused, typed; nothing is enqueued.
    await expect(h.producer.send({ ...NOTE, phones: ['13862000003'], idempotencyKey: 'twins' })).rejects.toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED' });
    await expect(h.producer.send({ ...NOTE, templateParam: { name: 'Bob', order: 'A1' }, phones: ['13862000001', '13862000002'], idempotencyKey: 'twins' })).rejects.toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED' });
    // The refusal says which fields differ (it said only "a different request"): a retry that
    // names the kind its template resolves to differs from a first request that named none.
    await expect(h.producer.send({ ...NOTE, kind: 'verification', phones: ['13862000001', '13862000002'], idempotencyKey: 'twins' })).rejects.toThrow(
      'the idempotency key "twins" stands for an earlier request whose `kind` was different (a request without `kind` counts as `kind: "notification"`); nothing was enqueued. Fix: to repeat that request, give it the same `kind` as the first; for a new request, use a new idempotency key',
    );
    await expect(h.producer.send({ ...NOTE, name: 'x', phones: ['13862000003'], idempotencyKey: 'twins' })).rejects.toMatchObject({ differingFields: ['name', 'phones'] });
    // A key claimed by an earlier version keeps no field digests: refused as before, without the list.
    await h.redis.del(`${h.prefix}:idem:twins:fields`);
    await expect(h.producer.send({ ...NOTE, phones: ['13862000003'], idempotencyKey: 'twins' })).rejects.toThrow('the idempotency key "twins" was used for a different request; nothing was enqueued.');
    expect(await h.redis.keys(`${h.prefix}:send:*:counts`)).toHaveLength(1);
  });

  it('a twin whose first request is still enqueuing past the wait gets SMSQ_IDEMPOTENCY_IN_PROGRESS; after it, the same send', async () => {
    const h = await harnesses.create({ label: 'idem-busy' });
    const impatient = createProducer({ redis: h.producerRedis, prefix: h.prefix, idempotencyWaitMs: 0 });
    harnesses.defer(() => impatient.close());
    const { rows: slowRows, reading, letGo } = heldRows([{ phone: '13863000001' }], [{ phone: '13863000002' }]);
    async function* rows() {
      yield { phone: '13863000001' };
      yield { phone: '13863000002' };
    }
    const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, idempotencyKey: 'spring' };
    const first = h.producer.campaign(slowRows(), settings);
    await reading;
    const busy = await impatient.campaign(rows(), settings).then(() => undefined, (e: unknown) => e);
    expect(busy).toMatchObject({ code: 'SMSQ_IDEMPOTENCY_IN_PROGRESS' });
    // A campaign: only the same list under the key gets that send; another list is refused, and
    // the advice must not promise that send to whatever is retried under the key.
    const advice = (busy as Error).message;
    expect(advice).toMatch(/the same request under this key then returns that send/);
    expect(advice).toMatch(/a campaign with another recipient list under it is refused \(SMSQ_IDEMPOTENCY_KEY_REUSED\)/);
    expect(advice).not.toMatch(/the same key then returns that send/);
    // When to retry: the time left of the first request's hold (15 s, renewed while it enqueues).
    const { retryAfterMs } = busy as IdempotencyInProgressError;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(15_000);
    expect((busy as Error).message).toContain(`Fix: retry in ${Math.ceil(retryAfterMs! / 1000)} s`);
    await expect(impatient.campaign(rows(), { ...settings, name: 'another' })).rejects.toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED' });
    letGo();
    const done = await first;
    const again = await impatient.campaign(rows(), settings);
    expect(again).toMatchObject({ sendId: done.sendId, duplicate: true, recipients: 2 });
  });

  it("a twin's wait is bounded by time, not by a count of looks: looks that are slow to answer make fewer of them", async () => {
    // A twin looked 200 times (10 s ÷ 50 ms) whatever each look took: with a Redis or an event loop
    // kept busy by the first request's 1.2M-row upload, a REST repeat answered after 30 s, not 10.
    const h = await harnesses.create({ label: 'idem-wait' });
    const twinRedis = createProducerConnection(testRedisUrl());
    harnesses.defer(async () => void twinRedis.disconnect());
    const twin = createProducer({ redis: twinRedis, prefix: h.prefix, idempotencyWaitMs: 1000 });
    harnesses.defer(() => twin.close());
    const { rows: slowRows, reading, letGo } = heldRows([{ phone: '13866000001' }]);
    const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, idempotencyKey: 'slow-looks' };
    const first = h.producer.campaign(slowRows(), settings);
    await reading;
    // Every command of the twin's connection reaches Redis 200 ms late, as on a crowded host.
    const send = twinRedis.sendCommand;
    let looks = 0;
    twinRedis.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
      if (/^eval/i.test(args[0].name)) looks++;
      setTimeout(() => void send.apply(this, args), 200);
      return args[0].promise;
    };
    const busy = await twin.campaign(slowRows(), settings).then(() => undefined, (e: unknown) => e);
    twinRedis.sendCommand = send;
    letGo();
    await first;
    expect(busy).toMatchObject({ code: 'SMSQ_IDEMPOTENCY_IN_PROGRESS' });
    // 1000 ms of looks that take 250 ms each (200 late + 50 apart) is 4 or 5 of them; counted, 21.
    expect(looks).toBeGreaterThanOrEqual(2);
    expect(looks).toBeLessThanOrEqual(8);
  });

  it('REST: concurrent POSTs with one Idempotency-Key and different bodies: one 202, one 422, one whole send', async () => {
    const h = await harnesses.create({ label: 'idem-rest' });
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    for (let t = 0; t < 5; t++) {
      const headers = { authorization: 'Bearer test-api-token-0123456789', 'idempotency-key': `rest-${t}` };
      const bodies = [
        { ...NOTE, phones: [String(13864000000 + t * 10), String(13864000001 + t * 10)] },
        { ...NOTE, phones: [String(13865000000 + t * 10), String(13865000001 + t * 10)] },
      ];
      const answers = await Promise.all(bodies.map((payload) => app.inject({ method: 'POST', url: '/v1/messages', headers, payload })));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([202, 422]);
      const i = answers.findIndex((a) => a.statusCode === 202);
      const refused = answers[1 - i]!.json() as { error: { code: string; issues: unknown[] } };
      expect(refused.error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
      expect(refused.error.issues).toEqual([{ field: 'Idempotency-Key', message: 'stands for an earlier request whose `phones` was different. Fix: to repeat that request, give it the same `phones` as the first; for a new request, use a new idempotency key' }]);
      const sendId = (answers[i]!.json() as { sendId: string }).sendId;
      expect(await phonesOf(h, sendId)).toEqual([...bodies[i]!.phones].sort());
    }
  });
});

describe('a key reused with a different request says which setting differs, as its caller gives it, and what to do', () => {
  // An upload was told "(kind differs)" of a request "body" (its settings are in the query string),
  // and the CLI the API's field names.
  const CSV = 'phone\n13866000001\n13866000002\n';
  const DIFFERS = (field: string, counts: string) =>
    `the idempotency key "spring" stands for an earlier request whose ${field} was different (a request without ${counts}); nothing was enqueued. Fix: to repeat that request, give it the same ${field} as the first; for a new request, use a new idempotency key`;

  it('an upload names the query parameter (`?kind=`); a JSON body and the Node API the field (`kind`)', async () => {
    const h = await harnesses.create({ label: 'idem-upload-words' });
    const token = 'test-api-token-0123456789';
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: token, dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    const upload = (query: Record<string, string>) =>
      app.inject({ method: 'POST', url: `/v1/campaigns?${new URLSearchParams({ signName: N.sign, templateCode: N.plainTemplate, ...query })}`, headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'spring', 'content-type': 'text/csv' }, payload: CSV });
    expect((await upload({})).statusCode).toBe(202);
    const refused = await upload({ kind: 'notification' });
    expect(refused.statusCode).toBe(422);
    const error = (refused.json() as { error: { code: string; message: string; issues: { field: string; message: string }[] } }).error;
    expect(error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
    expect(error.message).toBe(DIFFERS('`?kind=`', '`?kind=` counts as `?kind=marketing`'));
    expect(error.issues).toEqual([{ field: 'Idempotency-Key', message: 'stands for an earlier request whose `?kind=` was different. Fix: to repeat that request, give it the same `?kind=` as the first; for a new request, use a new idempotency key' }]);

    async function* rows() {
      yield { phone: '13866000001' };
    }
    const api = await h.producer.campaign(rows(), { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', idempotencyKey: 'spring' }).catch((e: unknown) => e as Error);
    expect((api as Error).message).toBe(DIFFERS('`kind`', '`kind` counts as `kind: "marketing"`'));
    const json = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'spring' }, payload: { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', recipients: [{ phone: '13866000001' }] } });
    expect(json.statusCode).toBe(422);
    expect(json.json().error.issues).toEqual([{ field: 'Idempotency-Key', message: 'stands for an earlier request whose `kind` was different. Fix: to repeat that request, give it the same `kind` as the first; for a new request, use a new idempotency key' }]);
  });

  it('an upload under a key a send used is not told to give a setting no upload has (`?phones=`): a new key', async () => {
    const h = await harnesses.create({ label: 'idem-upload-send' });
    const token = 'test-api-token-0123456789';
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: token, dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    await h.producer.send({ phones: ['13866000003'], signName: N.sign, templateCode: N.plainTemplate, idempotencyKey: 'summer' });
    const refused = await app.inject({
      method: 'POST',
      url: `/v1/campaigns?${new URLSearchParams({ signName: N.sign, templateCode: N.plainTemplate })}`,
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'summer', 'content-type': 'text/csv' },
      payload: CSV,
    });
    expect(refused.statusCode).toBe(422);
    const error = (refused.json() as { error: { code: string; message: string; issues: { field: string; message: string }[] } }).error;
    expect(error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
    expect(error.message).not.toMatch(/\?phones=/);
    expect(error.message).toBe('the idempotency key "summer" was used for a different request; nothing was enqueued. Fix: use a new key for a new request, or repeat the first request exactly');
  });

  it('the CLI names the flag (`--name`); --json keeps the API\'s words', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const h = await harnesses.create({ label: 'idem-cli-words' });
    const file = join(mkdtempSync(join(tmpdir(), 'smsq-idem-')), 'list.csv');
    writeFileSync(file, CSV);
    const run = (...extra: string[]) => cliOnHarness(h, ['campaign', '--file', file, '--sign', N.sign, '--template', N.plainTemplate, '--idempotency-key', 'spring', '--yes', ...extra]);
    expect((await run('--name', 'spring-sale')).code).toBe(0);
    const refused = await run('--name', 'autumn-sale');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the idempotency key "spring" stands for an earlier request whose `--name` was different; nothing was enqueued. Fix: to repeat that request, give it the same `--name` as the first; for a new request, use a new idempotency key');
    const json = await run('--name', 'autumn-sale', '--json');
    expect(JSON.parse(json.stdout).error.meaning).toContain('whose `name` was different');
  });
});

describe('the CLI names only the settings of the command run', () => {
  it('smsq send under a key an API request with `callbackUrl` and `name`, or a batch (`messages`), used is told the key is another request\'s; send-batch names its file\'s `deadline`, not a --deadline it lacks', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const h = await harnesses.create({ label: 'idem-cli-settings' });
    const dir = mkdtempSync(join(tmpdir(), 'smsq-idem-'));
    const cli = (argv: string[]) => cliOnHarness(h, argv);
    const send = (phone: string, key: string, ...extra: string[]) =>
      cli(['send', '--phones', phone, '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify(NOTE.templateParam), '--idempotency-key', key, '--yes', ...extra]);
    const ANOTHER = (key: string) => `the idempotency key "${key}" was used for a different request; nothing was enqueued. Fix: use a new key for a new request, or repeat the first request exactly`;

    // smsq send has no --callback-url and no --name: it was told to give the same `callbackUrl` and `--name`.
    const withCallbacks = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, callbacks: true });
    harnesses.defer(() => withCallbacks.close());
    await withCallbacks.send({ ...NOTE, phones: ['13866000011'], name: 'api-send', callbackUrl: 'https://example.com/smsq/callback', idempotencyKey: 'autumn' });
    const afterApi = await send('13866000011', 'autumn');
    expect(afterApi.code, afterApi.stderr).toBe(2);
    expect(afterApi.stderr).not.toMatch(/callbackUrl|--name/);
    expect(afterApi.stderr).toContain(ANOTHER('autumn'));
    // A batch's `messages` is no setting of smsq send either.
    await h.producer.sendBatch({ templateCode: N.notificationTemplate, messages: [{ phone: '13866000012', signName: N.sign, templateParam: NOTE.templateParam }], idempotencyKey: 'winter' });
    const afterBatch = await send('13866000012', 'winter');
    expect(afterBatch.code, afterBatch.stderr).toBe(2);
    expect(afterBatch.stderr).not.toMatch(/messages/);
    expect(afterBatch.stderr).toContain(ANOTHER('winter'));
    // A setting smsq send has is named as its flag.
    const hour = 3_600_000;
    expect((await send('13866000013', 'dawn', '--deadline', String(Date.now() + 2 * hour))).code).toBe(0);
    const later = await send('13866000013', 'dawn', '--deadline', String(Date.now() + 3 * hour));
    expect(later.stderr).toContain('the idempotency key "dawn" stands for an earlier request whose `--deadline` was different; nothing was enqueued. Fix: to repeat that request, give it the same `--deadline` as the first');

    // send-batch takes a deadline, a name and a callbackUrl in its --file only: it was told `--deadline`.
    const batchFile = (name: string, deadline: number) => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify({ templateCode: N.notificationTemplate, deadline, messages: [{ phone: '13866000014', signName: N.sign, templateParam: NOTE.templateParam }] }));
      return file;
    };
    const first = await cli(['send-batch', '--file', batchFile('first.json', Date.now() + 2 * hour), '--idempotency-key', 'dusk', '--yes']);
    expect(first.code, first.stderr).toBe(0);
    const again = await cli(['send-batch', '--file', batchFile('again.json', Date.now() + 3 * hour), '--idempotency-key', 'dusk', '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).not.toContain('--deadline');
    expect(again.stderr).toContain('the idempotency key "dusk" stands for an earlier request whose `deadline` in `--file` was different; nothing was enqueued. Fix: to repeat that request, give it the same `deadline` in `--file` as the first');
    // --json keeps the API's words.
    const json = await cli(['send-batch', '--file', batchFile('again.json', Date.now() + 3 * hour), '--idempotency-key', 'dusk', '--yes', '--json']);
    expect(JSON.parse(json.stdout).error.meaning).toContain('whose `deadline` was different');
  });
});

describe('a retry that takes over a half-written send', () => {
  it('writes it as the kind it was begun with: an older producer defaulted a code template to notification, one chunk of 3; the retry takes its kind from the template (verification, a chunk per number) and would have cut the numbers again', async () => {
    const h = await harnesses.create({ label: 'idem-kind' });
    const request = { phones: ['13800000031', '13800000032', '13800000033'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, idempotencyKey: 'kind-takeover' };
    // The first request, from a producer that does not check the account (kind: the default, notification).
    const first = await h.producer.send(request);
    expect((await h.producer.getStatus(first.sendId)).send).toMatchObject({ kind: 'notification', chunks: 1 });
    // It died before marking the send enqueued (and its key ended): the next request with the key takes it over.
    await h.redis.hset(`${h.prefix}:send:${first.sendId}`, 'state', 'enqueuing');
    await h.redis.hdel(`${h.prefix}:send:${first.sendId}`, 'enqueuedAt');
    await h.redis.del(`${h.prefix}:idem:kind-takeover:done`);
    const checking = createCheckingProducer(h);
    expect((await checking.planSend({ ...request, idempotencyKey: undefined })).kind).toBe('verification');
    const retry = await checking.send(request);
    expect(retry).toMatchObject({ sendId: first.sendId, completedEarlier: true });
    const chunkKeys = (await h.redis.keys(`${h.prefix}:chunk:${first.sendId}.*`)).sort();
    expect(chunkKeys).toEqual([`${h.prefix}:chunk:${first.sendId}.0`]);
    expect(await phonesOf(h, first.sendId)).toEqual(request.phones);
    expect((await h.producer.getStatus(first.sendId)).send).toMatchObject({ kind: 'notification', chunks: 1 });
    await checking.close();
  });
});

describe('REST: a key that another route used is another request, whose fields this route cannot give the same', () => {
  // /v1/messages under a campaign's key was told to give the same `phones` and `templateParam` as
  // the campaign, which had neither; /v1/batches under a send's the same `messages` and `phones`,
  // of which a batch body refuses `phones`. They now say what the CLI and an upload say.
  const ANOTHER = (key: string) => `the idempotency key "${key}" was used for a different request; nothing was enqueued. Fix: use a new key for a new request, or repeat the first request exactly`;
  const KEY_ISSUE = 'was used for a different request. Fix: use a new key for a new request, or repeat the first request exactly';

  it('/v1/messages after /v1/campaigns, /v1/batches after /v1/messages and back, /v1/campaigns after /v1/batches: 422 naming no field, nothing written', async () => {
    const h = await harnesses.create({ label: 'idem-rest-routes' });
    const token = 'test-api-token-0123456789';
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: token, dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    const post = (url: string, key: string, payload: object) => app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'idempotency-key': key }, payload });
    const campaign = { signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13800138091', params: { name: 'Li' } }] };
    const message = { phones: ['13800138091'], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'Li' }, kind: 'marketing' };
    const batch = { templateCode: N.marketingTemplate, kind: 'marketing', messages: [{ phone: '13800138091', signName: N.sign, templateParam: { name: 'Li' } }] };
    const cases: [string, string, object, string, object][] = [
      ['kc-probe-3', '/v1/campaigns', campaign, '/v1/messages', message],
      ['kc-probe-4', '/v1/messages', message, '/v1/batches', batch],
      ['kc-probe-5', '/v1/batches', batch, '/v1/messages', message],
      ['kc-probe-6', '/v1/batches', batch, '/v1/campaigns', campaign],
    ];
    for (const [key, firstUrl, first, url, payload] of cases) {
      const accepted = await post(firstUrl, key, first);
      expect(accepted.statusCode, accepted.body).toBe(202);
      const before = (await h.redis.keys(`${h.prefix}*`)).sort();
      const refused = await post(url, key, payload);
      expect(refused.statusCode, `${firstUrl} then ${url}: ${refused.body}`).toBe(422);
      const error = (refused.json() as { error: { code: string; message: string; issues: { field: string; message: string }[] } }).error;
      expect(error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
      expect(error.message, `${firstUrl} then ${url}`).toBe(ANOTHER(key));
      expect(error.issues).toEqual([{ field: 'Idempotency-Key', message: KEY_ISSUE }]);
      expect((await h.redis.keys(`${h.prefix}*`)).sort()).toEqual(before);
    }
    // The Node API, the same: a send under a campaign's key is not told to give the same `phones`.
    const api = await h.producer.send({ ...message, kind: 'marketing', idempotencyKey: 'kc-probe-3' }).catch((e: unknown) => e as Error);
    expect((api as Error).message).toBe(ANOTHER('kc-probe-3'));
    // The same route still names what differs.
    const again = await post('/v1/messages', 'kc-probe-4', { ...message, phones: ['13800138092'] });
    expect(again.statusCode).toBe(422);
    expect(again.json().error.message).toContain('stands for an earlier request whose `phones` was different');
  });
});
