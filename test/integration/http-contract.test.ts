/**
 * The contract test of the HTTP API: the document served at /openapi.json against the examples it
 * documents, the JSON examples of docs/http-api.md and docs/server.md, and against real answers of every route it describes, successes and errors, from a
 * server listening on a port, on real Redis, with a real worker sending through the emulator.
 * Every JSON answer is validated with ajv (JSON Schema 2020-12) against the schema the document
 * gives for its path, method, status and media type, `components` resolved; an answer whose
 * status the document does not list fails. At the end, every documented operation must have been
 * answered at least once with a success and once with an error.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { ingestFor } from '../support/ingest.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { createProducerConnection } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { cstDateTime } from '../../src/sms/dates.js';

const TOKEN = 'contract-api-token-0123456789';
const REPORT_TOKEN = 'contract-report-token-0123456789';
const LOGIN = { user: 'ops', password: 'dashboard-password-1' };
const AUTH = { authorization: `Bearer ${TOKEN}` };
const BASIC = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const JSON_TYPE = { 'content-type': 'application/json' };
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The pages whose ```json blocks are answers of the API, each under a `<!-- schema: Name -->` line. */
const PAGES_WITH_ANSWERS = ['docs/http-api.md', 'docs/server.md'];
const SCHEMA_MARKER = /^<!-- schema: (\w+) -->$/;

interface Operation {
  responses: Record<string, { content: Record<string, { schema: unknown }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { examples?: unknown[] }> };
}

/** A JSON pointer segment. */
const escape = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');
const DOC_ID = 'https://smsq.invalid/openapi.json';

let h: Harness;
let app: SmsqServer;
let base: string;
let doc: Document;
let ajv: Ajv2020;
let closeIngest: () => Promise<void>;
/** Operations (`METHOD /path`) answered, with the statuses seen. */
const answered = new Map<string, Set<number>>();
const checkedExamples: string[] = [];

/** The documented path template a concrete path matches. */
function templateOf(path: string): string | undefined {
  const bare = path.split('?')[0]!;
  return Object.keys(doc.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
}

/** Validates `data` against the schema at `pointer` in the document; the errors, or [] when valid. */
function violations(pointer: string, data: unknown): string[] {
  const validate = ajv.getSchema(`${DOC_ID}#${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  return validate(data) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Sends a request to the listening server and checks the answer against the document. */
async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown; raw?: string | Buffer; base?: string } = {}): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${init.base ?? base}${path}`, {
    method,
    headers: init.headers,
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const body = mediaType === 'application/json' ? (JSON.parse(text) as unknown) : text;
  const template = templateOf(path);
  const where = `${method} ${path} → ${res.status}`;
  // No scenario here should fail inside the server; a 500 is also what an answer that does not
  // match its declared schema becomes (checkResponses).
  expect(res.status, `${where}: ${text.slice(0, 300)}`).not.toBe(500);
  if (template === undefined) {
    // No route: the not-found answer is in the one error shape.
    expect(violations('/components/schemas/Error', body), where).toEqual([]);
    return { status: res.status, body, text };
  }
  const operation = doc.paths[template]![method.toLowerCase()];
  if (operation === undefined && method !== 'HEAD') {
    // A method the path does not take: 405 naming the documented ones (401 first for strangers
    // where a token guards the path; 404 behind the dashboard's login), in the one error shape.
    const documentedMethods = Object.keys(doc.paths[template]!).map((m) => m.toUpperCase());
    expect([401, 404, 405], `${where}: ${method} ${template} is not documented, so it must be refused`).toContain(res.status);
    if (res.status === 405) expect((res.headers.get('allow') ?? '').split(', ').filter((m) => m !== 'HEAD'), where).toEqual(documentedMethods.sort());
    expect(violations('/components/schemas/Error', body), where).toEqual([]);
    return { status: res.status, body, text };
  }
  expect(operation, `${where}: ${method} ${template} is not documented`).toBeDefined();
  const documented = operation!.responses[String(res.status)];
  expect(documented, `${where}: status not documented for ${method} ${template} (${text.slice(0, 300)})`).toBeDefined();
  expect(Object.keys(documented!.content), where).toContain(mediaType);
  const pointer = `/paths/${escape(template)}/${method.toLowerCase()}/responses/${res.status}/content/${escape(mediaType)}/schema`;
  expect(violations(pointer, body), `${where}: ${text.slice(0, 300)}`).toEqual([]);
  const key = `${method} ${template}`;
  answered.set(key, (answered.get(key) ?? new Set()).add(res.status));
  return { status: res.status, body, text };
}

beforeAll(async () => {
  h = await createHarness({ label: 'contract' });
  const ingest = ingestFor(h);
  closeIngest = ingest.close;
  app = await buildServer({
    redis: h.redis,
    prefix: h.prefix,
    producer: h.producer,
    logger: h.logger,
    apiToken: TOKEN,
    dashboard: { basicAuth: LOGIN },
    reports: { ingest: ingest.ingest, token: REPORT_TOKEN },
    bodyLimit: 64 * 1024,
    checkResponses: true,
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  doc = (await (await fetch(`${base}/openapi.json`)).json()) as Document;
  ajv = new Ajv2020({ strict: false, allErrors: true, formats: { binary: true } });
  ajvFormats.default(ajv);
  ajv.addSchema(doc, DOC_ID);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await closeIngest?.();
  await h?.close();
});

describe('the OpenAPI document', () => {
  it('holds examples that are valid against their own schemas', () => {
    // Every `examples` list on a schema, and every media type's `example`, wherever they are.
    const walk = (node: unknown, pointer: string) => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${pointer}/${i}`));
      if (node === null || typeof node !== 'object') return;
      const object = node as Record<string, unknown>;
      if (Array.isArray(object.examples) && (object.type !== undefined || object.$ref !== undefined || object.properties !== undefined || object.items !== undefined)) {
        object.examples.forEach((example, i) => {
          expect(violations(pointer, example), `${pointer}/examples/${i}`).toEqual([]);
          checkedExamples.push(`${pointer}/examples/${i}`);
        });
      }
      if ('example' in object && object.schema !== undefined) {
        expect(violations(`${pointer}/schema`, object.example), `${pointer}/example`).toEqual([]);
        checkedExamples.push(`${pointer}/example`);
      }
      for (const [key, child] of Object.entries(object)) if (key !== 'examples' && key !== 'example') walk(child, `${pointer}/${escape(key)}`);
    };
    walk(doc, '');
    // The answers' and the requests' named schemas each carry examples.
    for (const name of ['Error', 'EnqueueResult', 'SendStatus', 'RecipientPage', 'PushAccepted', 'SendRequest', 'SendBatchRequest', 'CampaignRequest', 'SmsReports', 'SmsUps']) {
      expect(doc.components.schemas[name]?.examples?.length ?? 0, name).toBeGreaterThan(0);
    }
    expect(checkedExamples.length).toBeGreaterThanOrEqual(15);
  });

  it('matches the JSON examples of the docs pages, each valid against the component named on the line before it', () => {
    let checked = 0;
    for (const page of PAGES_WITH_ANSWERS) {
      const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.trim() !== '```json') return;
        const where = `${page}:${i + 1}`;
        const name = SCHEMA_MARKER.exec(lines[i - 1]?.trim() ?? '')?.[1];
        expect(name, `${where}: put <!-- schema: Name --> (a component of /openapi.json) on the line before the block`).toBeDefined();
        expect(doc.components.schemas[name!], `${where}: no component ${name}`).toBeDefined();
        const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
        const example = JSON.parse(lines.slice(i + 1, end).join('\n')) as unknown;
        expect(violations(`/components/schemas/${name}`, example), where).toEqual([]);
        checked++;
      });
    }
    expect(checked).toBeGreaterThanOrEqual(4); // the scan itself works
  });

  it('refuses what its schemas forbid (the validator is not blind)', () => {
    expect(violations('/components/schemas/EnqueueResult', { sendId: 's1' })).not.toEqual([]);
    const example = doc.components.schemas.EnqueueResult!.examples![0] as Record<string, unknown>;
    expect(violations('/components/schemas/EnqueueResult', { ...example, surprise: 1 })).not.toEqual([]);
    expect(violations('/components/schemas/Error', { error: { code: 'NOT_A_CODE', message: 'm' } })).not.toEqual([]);
  });
});

describe('real answers of every route match the document', () => {
  it('the enqueue routes: 202, 400, 401, 413, 415, 422', async () => {
    const sent = await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE, 'idempotency-key': 'contract-1' }, body: { ...NOTE, phones: ['13860000001', '13860000002', '123'] } });
    expect(sent.status).toBe(202);
    expect((await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE, 'idempotency-key': 'contract-1' }, body: { ...NOTE, phones: ['13860000009'] } })).status).toBe(422);
    expect((await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...NOTE, phones: [], phone: 'x' } })).status).toBe(400);
    expect((await call('POST', '/v1/messages', { headers: JSON_TYPE, body: { ...NOTE, phones: ['13860000001'] } })).status).toBe(401);
    expect((await call('POST', '/v1/messages', { headers: { ...AUTH, 'content-type': 'text/csv' }, raw: 'phone\n13860000001\n' })).status).toBe(415);
    expect((await call('POST', '/v1/messages', { headers: { ...AUTH, 'content-type': 'application/json; charset=gbk' }, body: { ...NOTE, phones: ['13860000001'] } })).status).toBe(415);
    // A compressed body is not read as if it were plain (it was "not valid JSON"; a plain one labelled gzip was enqueued).
    for (const raw of [gzipSync(JSON.stringify({ ...NOTE, phones: ['13860000001'] })), JSON.stringify({ ...NOTE, phones: ['13860000001'] })]) {
      expect((await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE, 'content-encoding': 'gzip' }, raw })).status).toBe(415);
    }
    expect((await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE }, raw: JSON.stringify({ ...NOTE, phones: Array.from({ length: 8000 }, (_, i) => String(13860000000 + i)) }) })).status).toBe(413);

    const batch = { templateCode: N.notificationTemplate, messages: [{ phone: '13860000101', signName: N.sign, templateParam: { name: 'Li', order: '1' } }] };
    expect((await call('POST', '/v1/batches', { headers: { ...AUTH, ...JSON_TYPE }, body: batch })).status).toBe(202);
    expect((await call('POST', '/v1/batches', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...batch, messages: [] } })).status).toBe(400);
    // Fields in a query string are not read: refused, not dropped.
    expect((await call('POST', '/v1/messages?kind=marketing', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...NOTE, phones: ['13860000001'] } })).status).toBe(400);
    expect((await call('POST', '/v1/batches?kind=marketing', { headers: { ...AUTH, ...JSON_TYPE }, body: batch })).status).toBe(400);

    const campaign = { signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13860000201', params: { name: 'Li' } }] };
    expect((await call('POST', '/v1/campaigns', { headers: { ...AUTH, ...JSON_TYPE }, body: campaign })).status).toBe(202);
    const query = `signName=${encodeURIComponent(N.sign)}&templateCode=${N.marketingTemplate}&name=contract`;
    expect((await call('POST', `/v1/campaigns?${query}`, { headers: { ...AUTH, 'content-type': 'text/csv' }, raw: 'phone,name\n13860000301,Li\n12345,Zhao\n' })).status).toBe(202);
    expect((await call('POST', `/v1/campaigns?${query}`, { headers: { ...AUTH, ...JSON_TYPE }, body: campaign })).status).toBe(400);
  });

  it('status, recipients and controls: 200 after delivery, 400, 401, 404', async () => {
    const readyBefore = await call('GET', '/readyz');
    expect(readyBefore.status).toBe(503);
    const sent = (await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...NOTE, phones: ['13861000001', '13861000002', '1386'] } })).body as { sendId: string };
    // Two sends paused before the worker starts, for the controls below: it never takes `queued`,
    // which the cancel then finds holding its recipient (one sent in full is refused, 409).
    const enqueueMarketing = async (phone: string) =>
      (await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...NOTE, kind: 'marketing', templateCode: N.marketingTemplate, templateParam: { name: 'n' }, phones: [phone] } })).body as { sendId: string };
    const queued = await enqueueMarketing('13861000101');
    const held = await enqueueMarketing('13861000102');
    for (const paused of [queued, held]) expect((await call('POST', `/v1/sends/${paused.sendId}/pause`, { headers: AUTH })).status).toBe(200);
    await h.startWorker();
    await waitFor(async () => (await h.producer.getStatus(sent.sendId)).counts.accepted === 2, 'acceptance');
    expect((await call('GET', '/readyz')).status).toBe(200);
    // Delivered by Alibaba's push, as it would be in production.
    const { outId, bizId } = h.emulator.accepted().find((a) => a.outId.startsWith(sent.sendId))!;
    // Times of this send: a report_time before it was sent is not taken as its receipt's (pushed-time.ts).
    const at = cstDateTime(Date.now());
    const reports = ['13861000001', '13861000002'].map((phone) => ({ phone_number: phone, send_time: at, report_time: at, success: true, err_code: 'DELIVERED', err_msg: '用户接收成功', sms_size: '1', biz_id: bizId, out_id: outId }));
    expect((await call('POST', '/v1/reports/sms-report', { headers: { 'x-smsq-report-token': REPORT_TOKEN, ...JSON_TYPE }, body: reports })).status).toBe(200);
    expect((await h.producer.getStatus(sent.sendId)).counts.delivered).toBe(2);

    expect((await call('GET', `/v1/sends/${sent.sendId}`, { headers: AUTH })).status).toBe(200);
    expect((await call('GET', `/v1/sends/${sent.sendId}?recipients=true`, { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/v1/sends/bad!id', { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/v1/sends/s0000000000', { headers: AUTH })).status).toBe(404);
    expect((await call('GET', `/v1/sends/${sent.sendId}`)).status).toBe(401);

    const first = await call('GET', `/v1/sends/${sent.sendId}/recipients?limit=2`, { headers: AUTH });
    expect(first.status).toBe(200);
    const page = first.body as { recipients: { state: string; receivedAt?: number }[]; next: string };
    expect(page.recipients.map((r) => r.state)).toEqual(['delivered', 'delivered']);
    expect(page.recipients[0]!.receivedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/));
    const last = await call('GET', `/v1/sends/${sent.sendId}/recipients?limit=2&cursor=${page.next}`, { headers: AUTH });
    expect(last.body).toMatchObject({ recipients: [{ phone: '1386', state: 'rejected' }], next: null });
    expect((await call('GET', `/v1/sends/${sent.sendId}/recipients?cursor=bogus`, { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/v1/sends/s0000000000/recipients', { headers: AUTH })).status).toBe(404);
    expect((await call('GET', `/v1/sends/${sent.sendId}/recipients`)).status).toBe(401);

    const target = { pause: queued.sendId, resume: held.sendId, cancel: queued.sendId };
    for (const action of ['pause', 'resume', 'cancel'] as const) {
      expect((await call('POST', `/v1/sends/${target[action]}/${action}`, { headers: AUTH })).status, action).toBe(200);
      expect((await call('POST', `/v1/sends/s0000000000/${action}`, { headers: AUTH })).status, action).toBe(404);
      expect((await call('POST', `/v1/sends/${target[action]}/${action}`)).status, action).toBe(401);
    }
    // A cancelled send cannot be resumed.
    const again = await call('POST', `/v1/sends/${queued.sendId}/resume`, { headers: AUTH });
    expect(again.status).toBe(409);
    expect((again.body as { error: { code: string; message: string } }).error).toMatchObject({ code: 'SMSQ_SEND_ENDED', message: expect.stringMatching(/was cancelled; it cannot be resumed, and nothing was changed\. Fix: /) });
    // Nor is a send every recipient of which went out cancelled: nothing is left to stop.
    const late = await call('POST', `/v1/sends/${sent.sendId}/cancel`, { headers: AUTH });
    expect(late.status).toBe(409);
    expect((late.body as { error: { code: string } }).error.code).toBe('SMSQ_SEND_ALREADY_SENT');
    expect((await call('POST', '/v1/sends/bad!id/pause', { headers: AUTH })).status).toBe(400);
    expect((await call('POST', `/v1/sends/${queued.sendId}/pause`, { headers: { ...AUTH, ...JSON_TYPE, 'content-encoding': 'gzip' }, raw: gzipSync('{}') })).status).toBe(415);
    expect((await call('POST', `/v1/sends/${queued.sendId}/pause?reason=hold`, { headers: AUTH })).status).toBe(400);
  });

  it('pushed reports and replies: 200, 400, 401, 415', async () => {
    const report = [{ phone_number: '13862000001', success: true, err_code: 'DELIVERED', biz_id: 'b', out_id: 'not-ours' }];
    const reply = [{ phone_number: '13862000001', content: 'hello', send_time: '2026-11-24 10:00:00' }];
    const token = { 'x-smsq-report-token': REPORT_TOKEN };
    for (const [kind, body] of [['sms-report', report], ['sms-up', reply]] as const) {
      expect((await call('POST', `/v1/reports/${REPORT_TOKEN}/${kind}`, { headers: JSON_TYPE, body })).status).toBe(200);
      expect((await call('POST', `/v1/reports/${kind}`, { headers: { ...token, 'content-type': 'text/plain' }, raw: JSON.stringify(body) })).status).toBe(200);
      expect((await call('POST', `/v1/reports/wrong-token-0000000000/${kind}`, { headers: JSON_TYPE, body })).status).toBe(401);
      expect((await call('POST', `/v1/reports/${kind}`, { headers: JSON_TYPE, body })).status).toBe(401);
      expect((await call('POST', `/v1/reports/${REPORT_TOKEN}/${kind}`, { headers: JSON_TYPE, body: { phone_number: 1 } })).status).toBe(400);
      expect((await call('POST', `/v1/reports/${kind}`, { headers: { ...token, ...JSON_TYPE }, raw: '[{' })).status).toBe(400);
      expect((await call('POST', `/v1/reports/${kind}`, { headers: { ...token, 'content-type': 'text/csv' }, raw: 'x' })).status).toBe(415);
      // A sender's charset label is not held against its push (receipts nobody could resend).
      expect((await call('POST', `/v1/reports/${kind}`, { headers: { ...token, 'content-type': 'text/plain; charset=ISO-8859-1' }, raw: JSON.stringify(body) })).status).toBe(200);
      // Nor its Content-Encoding label: the API's routes refuse one (415), the push routes read the body as sent.
      expect((await call('POST', `/v1/reports/${kind}`, { headers: { ...token, ...JSON_TYPE, 'content-encoding': 'gzip' }, raw: JSON.stringify(body) })).status).toBe(200);
    }
  });

  it('health, metrics, the document itself, the dashboard and an unknown path', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^# HELP smsq_/m);
    expect((await call('GET', '/openapi.json')).status).toBe(200);
    expect((await call('GET', '/admin/queues', { headers: BASIC })).status).toBe(200);
    expect((await call('GET', '/admin/queues')).status).toBe(401);
    expect((await call('GET', '/no/such/path')).status).toBe(404);
    // Paths the router itself refuses (fastify answered these in its own shape, one of them 414).
    expect((await call('GET', `/v1/sends/${'a'.repeat(5000)}`, { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/v1/sends/%zz', { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/no/such/%zz')).status).toBe(400);
  });

  it('a path under a method it does not take: 405 with Allow and the fix, behind the API token', async () => {
    const messages = await call('GET', '/v1/messages', { headers: AUTH });
    expect(messages.status).toBe(405);
    expect(messages.body).toMatchObject({ error: { code: 'SMSQ_METHOD_NOT_ALLOWED', message: '/v1/messages does not take GET. Fix: use POST' } });
    expect((await call('DELETE', '/v1/sends/s0000000000', { headers: AUTH })).status).toBe(405);
    expect((await call('PUT', '/v1/sends/s0000000000/pause', { headers: AUTH })).status).toBe(405);
    // Strangers learn nothing of the API's routes, nor of the dashboard's (its login runs after this answer).
    expect((await call('GET', '/v1/messages')).status).toBe(401);
    expect((await call('DELETE', '/admin/queues')).status).toBe(404);
    expect((await call('DELETE', '/admin/queues/api/queues')).status).toBe(404);
    expect((await call('DELETE', '/admin/campaigns/s0000000000')).status).toBe(404);
    expect((await call('POST', '/healthz')).status).toBe(405);
  });

  it('the list of sends and the campaigns page: 200, 400, 401, 404, 405', async () => {
    const sent = (await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...NOTE, phones: ['13863000001'] } })).body as { sendId: string };
    const list = await call('GET', '/v1/sends?limit=1', { headers: AUTH });
    expect(list.status).toBe(200);
    expect((list.body as { sends: { send: { sendId: string } }[] }).sends[0]?.send.sendId).toBe(sent.sendId);
    expect((await call('GET', '/v1/sends?state=sleeping', { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/v1/sends?limit=5&limit=6', { headers: AUTH })).status).toBe(400);
    expect((await call('GET', '/v1/sends')).status).toBe(401);

    expect((await call('GET', '/admin/campaigns?kind=notification', { headers: BASIC })).status).toBe(200);
    expect((await call('GET', '/admin/campaigns?kind=promo', { headers: BASIC })).status).toBe(400);
    expect((await call('GET', '/admin/campaigns')).status).toBe(401);
    expect((await call('GET', `/admin/campaigns/${sent.sendId}`, { headers: BASIC })).status).toBe(200);
    expect((await call('GET', '/admin/campaigns/s0000000000', { headers: BASIC })).status).toBe(404);
    // This server's dashboard is read-only: the page's controls are refused.
    const control = { ...BASIC, 'x-smsq-control': '1' };
    expect((await call('POST', `/admin/campaigns/${sent.sendId}/pause`, { headers: control })).status).toBe(405);
    const writable = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: LOGIN, readOnly: false }, checkResponses: true });
    try {
      const other = await writable.listen({ host: '127.0.0.1', port: 0 });
      await waitFor(async () => (['sent', 'completed'].includes((await h.producer.getStatus(sent.sendId)).send.state) ? true : undefined), 'the send sent');
      // Sent in full: nothing to pause, refused (it answered 200 and changed nothing); a resume of it changes nothing either, and is answered.
      expect((await call('POST', `/admin/campaigns/${sent.sendId}/pause`, { headers: control, base: other })).status).toBe(409);
      expect((await call('POST', `/admin/campaigns/${sent.sendId}/resume`, { headers: control, base: other })).status).toBe(200);
      expect((await call('POST', `/admin/campaigns/${sent.sendId}/pause`, { headers: BASIC, base: other })).status).toBe(400);
      expect((await call('POST', '/admin/campaigns/s0000000000/cancel', { headers: control, base: other })).status).toBe(404);
    } finally {
      await writable.close();
    }
  });

  it('answers 503 in the error shape when Redis does not answer, on reads and writes alike', async () => {
    const dead = createProducerConnection();
    // A client connection refuses commands until it is ready.
    await new Promise((resolve) => dead.once('ready', resolve));
    dead.disconnect();
    const producer = createProducer({ redis: dead, prefix: h.prefix, logger: h.logger, connectTimeoutMs: 200 });
    const down = await buildServer({ redis: dead, prefix: h.prefix, producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: LOGIN }, checkResponses: true });
    const downBase = await down.listen({ host: '127.0.0.1', port: 0 });
    const saved = base;
    base = downBase;
    try {
      expect((await call('POST', '/v1/messages', { headers: { ...AUTH, ...JSON_TYPE }, body: { ...NOTE, phones: ['13863000001'] } })).status).toBe(503);
      expect((await call('GET', '/v1/sends/s0000000000', { headers: AUTH })).status).toBe(503);
      expect((await call('GET', '/v1/sends/s0000000000/recipients', { headers: AUTH })).status).toBe(503);
      expect((await call('POST', '/v1/sends/s0000000000/pause', { headers: AUTH })).status).toBe(503);
      // /metrics is the exception: 200, saying Redis is down (docs/operations-alerts.md).
      const metrics = await call('GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^smsq_redis_up 0$/m);
    } finally {
      base = saved;
      await down.close();
      await producer.close().catch(() => {});
    }
  });

  it('covered every documented operation with a success and an error', () => {
    const missing: string[] = [];
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const key = `${method.toUpperCase()} ${template}`;
        const statuses = [...(answered.get(key) ?? [])];
        if (!statuses.some((s) => s < 300)) missing.push(`${key}: no success`);
        // The document, health and metrics routes have no client error to give: their errors are 5xx
        // (and /metrics answers 200 with smsq_redis_up 0 while Redis is down).
        if (!statuses.some((s) => s >= 400) && !['GET /healthz', 'GET /openapi.json', 'GET /metrics'].includes(key)) missing.push(`${key}: no error`);
      }
    }
    expect(missing).toEqual([]);
  });
});
