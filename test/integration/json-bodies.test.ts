/**
 * JSON bodies the REST API cannot take: each refusal says where the body went wrong, or which key
 * it refuses, and the fix; no key is written. fastify's parser answered every one of them "Body is
 * not valid JSON but content-type is set to 'application/json'", a body holding a `__proto__` key
 * (valid JSON) included.
 *
 * A body nested far deeper than any request, on every route that reads JSON, is refused by its
 * depth: a 1 MiB body of 524,000 nested lists held the event loop for about 2 s (JSON.parse, then
 * the walk for keys given twice, each over every level) before its 400, and every other request
 * waited. How long the refusal takes is not asserted (the machine is shared).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { systemClock } from '../../src/clock.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createProducerConnection, createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const TOKEN = 'json-bodies-token-0123456789';
const REPORT_TOKEN = 'json-bodies-report-0123456789';
const DASHBOARD_TOKEN = 'json-bodies-dashboard-0123456789';
const JSON_TYPE = { 'content-type': 'application/json' };
const AUTH = { authorization: `Bearer ${TOKEN}`, ...JSON_TYPE };
const BOARD = { authorization: `Bearer ${DASHBOARD_TOKEN}`, ...JSON_TYPE };
const SEND_ID = 'smwv5m7pf01956b6f2f7c';
const NOTE = `"signName":"${N.sign}","templateCode":"${N.notificationTemplate}"`;

/** `n` lists, one inside the other: 2n bytes. */
const lists = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** `n` objects `{"a":...}` around `inner`. */
const objects = (n: number, inner = '1') => `${'{"a":'.repeat(n)}${inner}${'}'.repeat(n)}`;
/** The levels a 1 MiB body (the default limit) can hold. */
const MIB_DEEP = 524_000;
const TOO_DEEP = /^is nested more than 32 levels deep \(objects and lists within each other\): no smsq request nests more than 4\. Fix: /;

describe('a JSON body that cannot be taken', () => {
  const redis = createTestConnection();
  const producerRedis = createProducerConnection();
  const prefix = uniquePrefix('json-bodies');
  const logger = createLogger({ level: 'silent' });
  let producer: Producer;
  let app: SmsqServer;
  let closeIngest: () => Promise<void>;

  beforeAll(async () => {
    // A writable dashboard: the board's API and the campaigns page's buttons read their bodies.
    producer = createProducer({ redis: producerRedis, prefix, logger });
    const { ingest, close } = openReportIngest({ redis, prefix, clock: systemClock, logger, retention: uniformRetention(86_400), receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    closeIngest = close;
    app = await buildServer({ checkResponses: true, redis, prefix, producer, logger, apiToken: TOKEN, dashboard: { token: DASHBOARD_TOKEN, readOnly: false }, reports: { ingest, token: REPORT_TOKEN } });
  });
  afterAll(async () => {
    await app.close();
    await closeIngest();
    await producer.close();
    producerRedis.disconnect();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const keys = async () => (await redis.keys(`${prefix}*`)).sort();

  const CASES: { name: string; url?: string; headers?: Record<string, string>; body: string; field: string; message: RegExp }[] = [
    {
      name: 'a comma before ]: says what is unexpected, and not the numbers around it',
      body: `{"phones":["13800138000",],${NOTE}}`,
      field: '(body)',
      message: /^is not valid JSON: Unexpected token '\]'\. Fix: /,
    },
    { name: 'a key without quotes', body: `{phones:["13800138000"],${NOTE}}`, field: '(body)', message: /^is not valid JSON: .*at position 1.*\. Fix: / },
    // The scan for repeated keys and depth runs before the parse: an escape JSON does not know, in a key, was a 500.
    { name: 'a key with an escape JSON does not know', body: `{"a\\q":1,"phones":["13800138000"],${NOTE}}`, field: '(body)', message: /^is not valid JSON: Bad escaped character in JSON at position 4\. Fix: / },
    { name: 'a string left open', body: `{"phones":["13800138000`, field: '(body)', message: /^is not valid JSON: Unterminated string .*\. Fix: / },
    { name: 'a __proto__ key in the params (valid JSON)', body: `{"phones":["13800138000"],${NOTE},"templateParam":{"name":"Li","__proto__":{"order":"1"}}}`, field: 'templateParam.__proto__', message: /prototype.*Fix: remove it/ },
    { name: 'a __proto__ key at the top', body: `{"__proto__":{"kind":"marketing"},"phones":["13800138000"],${NOTE}}`, field: '__proto__', message: /prototype.*Fix: remove it/ },
    { name: 'constructor.prototype in a list', url: '/v1/campaigns', body: `{${NOTE},"recipients":[{"phone":"13800138000","params":{"constructor":{"prototype":{"x":"1"}}}}]}`, field: 'recipients[0].params.constructor', message: /prototype.*Fix: remove it/ },
    // A body that is JSON but not an object: named (body) as every other body-level refusal, not (request).
    { name: 'a list where an object goes', body: '[]', field: '(body)', message: /^must be an object, got a list\. Fix: / },
    // As deep as a body may go (32 levels: json-depth.test.ts refuses deeper ones before their keys are read).
    { name: 'a __proto__ key 30 objects deep', body: `${'{"a":'.repeat(30)}{"__proto__":{}}${'}'.repeat(30)}`, field: `${'a.'.repeat(30)}__proto__`, message: /prototype.*Fix: remove it/ },
    {
      name: 'a pushed report that is not JSON',
      url: '/v1/reports/sms-report',
      headers: { 'x-smsq-report-token': REPORT_TOKEN },
      body: '[{"phone_number":"13800138000",}]',
      field: '(body)',
      message: /^is not valid JSON: Expected double-quoted property name in JSON at position 31\. Fix: /,
    },
  ];

  it.each(CASES)('$name', async (c) => {
    const before = await keys();
    const res = await app.inject({ method: 'POST', url: c.url ?? '/v1/messages', headers: { ...AUTH, ...c.headers }, payload: c.body });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: c.field, message: expect.stringMatching(c.message) }]);
    expect(res.body).not.toMatch(/0013|38000/);
    expect(await keys()).toEqual(before);
  });

  const DEEP: { name: string; method?: 'POST' | 'PUT'; url: string; headers: Record<string, string>; body: string; field: string; untouched: string }[] = [
    { name: 'phones, 1 MiB of lists', url: '/v1/messages', headers: AUTH, body: `{"phones":${lists(MIB_DEEP)}}`, field: `phones${'[0]'.repeat(31)}`, untouched: 'nothing was enqueued' },
    {
      name: 'templateParam, objects',
      url: '/v1/messages',
      headers: AUTH,
      body: `{"phones":["13800138000"],"signName":"${N.sign}","templateCode":"${N.notificationTemplate}","templateParam":${objects(100_000)}}`,
      field: `templateParam${'.a'.repeat(31)}`,
      untouched: 'nothing was enqueued',
    },
    {
      name: 'a batch message\'s params',
      url: '/v1/batches',
      headers: AUTH,
      body: `{"templateCode":"${N.notificationTemplate}","messages":[{"phone":"13800138000","signName":"${N.sign}","templateParam":{"x":${lists(100_000)}}}]}`,
      field: `messages[0].templateParam.x${'[0]'.repeat(28)}`,
      untouched: 'nothing was enqueued',
    },
    { name: 'a campaign\'s recipients', url: '/v1/campaigns', headers: AUTH, body: `{"recipients":${lists(MIB_DEEP)}}`, field: `recipients${'[0]'.repeat(31)}`, untouched: 'nothing was enqueued' },
    { name: 'a pushed report', url: '/v1/reports/sms-report', headers: { ...JSON_TYPE, 'x-smsq-report-token': REPORT_TOKEN }, body: lists(MIB_DEEP), field: `(body)${'[0]'.repeat(32)}`, untouched: 'nothing was applied' },
    {
      name: 'a pushed reply as text/plain, the token in the path',
      url: `/v1/reports/${REPORT_TOKEN}/sms-up`,
      headers: { 'content-type': 'text/plain' },
      body: `[${objects(100_000)}]`,
      field: `(body)[0]${'.a'.repeat(31)}`,
      untouched: 'nothing was applied',
    },
    { name: 'a send control', url: `/v1/sends/${SEND_ID}/pause`, headers: AUTH, body: lists(MIB_DEEP), field: `(body)${'[0]'.repeat(32)}`, untouched: 'nothing was changed' },
    { name: 'the campaigns page\'s button', url: `/admin/campaigns/${SEND_ID}/pause`, headers: { ...BOARD, 'x-smsq-control': '1' }, body: objects(MIB_DEEP / 5), field: `a${'.a'.repeat(31)}`, untouched: 'nothing was changed' },
  ];

  it.each(DEEP)('$name: 400 naming where it got too deep, nothing written', async (c) => {
    const before = await keys();
    const res = await app.inject({ method: c.method ?? 'POST', url: c.url, headers: c.headers, payload: c.body });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'SMSQ_INVALID_REQUEST', message: `the request is invalid; ${c.untouched}`, issues: [{ field: c.field, message: expect.stringMatching(TOO_DEEP) }] } });
    expect(await keys()).toEqual(before);
  });

  it('a file upload\'s templateParam, JSON in the query string: named as the parameter', async () => {
    const before = await keys();
    const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: objects(40, '"x"') });
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n' });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: `query.templateParam.a${'.a'.repeat(31)}`, message: expect.stringMatching(TOO_DEEP) }]);
    expect(await keys()).toEqual(before);
  });

  it('Bull Board\'s add-job (a writable board): 400 in the board\'s shape, and no job is added', async () => {
    const before = await keys();
    const res = await app.inject({ method: 'POST', url: '/admin/queues/api/queues/housekeeping/add', headers: BOARD, payload: `{"name":"x","data":${lists(MIB_DEEP)}}` });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(400);
    const body = res.json();
    expect(body.error).toMatchObject({ code: 'SMSQ_INVALID_REQUEST', issues: [{ field: `data${'[0]'.repeat(31)}`, message: expect.stringMatching(TOO_DEEP) }] });
    expect(await keys()).toEqual(before);
  });

  it('a body as deep as the limit is read as before: refused for what it holds, not for its depth', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: `{"phones":${lists(31)},"signName":"${N.sign}","templateCode":"${N.notificationTemplate}"}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues[0]).toEqual({ field: 'phones[0]', message: expect.stringMatching(/^must be a string, got a list/) });
  });
});
