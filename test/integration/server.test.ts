/**
 * `buildServer` against real Redis, the real producer, real workers and the emulator, through
 * fastify's inject(): authentication, validation, idempotency, status after delivery, CSV
 * campaigns, body limits, the error shape, OpenAPI, metrics, health and the dashboard's API.
 */
import { connect, type Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallMetricsRecorder, instrumentSmsClient } from '../../src/metrics/call-metrics.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { SERVER_QUEUES } from '../../src/queue/keys.js';
import { SEND_ID_SHAPE } from '../../src/send-id-shape.js';
import { buildServer, type ServerDeps, type SmsqServer } from '../../server/build-server.js';
import { ingestFor } from '../support/ingest.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'test-api-token-0123456789';
const LOGIN = { user: 'ops', password: 'dashboard-password-1' };
const AUTH = { authorization: `Bearer ${TOKEN}` };
const BASIC = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };

let h: Harness | undefined;
const apps: SmsqServer[] = [];
const queues: Queue[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(queues.splice(0).map((q) => q.close()));
  await h?.close();
  h = undefined;
});

async function harness(label: string): Promise<Harness> {
  h = await createHarness({ label });
  return h;
}

async function serverFor(harness: Harness, over: Partial<ServerDeps> = {}): Promise<SmsqServer> {
  const app = await buildServer({
    redis: harness.redis,
    prefix: harness.prefix,
    producer: harness.producer,
    logger: harness.logger,
    apiToken: TOKEN,
    dashboard: { basicAuth: LOGIN },
    checkResponses: true,
    ...over,
  });
  apps.push(app);
  return app;
}

/** Jobs in the calls queue, in any state. */
async function jobsIn(harness: Harness): Promise<number> {
  const q = createCallsQueue({ connection: harness.redis, prefix: harness.prefix });
  queues.push(q);
  return q.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
}

function expectErrorShape(body: unknown, code: string): { code: string; message: string; issues?: { field: string; message: string }[] } {
  expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  const error = (body as { error: { code: string; message: string; issues?: { field: string; message: string }[] } }).error;
  expect(Object.keys(error).every((k) => ['code', 'message', 'issues'].includes(k))).toBe(true);
  return error;
}

describe('smsq server: authentication', () => {
  it('refuses every /v1 request without the bearer token, or with a wrong one, in the error shape', async () => {
    const app = await serverFor(await harness('srv-auth'));
    const requests = [
      { method: 'POST' as const, url: '/v1/messages', payload: { phones: ['13800138000'], ...NOTE } },
      { method: 'POST' as const, url: '/v1/batches', payload: {} },
      { method: 'POST' as const, url: '/v1/campaigns', payload: {} },
      { method: 'GET' as const, url: '/v1/sends/s123' },
      { method: 'GET' as const, url: '/v1/no-such-route' },
    ];
    for (const r of requests) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, { authorization: TOKEN }]) {
        const res = await app.inject({ ...r, headers });
        expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
        // Every refusal says what to send, naming the setting the token is in, never its value.
        expect(expectErrorShape(res.json(), 'SMSQ_UNAUTHORIZED').message).toMatch(/\. Fix: send Authorization: Bearer <the token in the server's SMSQ_API_TOKEN>/);
        expect(res.body).not.toContain(TOKEN.replace('Bearer ', ''));
      }
    }
    expect(await jobsIn(h!)).toBe(0);
    // The right token gets through (to a 404 here: no such send).
    const ok = await app.inject({ method: 'GET', url: '/v1/sends/s123', headers: AUTH });
    expect(ok.statusCode).toBe(404);
    expect(expectErrorShape(ok.json(), 'SMSQ_NOT_FOUND').message).toMatch(/s123 not found/);
  });

  it('a send not found: the API client gets the prefix and what an id looks like, never where Redis is (it cannot act on it)', async () => {
    const hh = await harness('srv-404');
    const app = await serverFor(hh);
    const res = await app.inject({ method: 'GET', url: '/v1/sends/smxnope', headers: AUTH });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain(new URL(testRedisUrl()).host);
    expect(res.body).not.toContain('REDIS_URL');
    expect(expectErrorShape(res.json(), 'SMSQ_NOT_FOUND').message).toBe(
      `send smxnope not found. Fix: check the id (${SEND_ID_SHAPE}), and that it was sent through this deployment (SMSQ_PREFIX ${hh.prefix}); records expire after SMSQ_RETENTION_DAYS`,
    );
  });

  it('a BizId or an OutId pasted for a send id is told as what it is, with the REST route that finds what was meant', async () => {
    const hh = await harness('srv-other-ids');
    const app = await serverFor(hh);
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url, headers: AUTH });
      return { status: res.statusCode, body: res.json() as unknown };
    };
    const bizId = await get('/v1/sends/402617584525830937');
    expect(bizId.status).toBe(404);
    expect(expectErrorShape(bizId.body, 'SMSQ_NOT_FOUND').message).toMatch(
      /^send 402617584525830937 not found: 402617584525830937 is a BizId \(.*\), not a send id\. Fix: the sendId its enqueue answered; GET \/v1\/sends lists the sends, and GET \/v1\/sends\/\{id\}\/recipients the BizId of each recipient$/,
    );
    const outId = await get('/v1/sends/smx8k5nwj5d7ae857a7a7.0.1-0a1b2c3d4e/recipients');
    expect(outId.status).toBe(404);
    expect(expectErrorShape(outId.body, 'SMSQ_NOT_FOUND').message).toBe(
      'send smx8k5nwj5d7ae857a7a7.0.1-0a1b2c3d4e not found: smx8k5nwj5d7ae857a7a7.0.1-0a1b2c3d4e is an OutId (attempt 1 of chunk smx8k5nwj5d7ae857a7a7.0, as smsq details shows it), not a send id. Fix: GET /v1/sends/smx8k5nwj5d7ae857a7a7',
    );
    // With its ^0, a BizId is no send id by its shape: refused as the path it is, as what it is.
    const split = await get('/v1/sends/402617584525830937%5E0');
    expect(split.status).toBe(400);
    expect(expectErrorShape(split.body, 'SMSQ_INVALID_REQUEST').issues).toEqual([
      { field: '(path)', message: expect.stringMatching(/^is a BizId \(.*\), not a send id\. Fix: the sendId its enqueue answered; GET \/v1\/sends lists the sends/) },
    ]);
    // A path that is no send id is named (path) on every route, as http-api.md names what is wrong
    // with a path (a send's status said `id`, its controls and the campaigns page `params.id`).
    for (const [method, url, headers] of [
      ['GET', '/v1/sends/..%2F..%2Fetc', AUTH],
      ['GET', '/v1/sends/..%2F..%2Fetc/recipients', AUTH],
      ['POST', '/v1/sends/857322000000000004%5E0/pause', AUTH],
      ['GET', '/admin/campaigns/%3Cscript%3E', BASIC],
      ['POST', '/admin/campaigns/%3Cscript%3E/pause', { ...BASIC, 'x-smsq-control': '1' }],
    ] as const) {
      const res = await app.inject({ method, url, headers });
      expect(res.statusCode, url).toBe(400);
      expect(expectErrorShape(res.json(), 'SMSQ_INVALID_REQUEST').issues?.map((i) => i.field), `${method} ${url}`).toEqual(['(path)']);
    }
    // `.` and `..` alone are path steps, no id: `%2e%2e` was looked up ("send .. not found"). Over a
    // socket, as a client sends it: inject() resolves the dots away before the router sees them.
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    for (const [method, path] of [['GET', '/v1/sends/%2e%2e'], ['GET', '/v1/sends/%2E'], ['GET', '/v1/sends/%2e%2e/recipients'], ['POST', '/v1/sends/%2e%2e/cancel']] as const) {
      const res = await rawHttp(port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(res.status, `${method} ${path}: ${res.body}`).toBe(400);
      expect(expectErrorShape(JSON.parse(res.body), 'SMSQ_INVALID_REQUEST').issues?.map((i) => i.field), path).toEqual(['(path)']);
    }
    // An id of no other shape keeps the answer that names the prefix.
    expect(expectErrorShape((await get('/v1/sends/smxnope')).body, 'SMSQ_NOT_FOUND').message).toMatch(/^send smxnope not found\. Fix: check the id/);
  });

  it('will not build without an API token or a dashboard login unless insecure, and says how to fix it', async () => {
    const hh = await harness('srv-insecure');
    const base = { redis: hh.redis, prefix: hh.prefix, producer: hh.producer, logger: hh.logger };
    const err = await buildServer(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).lines).toHaveLength(2);
    expect((err as ConfigError).lines[0]).toMatch(/^SMSQ_API_TOKEN is not set.*Fix: SMSQ_API_TOKEN=\$\(openssl rand -hex 32\), or --insecure/);
    expect((err as ConfigError).lines[1]).toMatch(/SMSQ_DASHBOARD_USER\/SMSQ_DASHBOARD_PASSWORD nor SMSQ_DASHBOARD_TOKEN is set/);
    await expect(buildServer({ ...base, apiToken: TOKEN })).rejects.toThrow(/dashboard would be open/);

    const open = await buildServer({ ...base, insecure: true });
    apps.push(open);
    const res = await open.inject({ method: 'POST', url: '/v1/messages', payload: { phones: ['13800138000'], ...NOTE } });
    expect(res.statusCode).toBe(202);
    expect((await open.inject({ method: 'GET', url: '/admin/queues/api/queues' })).statusCode).toBe(200);
  });
});

describe('smsq server: ingestion', () => {
  it('answers 400 naming each bad field, unknown fields included, and enqueues nothing', async () => {
    const app = await serverFor(await harness('srv-valid'));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: AUTH,
      payload: { phones: [], signName: '', templateCode: 'T1', kind: 'spam', phone: '13800138000', idempotencyKey: 'k' },
    });
    expect(res.statusCode).toBe(400);
    const error = expectErrorShape(res.json(), 'SMSQ_INVALID_REQUEST');
    const fields = error.issues!.map((i) => i.field).sort();
    expect(fields).toEqual(['idempotencyKey', 'kind', 'phone', 'phones', 'signName', 'templateCode']);
    expect(error.issues!.find((i) => i.field === 'idempotencyKey')!.message).toMatch(/Idempotency-Key header/);
    expect(error.issues!.find((i) => i.field === 'templateCode')!.message).toMatch(/SMS_123456789/);

    // The producer's own checks (invalid numbers only) come back in the same shape.
    const bad = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['12'], ...NOTE } });
    expect(bad.statusCode).toBe(400);
    expect(expectErrorShape(bad.json(), 'SMSQ_INVALID_REQUEST').issues?.length).toBeGreaterThan(0);

    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { templateCode: N.notificationTemplate, messages: [{ phone: '13800138000', signName: N.sign, templateParam: { name: 1 } }] },
    });
    expect(batch.statusCode).toBe(400);
    expect(expectErrorShape(batch.json(), 'SMSQ_INVALID_REQUEST').issues!.map((i) => i.field)).toEqual(['messages[0].templateParam.name']);

    // templateParam as a string: its issue names a fix too, as every other issue does (it gave only an example).
    const paramText = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['13800138000'], ...NOTE, templateParam: 'name=Ada' } });
    expect(paramText.statusCode).toBe(400);
    expect(expectErrorShape(paramText.json(), 'SMSQ_INVALID_REQUEST').issues).toEqual([{ field: 'templateParam', message: 'must be an object of string values. Fix: write it as a JSON object of strings, e.g. {"code":"123456"}' }]);

    const badKey = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'idempotency-key': 'has spaces' }, payload: { phones: ['13800138000'], ...NOTE } });
    expect(expectErrorShape(badKey.json(), 'SMSQ_INVALID_REQUEST').issues![0]!.field).toBe('Idempotency-Key');

    const notJson = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"phones": [' });
    expect(notJson.statusCode).toBe(400);
    expect(expectErrorShape(notJson.json(), 'SMSQ_INVALID_REQUEST').issues![0]!.field).toBe('(body)');

    const wrongType = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(wrongType.statusCode).toBe(415);
    expectErrorShape(wrongType.json(), 'SMSQ_UNSUPPORTED_MEDIA_TYPE');
    const csvToMessages = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n' });
    expect(csvToMessages.statusCode).toBe(415);
    // A campaign takes a workbook too: the message names its type (it named JSON and CSV only).
    const xmlCampaign = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<r/>' });
    expect(xmlCampaign.statusCode).toBe(415);
    // curl -F sends multipart/form-data: the file goes as the body itself, which the fix shows.
    const multipart = await app.inject({ method: 'POST', url: '/v1/campaigns?signName=x&templateCode=SMS_1', headers: { ...AUTH, 'content-type': 'multipart/form-data; boundary=b' }, payload: '--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\nphone\n13800138000\n\r\n--b--\r\n' });
    expect(multipart.statusCode).toBe(415);
    expect(expectErrorShape(multipart.json(), 'SMSQ_UNSUPPORTED_MEDIA_TYPE').message).toMatch(
      /^multipart\/form-data \(curl -F\) is not accepted: a file is sent as the body itself; nothing was enqueued\. Fix: curl --data-binary @x\.csv -H 'Content-Type: text\/csv' /,
    );
    expect(expectErrorShape(xmlCampaign.json(), 'SMSQ_UNSUPPORTED_MEDIA_TYPE').message).toMatch(/Fix: .*application\/json.*text\/csv.*application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet \(an \.xlsx workbook\)/);

    expect(await jobsIn(h!)).toBe(0);
  });

  it('takes the Idempotency-Key header: a repeat returns the same send id and enqueues nothing new', async () => {
    const app = await serverFor(await harness('srv-idem'));
    const send = () =>
      app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'idempotency-key': 'order-42-shipped' }, payload: { phones: ['13800138000', '13800138001'], ...NOTE } });
    const first = await send();
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ duplicate: false, recipients: 2, chunks: 1, apiCalls: 1, rejectedCount: 0 });
    const jobs = await jobsIn(h!);
    expect(jobs).toBe(1);
    const second = await send();
    expect(second.statusCode).toBe(202);
    expect(second.json()).toMatchObject({ sendId: first.json().sendId, duplicate: true });
    expect(await jobsIn(h!)).toBe(jobs);

    const batchBody = { templateCode: N.notificationTemplate, messages: [{ phone: '13900139000', signName: N.sign, templateParam: { name: 'Bo', order: 'B2' } }] };
    const b1 = await app.inject({ method: 'POST', url: '/v1/batches', headers: { ...AUTH, 'idempotency-key': 'batch-1' }, payload: batchBody });
    const b2 = await app.inject({ method: 'POST', url: '/v1/batches', headers: { ...AUTH, 'idempotency-key': 'batch-1' }, payload: batchBody });
    expect(b1.statusCode).toBe(202);
    expect(b2.json()).toMatchObject({ sendId: b1.json().sendId, duplicate: true });
    expect(await jobsIn(h!)).toBe(jobs + 1);
  });

  it('reports a send that a real worker delivered through the emulator; 404 for an unknown one', async () => {
    const hh = await harness('srv-status');
    const app = await serverFor(hh);
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['13800138000', '+86 138 0013 8001', '13800138000'], ...NOTE } });
    expect(res.statusCode).toBe(202);
    const { sendId, recipients, duplicates } = res.json() as { sendId: string; recipients: number; duplicates: number };
    expect({ recipients, duplicates }).toEqual({ recipients: 2, duplicates: 1 });
    await hh.startWorker();
    const status = await waitFor(async () => {
      const r = await app.inject({ method: 'GET', url: `/v1/sends/${sendId}`, headers: AUTH });
      const body = r.json() as { counts: Record<string, number> };
      // Accepted, or already delivered if a receipt came back quickly.
      return r.statusCode === 200 && (body.counts.accepted ?? 0) + (body.counts.delivered ?? 0) === 2 ? body : undefined;
    }, 'the send to be accepted');
    expect(status).toMatchObject({ send: { sendId, api: 'SendSms', templateCode: N.notificationTemplate, recipients: 2, state: expect.stringMatching(/^(sent|completed)$/) }, counts: { queued: 0, sending: 0, failed: 0 } });
    expect(hh.emulator.accepted().flatMap((a) => a.phoneNumbers).sort()).toEqual(['13800138000', '13800138001']);

    const missing = await app.inject({ method: 'GET', url: '/v1/sends/s0000nosuchsend', headers: AUTH });
    expect(missing.statusCode).toBe(404);
    expectErrorShape(missing.json(), 'SMSQ_NOT_FOUND');
    const badId = await app.inject({ method: 'GET', url: '/v1/sends/a%20b', headers: AUTH });
    expect(badId.statusCode).toBe(400);
    expect(expectErrorShape(badId.json(), 'SMSQ_INVALID_REQUEST').issues![0]!.field).toBe('(path)');
  });

  it('enqueues a CSV campaign upload with its settings in the query string, and a JSON one', async () => {
    const hh = await harness('srv-csv');
    const app = await serverFor(hh);
    const csv = ['phone,name', '13800138000,Li', '13800138001,Wang', 'not-a-phone,Zhao', '13800138000,Li'].join('\n');
    const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, name: 'spring' });
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv; charset=utf-8', 'idempotency-key': 'spring-1' }, payload: csv });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ duplicate: false, recipients: 2, rejectedCount: 1, duplicates: 1 });
    const { sendId } = res.json() as { sendId: string };
    const status = await hh.producer.getStatus(sendId);
    expect(status.send).toMatchObject({ kind: 'marketing', name: 'spring', recipients: 2 });
    const again = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv', 'idempotency-key': 'spring-1' }, payload: csv });
    expect(again.json()).toMatchObject({ sendId, duplicate: true });

    const json = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: AUTH,
      payload: { signName: N.sign, templateCode: N.marketingTemplate, kind: 'marketing', recipients: [{ phone: '13900139000', params: { name: 'Zhou' } }, { phone: '13900139001', params: { name: 'Wu' } }] },
    });
    expect(json.statusCode).toBe(202);
    expect(json.json()).toMatchObject({ recipients: 2, rejectedCount: 0 });
    const jobs = await jobsIn(hh);

    // Refused whole, before anything is enqueued: a bad header, an empty file, bad or unknown settings.
    const badHeader = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'name,city\nLi,Beijing\n' });
    expect(badHeader.statusCode).toBe(400);
    expect(expectErrorShape(badHeader.json(), 'SMSQ_INVALID_REQUEST').issues![0]).toMatchObject({ field: '(body):1', message: expect.stringMatching(/no phone column/) });
    const empty = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: '\n' });
    expect(empty.statusCode).toBe(400);
    const badQuery = await app.inject({
      method: 'POST',
      url: `/v1/campaigns?signName=${encodeURIComponent(N.sign)}&templateCode=SMS_1&templateParam=%7Bnope&colour=red`,
      headers: { ...AUTH, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(badQuery.statusCode).toBe(400);
    expect(expectErrorShape(badQuery.json(), 'SMSQ_INVALID_REQUEST').issues!.map((i) => i.field).sort()).toEqual(['query.colour', 'query.templateParam']);
    const noRecipients = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { signName: N.sign, templateCode: N.marketingTemplate, recipients: [] } });
    expect(expectErrorShape(noRecipients.json(), 'SMSQ_INVALID_REQUEST').issues![0]!.field).toBe('recipients');
    expect(await jobsIn(hh)).toBe(jobs);
  });

  it('refuses bodies over the limits with 413, CSV uploads having a larger limit, and enqueues nothing', async () => {
    const hh = await harness('srv-limits');
    const app = await serverFor(hh, { bodyLimit: 2048, csvBodyLimit: 8192 });
    const many = Array.from({ length: 300 }, (_, i) => String(13800000000 + i));
    const big = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: many, ...NOTE } });
    expect(big.statusCode).toBe(413);
    expect(expectErrorShape(big.json(), 'SMSQ_BODY_TOO_LARGE').message).toMatch(/2 KiB.*SMSQ_SERVER_BODY_LIMIT.*8 KiB.*SMSQ_SERVER_CSV_LIMIT/);

    const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate });
    const csv = (n: number) => ['phone', ...many.slice(0, n)].join('\n');
    expect(Buffer.byteLength(csv(300))).toBeGreaterThan(2048);
    const fits = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: csv(300) });
    expect(fits.statusCode).toBe(202);
    expect(fits.json()).toMatchObject({ recipients: 300 });
    const jobs = await jobsIn(hh);
    const huge = ['phone', ...Array.from({ length: 1000 }, (_, i) => String(13900000000 + i))].join('\n');
    const tooBig = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: huge });
    expect(tooBig.statusCode).toBe(413);
    expectErrorShape(tooBig.json(), 'SMSQ_BODY_TOO_LARGE');
    expect(await jobsIn(hh)).toBe(jobs);
  });

  it('answers 503 SMSQ_REDIS_UNAVAILABLE (what happened and the fix; not where Redis is, no internals) when Redis is gone', async () => {
    const hh = await harness('srv-500');
    const { createProducer } = await import('../../producers/producer.js');
    const { createProducerConnection } = await import('../support/redis.js');
    const dead = createProducerConnection();
    // A client connection refuses commands until it is ready.
    await new Promise((resolve) => dead.once('ready', resolve));
    dead.disconnect();
    const producer = createProducer({ redis: dead, prefix: hh.prefix, logger: hh.logger });
    const app = await serverFor(hh, { producer });
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['13800138000'], ...NOTE } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    const error = expectErrorShape(res.json(), 'SMSQ_REDIS_UNAVAILABLE');
    expect(error.message).toMatch(/^Redis does not answer \(.+\); .*\. Fix: retry in a few seconds \(Retry-After\); if Redis stays down, tell the operator/);
    expect(error.message).not.toMatch(/127\.0\.0\.1|redis:\/\//);
    expect(error.message).not.toMatch(/\n\s+at /);
    await producer.close().catch(() => {});
  });
});

describe('smsq server: OpenAPI, metrics, health, dashboard', () => {
  it('serves an OpenAPI 3.1 document with the routes, the bearer scheme and the error shape', async () => {
    const app = await serverFor(await harness('srv-openapi'));
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; requestBody?: { content: Record<string, unknown> } }>>;
      components: { securitySchemes: Record<string, { scheme: string }>; schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/messages', '/v1/batches', '/v1/campaigns', '/v1/sends/{id}', '/healthz', '/readyz', '/metrics']));
    expect(doc.components.securitySchemes.bearerAuth!.scheme).toBe('bearer');
    expect(doc.paths['/v1/messages']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(doc.paths['/v1/campaigns']!.post!.requestBody!.content).sort()).toEqual(['application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv']);
    expect(doc.components.schemas.SendRequest!.required).toEqual(expect.arrayContaining(['phones', 'signName', 'templateCode']));
    expect(doc.components.schemas.SendRequest!.required).not.toContain('kind');
    expect(Object.keys(doc.components.schemas.Error!.properties!)).toEqual(['error']);
    expect(res.body).not.toContain('$schema');
  });

  it('exposes queue depths, worker call metrics from Redis, limiter waits and the process in Prometheus text', async () => {
    const hh = await harness('srv-metrics');
    const app = await serverFor(hh);
    const recorder = createCallMetricsRecorder({ redis: hh.redis, prefix: hh.prefix, flushIntervalMs: 50 });
    recorder.startHeartbeat(); // as the worker it stands for does once it takes jobs
    try {
      const queued = await hh.producer.send({ phones: ['13800138000', '13800138001', '13800138002'], ...NOTE });
      const before = await app.inject({ method: 'GET', url: '/metrics' });
      expect(before.statusCode).toBe(200);
      expect(before.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(before.body).toMatch(/^smsq_queue_jobs\{queue="calls",state="prioritized"\} 1$/m);
      expect(before.body).toMatch(/^smsq_queue_paused\{queue="calls"\} 0$/m);

      await hh.startWorker({ client: instrumentSmsClient(hh.client, recorder) });
      await waitFor(async () => {
        const { counts } = await hh.producer.getStatus(queued.sendId);
        return (counts.accepted ?? 0) + (counts.delivered ?? 0) === 3;
      }, 'accepted');
      recorder.recordLimiterWait('throttled', 1.5);
      await recorder.flush();
      const after = await app.inject({ method: 'GET', url: '/metrics' });
      const text = after.body;
      for (const name of [
        'smsq_queue_jobs',
        'smsq_queue_paused',
        'smsq_queue_rate_limited_seconds',
        'smsq_queue_workers',
        'smsq_recipients',
        'smsq_api_calls_total',
        'smsq_api_call_recipients_total',
        'smsq_api_call_duration_seconds',
        'smsq_limiter_waits_total',
        'smsq_limiter_wait_seconds_total',
        'smsq_metrics_writers',
        'smsq_server_process_cpu_seconds_total',
      ]) {
        expect(text, name).toContain(`# TYPE ${name} `);
      }
      expect(text).toMatch(/^smsq_api_calls_total\{operation="SendSms",outcome="accepted"\} 1$/m);
      expect(text).toMatch(/^smsq_api_call_recipients_total\{operation="SendSms",outcome="accepted"\} 3$/m);
      expect(text).toMatch(/^smsq_api_call_duration_seconds_bucket\{operation="SendSms",le="\+Inf"\} 1$/m);
      expect(text).toMatch(/^smsq_api_call_duration_seconds_count\{operation="SendSms"\} 1$/m);
      expect(text).toMatch(/^smsq_limiter_wait_seconds_total\{reason="throttled"\} 1\.5$/m);
      expect(text).toMatch(/^smsq_queue_workers\{queue="calls"\} [1-9]/m);
      expect(text).toMatch(/^smsq_metrics_writers 1$/m);
      // The chunk is recorded accepted just before its job completes: wait for the job too.
      await waitFor(async () => /^smsq_queue_jobs\{queue="calls",state="completed"\} 1$/m.test((await app.inject({ method: 'GET', url: '/metrics' })).body), 'the job counted completed');
    } finally {
      await recorder.close();
    }
  });

  it('is healthy without dependencies, ready only with Redis and a worker (503 naming what is missing)', async () => {
    const hh = await harness('srv-health');
    const app = await serverFor(hh);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(expectErrorShape(notReady.json(), 'SMSQ_NOT_READY').issues).toEqual([{ field: 'workers', message: expect.stringMatching(/no worker serves the calls queue.*smsq worker/) }]);
    await hh.startWorker();
    const ready = await waitFor(async () => {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      return r.statusCode === 200 ? r.json() : undefined;
    }, 'ready');
    expect(ready).toEqual({ status: 'ready', workers: expect.any(Number) });
  });

  it('reports Redis as the reason when it is unreachable', async () => {
    const hh = await harness('srv-noredis');
    const { createTestConnection } = await import('../support/redis.js');
    const dead = createTestConnection();
    await dead.ping();
    dead.disconnect();
    const app = await serverFor(hh, { redis: dead });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(expectErrorShape(res.json(), 'SMSQ_NOT_READY').issues![0]!.field).toBe('redis');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // The exporter pattern: the scrape succeeds and says Redis is down, so an alert can tell it
    // from a server that is down; nothing read from Redis is exported meanwhile.
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^smsq_redis_up 0$/m);
    expect(metrics.body).toMatch(/^smsq_server_process_cpu_seconds_total /m);
    expect(metrics.body).not.toMatch(/^smsq_queue_jobs/m);
  });

  it('protects the dashboard with a login or a token, lists every smsq queue, read-only by default', async () => {
    const hh = await harness('srv-board');
    const app = await serverFor(hh, { queueNames: ['calls', 'housekeeping'], dashboard: { basicAuth: LOGIN, token: 'dashboard-token-0123456789' } });
    for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
      const anon = await app.inject({ method: 'GET', url });
      expect(anon.statusCode).toBe(401);
      expect(anon.headers['www-authenticate']).toMatch(/^Basic realm="smsq dashboard"/);
      expectErrorShape(anon.json(), 'SMSQ_UNAUTHORIZED');
      const wrong = await app.inject({ method: 'GET', url, headers: { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` } });
      expect(wrong.statusCode).toBe(401);
      expect(expectErrorShape(wrong.json(), 'SMSQ_UNAUTHORIZED').message).toMatch(
        /^the credentials are not valid for smsq dashboard\. Fix: send Authorization: Bearer <the token in the server's SMSQ_DASHBOARD_TOKEN>, or log in \(HTTP basic auth\) as SMSQ_DASHBOARD_USER with SMSQ_DASHBOARD_PASSWORD/,
      );
      expect(wrong.body).not.toContain(LOGIN.password);
      // The API token is not a dashboard credential.
      expect((await app.inject({ method: 'GET', url, headers: AUTH })).statusCode).toBe(401);
    }
    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: BASIC });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>smsq</title>');
    const api = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: 'Bearer dashboard-token-0123456789' } });
    expect(api.statusCode).toBe(200);
    const queuesJson = (api.json() as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
    expect(queuesJson.map((q) => q.name).sort()).toEqual(['calls', 'housekeeping']);
    expect(queuesJson.every((q) => q.readOnlyMode)).toBe(true);
    // Read-only: actions are refused and queued work stays.
    await hh.producer.send({ phones: ['13800138000'], ...NOTE });
    const empty = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/calls/empty', headers: BASIC });
    expect(empty.statusCode).toBe(405);
    expect(await jobsIn(hh)).toBe(1);

    // Writable when configured so.
    const writable = await serverFor(hh, { dashboard: { basicAuth: LOGIN, readOnly: false } });
    const pause = await writable.inject({ method: 'PUT', url: '/admin/queues/api/queues/calls/pause', headers: BASIC });
    expect(pause.statusCode).toBe(200);
    const q = createCallsQueue({ connection: hh.redis, prefix: hh.prefix });
    queues.push(q);
    expect(await q.isPaused()).toBe(true);
  });

  it('embedded without queueNames (smsq/server\'s buildServer), the dashboard and /metrics cover the queues smsq server shows, housekeeping (callbacks) included (it showed calls alone)', async () => {
    const hh = await harness('srv-board-default');
    const app = await serverFor(hh);
    const api = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: BASIC });
    expect((api.json() as { queues: { name: string }[] }).queues.map((q) => q.name).sort()).toEqual([...SERVER_QUEUES].sort());
    expect([...SERVER_QUEUES].sort()).toEqual(['calls', 'housekeeping']);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/queue="housekeeping"/);
  });

  it('read-only dashboard: queue-wide pause and resume are refused like every other write action, and change nothing', async () => {
    const hh = await harness('srv-board-ro');
    const app = await serverFor(hh, { queueNames: ['calls', 'housekeeping'], dashboard: { basicAuth: LOGIN } });
    const q = createCallsQueue({ connection: hh.redis, prefix: hh.prefix });
    queues.push(q);
    for (const url of ['/admin/queues/api/queues/pause', '/admin/queues/api/queues/resume', '/admin/queues/api/queues/calls/pause', '/admin/queues/api/queues/calls/clean/completed']) {
      const res = await app.inject({ method: 'PUT', url, headers: BASIC });
      expect(res.statusCode, url).toBe(405);
      // Not the one shape alone, on purpose: the board's page shows `error.key` as its toast's
      // title and the top-level `message` as its text, so without them a refused click showed an
      // empty toast. The same extra two as the board's 503 and 400 (docs/http-api.md#errors).
      const body = res.json<{ error: { code: string; key: string; message: string }; message: string }>();
      expect(body).toEqual({ error: { code: 'SMSQ_METHOD_NOT_ALLOWED', key: 'SMSQ_METHOD_NOT_ALLOWED', message: expect.stringMatching(/read-only/) }, message: body.error.message });
    }
    expect(await q.isPaused()).toBe(false);
    // A paused queue (an account block) is not resumed from a read-only board either.
    await q.pause();
    expect((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/resume', headers: BASIC })).statusCode).toBe(405);
    expect(await q.isPaused()).toBe(true);
    // Strangers still get 401 first, and reads still work.
    expect((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/pause' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: BASIC })).statusCode).toBe(200);
  });
});

/** One raw HTTP/1.1 exchange on a new connection: what came back until the server closed it (or 3 s). */
function rawHttp(port: number, text: string, onConnect?: (socket: Socket) => void): Promise<{ status: number; headers: string; body: string; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      onConnect?.(socket);
      socket.write(text);
    });
    let out = '';
    const done = () => {
      const [head = '', ...rest] = out.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), headers: head.toLowerCase(), body: rest.join('\r\n\r\n'), raw: out });
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (out += chunk));
    socket.on('close', done);
    socket.on('error', (err) => (out ? done() : reject(err)));
    setTimeout(() => socket.destroy(), 3000).unref();
  });
}

describe('smsq server: what fastify and Node answer on their own is in the error shape', () => {
  it('a path segment past the router\'s limit (fastify answered 414 FST_ERR_MAX_PARAM_LENGTH) and bad percent-encoding (400 FST_ERR_BAD_URL): 400 naming (path) and the fix', async () => {
    const app = await serverFor(await harness('srv-fw-url'));
    for (const url of [`/v1/sends/${'a'.repeat(5000)}`, `/v1/sends/${'a'.repeat(5000)}/recipients`, `/admin/campaigns/${'a'.repeat(200)}`]) {
      for (const headers of [AUTH, {}]) {
        const res = await app.inject({ method: 'GET', url, headers });
        expect(res.statusCode, url.slice(0, 40)).toBe(400);
        const error = expectErrorShape(res.json(), 'SMSQ_INVALID_REQUEST');
        expect(error.issues).toEqual([{ field: '(path)', message: expect.stringMatching(/^has a segment of \d+ characters, longer than any id or token smsq gives \(128\)\. Fix: check the id in the path; a send id is at most 64 characters$/) }]);
      }
    }
    // Up to the longest report token (128 characters, SMSQ_REPORT_TOKEN) a segment is routed: the route names it.
    const routed = await app.inject({ method: 'GET', url: `/v1/sends/${'a'.repeat(128)}`, headers: AUTH });
    expect(expectErrorShape(routed.json(), 'SMSQ_INVALID_REQUEST').issues![0]!.field).toBe('(path)');
    for (const url of ['/v1/sends/%zz', '/v1/sends/%E0%A4%A/recipients', '/no/such/%zz']) {
      const res = await app.inject({ method: 'GET', url, headers: AUTH });
      expect(res.statusCode, url).toBe(400);
      const error = expectErrorShape(res.json(), 'SMSQ_INVALID_REQUEST');
      expect(error.issues).toEqual([{ field: '(path)', message: expect.stringMatching(/^is not valid percent-encoding: ".*"\. Fix: percent-encode the path as UTF-8 \(a % itself is %25\)$/) }]);
    }
    // The report token is not repeated back in a URL it travels in.
    const token = 'a-report-token-0123456789';
    const push = await app.inject({ method: 'POST', url: `/v1/reports/${token}/%zz`, headers: { 'content-type': 'application/json' }, payload: '[]' });
    expect(push.statusCode).toBe(400);
    expect(push.body).not.toContain(token);
  });

  it('a report token past the router\'s limit is measured as sent and told as a report token (it was "a segment of 10 characters", [REDACTED]\'s, and "a send id is at most 64")', async () => {
    const h = await harness('srv-fw-token');
    const { ingest, close } = ingestFor(h);
    const app = await serverFor(h, { reports: { ingest, token: 'report-token-0123456789' } });
    onTestFinished(close);
    const token = 'a'.repeat(200);
    const res = await app.inject({ method: 'POST', url: `/v1/reports/${token}/sms-report`, headers: { 'content-type': 'application/json' }, payload: '[]' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.body).not.toContain(token);
    expect(expectErrorShape(res.json(), 'SMSQ_INVALID_REQUEST').issues).toEqual([
      {
        field: '(path)',
        message: 'has a segment of 200 characters, longer than any id or token smsq gives (128). Fix: check the report token in the push URL (/v1/reports/<SMSQ_REPORT_TOKEN>/sms-report); a report token is at most 128 characters',
      },
    ]);
  });

  it('a request that is not HTTP, headers over Node\'s limit, or too slow to arrive: 400, 431, 408 in the error shape, not fastify\'s', async () => {
    const app = await serverFor(await harness('srv-fw-client'));
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    const garbage = await rawHttp(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(garbage.headers).toContain('content-type: application/json; charset=utf-8');
    expect(expectErrorShape(JSON.parse(garbage.body), 'SMSQ_INVALID_REQUEST').message).toMatch(/is not HTTP\/1\.1 .*Fix: /);

    for (const request of [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, `GET /v1/sends/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`]) {
      const big = await rawHttp(port, request);
      expect(big.status).toBe(431);
      expect(expectErrorShape(JSON.parse(big.body), 'SMSQ_HEADERS_TOO_LARGE').message).toMatch(/over 16 KiB.*Fix: /);
    }

    // Node reports a request whose headers do not arrive in time (headersTimeout) as this clientError.
    const sockets: Socket[] = [];
    app.server.on('connection', (s: Socket) => sockets.push(s));
    const slow = await rawHttp(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', () => {
      setTimeout(() => app.server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), sockets.at(-1)), 100);
    });
    expect(slow.status).toBe(408);
    expect(expectErrorShape(JSON.parse(slow.body), 'SMSQ_REQUEST_TIMEOUT').message).toMatch(/Fix: /);
  });

  it('raw UTF-8 in the query string or path (a new user\'s curl): 400 naming the query parameter and percent-encoding as the fix (it said "not HTTP/1.1 ... check the client, or a proxy")', async () => {
    const app = await serverFor(await harness('srv-fw-raw-utf8'));
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    const query = await rawHttp(port, `GET /v1/campaigns?signName=smsq沙箱&templateCode=SMS_900000003 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    expect(query.status).toBe(400);
    const error = expectErrorShape(JSON.parse(query.body), 'SMSQ_INVALID_REQUEST');
    expect(error.message).not.toMatch(/HTTP\/1\.1|proxy/);
    expect(error.issues).toEqual([
      { field: 'query.signName', message: expect.stringMatching(/^holds characters that are not percent-encoded \(raw UTF-8\).*Fix: percent-encode each query value as UTF-8: curl --url-query 'signName=\.\.\.'.*-G --data-urlencode 'signName=\.\.\.'/) },
    ]);
    // Two parameters at fault, and a name that is not ASCII itself: each named as sent.
    const two = await rawHttp(port, `POST /v1/campaigns?signName=沙箱&kind=marketing&name=春季 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    expect(expectErrorShape(JSON.parse(two.body), 'SMSQ_INVALID_REQUEST').issues?.map((i) => i.field)).toEqual(['query.signName', 'query.name']);
    const path = await rawHttp(port, `GET /v1/sends/沙箱 HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(path.status).toBe(400);
    expect(expectErrorShape(JSON.parse(path.body), 'SMSQ_INVALID_REQUEST').issues).toEqual([{ field: '(path)', message: expect.stringMatching(/^holds characters that are not percent-encoded \(raw UTF-8\).*Fix: percent-encode the path as UTF-8/) }]);
  });

  it('two Idempotency-Key header lines on the wire: 400 saying it appears more than once (it said "may contain only letters")', async () => {
    const app = await serverFor(await harness('srv-two-keys'));
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    const body = JSON.stringify({ phones: ['13800138000'], ...NOTE });
    const res = await rawHttp(
      port,
      `POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nIdempotency-Key: order-1\r\nIdempotency-Key: order-2\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(res.status).toBe(400);
    expect(expectErrorShape(JSON.parse(res.body), 'SMSQ_INVALID_REQUEST').issues).toEqual([{ field: 'Idempotency-Key', message: 'appears more than once. Fix: send one Idempotency-Key header' }]);
    expect(await jobsIn(h!)).toBe(0);
  });

  it('a request that arrives while the server is stopping: 503 in the error shape with Connection: close (fastify answered its own 503)', async () => {
    const app = await serverFor(await harness('srv-fw-closing'));
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    // A request half sent when the stop begins: its connection is not idle, so it is read to the end and answered.
    let finish: () => void = () => {};
    const exchange = rawHttp(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', (socket) => (finish = () => socket.write('\r\n')));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    finish();
    const answer = await exchange;
    await closed;
    expect(answer.status).toBe(503);
    expect(answer.headers).toContain('connection: close');
    expect(expectErrorShape(JSON.parse(answer.body), 'SMSQ_NOT_READY').message).toMatch(/stopping.*Fix: /);
  });
});

describe('smsq server: 413 and 415 on the enqueue routes, on a real port', () => {
  it('each says nothing was enqueued, as every refusal does, and a 415 names the Content-Type it got; nothing written', async () => {
    const harnessed = await harness('srv-413-415');
    const app = await serverFor(harnessed);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const note = JSON.stringify({ phones: ['13800138000'], ...NOTE });
    const upload = `/v1/campaigns?${new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"x"}' })}`;
    const post = (url: string, headers: Record<string, string>, body: string | Buffer) => fetch(`${base}${url}`, { method: 'POST', headers: { ...AUTH, ...headers }, body });
    const before = (await harnessed.redis.keys(`${harnessed.prefix}*`)).sort();
    const big = `{"phones":[${'"13800138000",'.repeat(100_000)}"13800138000"]}`;
    const refused: [string, Record<string, string>, string | Buffer, number, RegExp][] = [
      // curl -d's default type, for each route.
      ...['/v1/messages', '/v1/batches', '/v1/campaigns'].map((url): [string, Record<string, string>, string, number, RegExp] => [url, { 'content-type': 'application/x-www-form-urlencoded' }, note, 415, /Content-Type "application\/x-www-form-urlencoded" is not accepted/]),
      ['/v1/messages', { 'content-type': 'text/csv' }, 'phone\n13800138000\n', 415, /Content-Type "text\/csv" is not accepted/],
      ['/v1/messages', { 'content-type': 'application/json; charset=latin1' }, note, 415, /charset "latin1"/],
      ['/v1/messages', { 'content-type': 'application/json; charset=utf-8; charset=gbk' }, note, 415, /two charsets/],
      [upload, { 'content-type': 'text/csv; charset=ebcdic' }, 'phone\n13800138000\n', 415, /charset "ebcdic"/],
      ['/v1/batches', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(note), 415, /Content-Encoding "gzip"/],
      ['/v1/messages', { 'content-type': 'application/json' }, big, 413, /too large/],
    ];
    for (const [url, headers, body, status, says] of refused) {
      const res = await post(url, headers, body);
      const text = await res.text();
      expect(res.status, `${url} ${JSON.stringify(headers)}: ${text}`).toBe(status);
      const { message } = expectErrorShape(JSON.parse(text), status === 413 ? 'SMSQ_BODY_TOO_LARGE' : 'SMSQ_UNSUPPORTED_MEDIA_TYPE');
      expect(message, url).toMatch(says);
      expect(message, `${url} ${JSON.stringify(headers)}`).toMatch(/; nothing was enqueued\. Fix: /);
    }
    expect((await harnessed.redis.keys(`${harnessed.prefix}*`)).sort()).toEqual(before);
    expect(await jobsIn(harnessed)).toBe(0);
  });
});

describe('smsq server: Content-Encoding and Expect, on a real port', () => {
  it('a body with a Content-Encoding other than identity: 415 in the error shape with Accept-Encoding: identity, nothing written (a plain body labelled gzip was enqueued; a gzip one was "not valid JSON")', async () => {
    const harnessed = await harness('srv-content-encoding');
    const app = await serverFor(harnessed);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const note = JSON.stringify({ phones: ['13800138000'], ...NOTE });
    const csv = 'phone,name\n13800138000,Li\n';
    const campaign = `/v1/campaigns?${new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"x"}' })}`;
    const post = (url: string, type: string, body: Buffer, encoding: string | undefined) =>
      fetch(`${base}${url}`, { method: 'POST', headers: { ...AUTH, 'content-type': type, ...(encoding === undefined ? {} : { 'content-encoding': encoding }) }, body });
    const before = (await harnessed.redis.keys(`${harnessed.prefix}*`)).sort();
    const refused: [string, string, Buffer, string][] = [
      ['/v1/messages', 'application/json', gzipSync(note), 'gzip'],
      ['/v1/messages', 'application/json', Buffer.from(note), 'gzip'],
      ['/v1/batches', 'application/json', gzipSync(JSON.stringify({ templateCode: N.notificationTemplate, messages: [{ phone: '13800138000', signName: N.sign, templateParam: NOTE.templateParam }] })), 'GZIP'],
      [campaign, 'text/csv', gzipSync(csv), 'gzip'],
      [campaign, 'text/csv', deflateSync(csv), 'deflate'],
      [campaign, 'text/csv', brotliCompressSync(csv), 'br'],
      [campaign, 'text/csv', Buffer.from(csv), 'identity, gzip'],
      ['/v1/sends/smx0000000000000000000/pause', 'application/json', Buffer.from('{}'), 'x-gzip'],
    ];
    for (const [url, type, body, encoding] of refused) {
      const res = await post(url, type, body, encoding);
      const text = await res.text();
      expect(res.status, `${url} ${encoding}: ${text}`).toBe(415);
      expect(res.headers.get('accept-encoding')).toBe('identity');
      // A send's control (pause) enqueues nothing either way: it says what it did not change.
      const untouched = url.endsWith('/pause') ? 'nothing was changed' : 'nothing was enqueued';
      expect(expectErrorShape(JSON.parse(text), 'SMSQ_UNSUPPORTED_MEDIA_TYPE').message).toBe(
        `Content-Encoding ${JSON.stringify(encoding.toLowerCase())} is not accepted: request bodies are read as sent, uncompressed; ${untouched}. Fix: send the body without Content-Encoding (or with Content-Encoding: identity)`,
      );
    }
    expect((await harnessed.redis.keys(`${harnessed.prefix}*`)).sort()).toEqual(before);
    expect(await jobsIn(harnessed)).toBe(0);
    // Without one, or with identity, a body is read as it always was; the token is still checked first.
    expect((await post('/v1/messages', 'application/json', Buffer.from(note), undefined)).status).toBe(202);
    expect((await post(campaign, 'text/csv', Buffer.from(csv), 'Identity')).status).toBe(202);
    const stranger = await fetch(`${base}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(note) });
    expect(stranger.status).toBe(401);
  });

  it('Expect with a value other than 100-continue: 417 (Node\'s, already) in the error shape with Connection: close, nothing enqueued (Node\'s had an empty body); 100-continue still goes on', async () => {
    const harnessed = await harness('srv-expect');
    const app = await serverFor(harnessed);
    const port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    const body = JSON.stringify({ phones: ['13800138000'], ...NOTE });
    const request = (expectation: string) =>
      `POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nExpect: ${expectation}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    for (const expectation of ['foo', '200-ok', '100-continued']) {
      const res = await rawHttp(port, request(expectation));
      expect(res.status, expectation).toBe(417);
      expect(res.headers).toContain('connection: close');
      expect(res.headers).toContain('content-type: application/json; charset=utf-8');
      expect(expectErrorShape(JSON.parse(res.body), 'SMSQ_INVALID_REQUEST').issues).toEqual([
        { field: 'Expect', message: `asks for "${expectation}", an expectation this server does not meet (only 100-continue is defined). Fix: drop the Expect header, or send Expect: 100-continue` },
      ]);
    }
    expect(await jobsIn(harnessed)).toBe(0);
    for (const expectation of ['100-continue', '100-Continue']) {
      const res = await rawHttp(port, request(expectation));
      expect(res.raw, expectation).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 Accepted\r\n/);
    }
  });
});
