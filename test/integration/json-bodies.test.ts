/**
 * JSON bodies the REST API cannot take: each refusal says where the body went wrong, or which key
 * it refuses, and the fix; no key is written. fastify's parser answered every one of them "Body is
 * not valid JSON but content-type is set to 'application/json'", a body holding a `__proto__` key
 * (valid JSON) included.
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
const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const NOTE = `"signName":"${N.sign}","templateCode":"${N.notificationTemplate}"`;

describe('a JSON body that cannot be taken', () => {
  const redis = createTestConnection();
  const producerRedis = createProducerConnection();
  const prefix = uniquePrefix('json-bodies');
  const logger = createLogger({ level: 'silent' });
  let producer: Producer;
  let app: SmsqServer;
  let closeIngest: () => Promise<void>;

  beforeAll(async () => {
    producer = createProducer({ redis: producerRedis, prefix, logger });
    const { ingest, close } = openReportIngest({ redis, prefix, clock: systemClock, logger, retention: uniformRetention(86_400), receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    closeIngest = close;
    app = await buildServer({ checkResponses: true, redis, prefix, producer, logger, apiToken: TOKEN, dashboard: { token: 'json-bodies-dashboard-0123456789' }, reports: { ingest, token: REPORT_TOKEN } });
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
    { name: 'a string left open', body: `{"phones":["13800138000`, field: '(body)', message: /^is not valid JSON: Unterminated string .*\. Fix: / },
    { name: 'a __proto__ key in the params (valid JSON)', body: `{"phones":["13800138000"],${NOTE},"templateParam":{"name":"Li","__proto__":{"order":"1"}}}`, field: 'templateParam.__proto__', message: /prototype.*Fix: remove it/ },
    { name: 'a __proto__ key at the top', body: `{"__proto__":{"kind":"marketing"},"phones":["13800138000"],${NOTE}}`, field: '__proto__', message: /prototype.*Fix: remove it/ },
    { name: 'constructor.prototype in a list', url: '/v1/campaigns', body: `{${NOTE},"recipients":[{"phone":"13800138000","params":{"constructor":{"prototype":{"x":"1"}}}}]}`, field: 'recipients[0].params.constructor', message: /prototype.*Fix: remove it/ },
    // A body that is JSON but not an object: named (body) as every other body-level refusal, not (request).
    { name: 'a list where an object goes', body: '[]', field: '(body)', message: /^must be an object, got a list\. Fix: / },
    // A recursive look for the key overflowed the stack on this one: a 500.
    { name: 'a __proto__ key 140,000 objects deep', body: `${'{"a":'.repeat(140_000)}{"__proto__":{}}${'}'.repeat(140_000)}`, field: `…${`${'a.'.repeat(140_000)}__proto__`.slice(-200)}`, message: /prototype.*Fix: remove it/ },
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
});
