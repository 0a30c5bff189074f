/**
 * A hostile or careless client at smsq's boundaries, beyond what door.test.ts, server-reports and
 * report-checks cover: each refusal names the field and the fix and leaves no key in Redis; a
 * pushed report's text cannot rewrite how a send's recipients are stored; a report push without
 * the token is refused before its body is read; environment values that parse but mean
 * something else than meant are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { createSmsClient } from '../../src/sms/client.js';
import type { SmsClient } from '../../src/sms/types.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { SERVER_TOKENS, startReportServer } from '../support/report-server.js';
import { cstDateTime, parseCstDateTime } from '../../src/sms/dates.js';
import { runCli } from '../../cli/program.js';
import { collector } from '../support/text-collector.js';

const TOKEN = 'door-probe-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NOTE = { name: 'Ada', order: 'A1' };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe('REST refusals name the field and the fix, and write nothing', () => {
  const redis = createTestConnection();
  const producerRedis = createProducerConnection();
  const prefix = uniquePrefix('door-probe');
  const logger = createLogger({ level: 'silent' });
  let emulator: Emulator;
  let client: SmsClient;
  let producer: Producer;
  let app: SmsqServer;

  beforeAll(async () => {
    emulator = createEmulator({ delivery: { delayMs: 20 } });
    const { endpoint } = await emulator.listen();
    client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 2000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    producer = createProducer({ redis: producerRedis, prefix, logger, catalog: createCatalogLookup({ client, redis, prefix, qps: 500 }) });
    app = await buildServer({ checkResponses: true, redis, prefix, producer, logger, apiToken: TOKEN, dashboard: { token: 'door-probe-dashboard-0123456789' } });
  });
  afterAll(async () => {
    await app.close();
    await producer.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    producerRedis.disconnect();
    await emulator.close();
  });

  /** Every key under the prefix but the account's (pacer, catalog cache), as door.test.ts counts them. */
  async function keysOf(): Promise<Set<string>> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of batch) if (!/:(pacer|catalog:.*)$/.test(k)) found.add(k);
    } while (cursor !== '0');
    return found;
  }

  const note = { phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE };
  const csvQuery = (extra: Record<string, string>) => new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, ...extra }).toString();
  const CASES: { name: string; method?: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: object | string; field: string; message: RegExp }[] = [
    // zod said "Too big: expected string to have <=100 characters": no fix.
    { name: 'a signature of 101 characters', url: '/v1/messages', payload: { ...note, signName: '签'.repeat(101) }, field: 'signName', message: /at most 100 characters.*Fix: .*smsq signs/ },
    // zod said "Too big: expected string to have <=400 characters".
    { name: 'a send-list cursor of 401 characters', method: 'GET', url: `/v1/sends?cursor=${'a'.repeat(401)}`, field: 'query.cursor', message: /Fix: pass the `next`/ },
    { name: 'a recipients cursor of 401 characters', method: 'GET', url: `/v1/sends/smx0000000000000000000/recipients?cursor=${'a'.repeat(401)}`, field: 'query.cursor', message: /Fix: pass the `next`/ },
    // zod said "Too small: expected string to have >=1 characters" / "Too big: ... <=200 characters".
    // Query-string settings of an upload are named query.<name>, as on GET /v1/sends (they were named bare).
    { name: 'an empty ?sheet=', url: `/v1/campaigns?${csvQuery({ sheet: '' })}`, headers: { 'content-type': XLSX }, payload: 'x', field: 'query.sheet', message: /Fix: .*leave it out/ },
    { name: 'a ?sheet= of 201 characters', url: `/v1/campaigns?${csvQuery({ sheet: 's'.repeat(201) })}`, headers: { 'content-type': XLSX }, payload: 'x', field: 'query.sheet', message: /at most 200 characters.*Fix/ },
    { name: 'a ?sheet= with a CSV upload', url: `/v1/campaigns?${csvQuery({ sheet: 'Sheet1' })}`, headers: { 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n', field: 'query.sheet', message: /applies to .xlsx uploads only\. Fix: drop \?sheet=/ },
    { name: 'an ?encoding= with an .xlsx upload', url: `/v1/campaigns?${csvQuery({ encoding: 'gbk' })}`, headers: { 'content-type': XLSX }, payload: 'x', field: 'query.encoding', message: /applies to CSV uploads only\. Fix: drop \?encoding=/ },
    { name: 'an upload\'s ?sign= (meant signName)', url: `/v1/campaigns?${csvQuery({ sign: N.sign })}`, headers: { 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n', field: 'query.sign', message: /Fix: write it as signName/ },
    { name: 'an upload\'s template code that is no code', url: `/v1/campaigns?${csvQuery({ templateCode: 'T1' })}`, headers: { 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n', field: 'query.templateCode', message: /must look like SMS_123456789\. Fix/ },
    { name: 'an upload\'s kind that does not fit its template', url: `/v1/campaigns?${csvQuery({ kind: 'notification' })}`, headers: { 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n', field: 'query.kind', message: /^(?!.*--kind).*is a marketing \(type 2\) template.*Fix: `\?kind=marketing`, or a notification template/ },
    { name: 'an upload\'s deadline in the past', url: `/v1/campaigns?${csvQuery({ deadline: '2020-01-01T00:00:00+08:00' })}`, headers: { 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n', field: 'query.deadline', message: /Fix/ },
    // A kind in the wrong case was refused without a fix.
    { name: 'a kind in the wrong case', url: '/v1/messages', payload: { ...note, kind: 'Notification' }, field: 'kind', message: /^must be one of verification, notification, marketing.*Fix: `kind: "notification"`/ },
    { name: 'an upload\'s kind in the wrong case', url: `/v1/campaigns?${csvQuery({ kind: 'Marketing' })}`, headers: { 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n', field: 'query.kind', message: /Fix: `\?kind=marketing`/ },
    { name: 'a JSON campaign\'s kind that does not fit its template', url: '/v1/campaigns', payload: { signName: N.sign, templateCode: N.marketingTemplate, kind: 'notification', recipients: [{ phone: '13800138011', params: { name: 'Li' } }] }, field: 'kind', message: /^(?!.*--kind).*Fix: `kind: "marketing"`, or a notification template/ },
    // It said "must be an http(s) URL", which it is: too long was the fault.
    { name: 'a callbackUrl of 2100 characters', url: '/v1/messages', payload: { ...note, callbackUrl: `https://example.com/${'a'.repeat(2100)}` }, field: 'callbackUrl', message: /at most 2048 characters.*Fix/ },
    // It said "letters, digits, . _ - only" of an id made of letters alone: too long was the fault.
    { name: 'a send id of 70 letters', method: 'GET', url: `/v1/sends/${'s'.repeat(70)}`, field: '(path)', message: /1-64 .*Fix/ },
    // It said "NaN-NaN-NaN NaN:NaN:NaN +08:00 is after the send's records expire".
    { name: 'a deadline past the last time a Date holds', url: '/v1/messages', payload: { ...note, deadline: Number.MAX_SAFE_INTEGER }, field: 'deadline', message: /^(?!.*NaN).*Fix/ },
    // JSON.parse kept the last value of a key given twice, as it did in a JSON body (door.test.ts).
    {
      name: 'a templateParam in the query string that gives a key twice',
      url: `/v1/campaigns?${csvQuery({ templateParam: '{"name":"Li","name":"Wang"}' })}`,
      headers: { 'content-type': 'text/csv' },
      payload: 'phone\n13800138011\n',
      field: 'query.templateParam.name',
      message: /given twice.*Fix: give it once/,
    },
    // Half a character (a lone UTF-16 surrogate: a JSON "\udc00" escape, a broken UTF-16 file).
    // The account check's look-up threw in the SDK (encodeURIComponent) and was skipped as
    // "Dysmsapi did not answer"; enqueued, every SendSms threw the same before it was sent, was
    // taken for an unknown outcome, looked up, not found and sent again, attempt after attempt.
    { name: 'a signature holding half a character', url: '/v1/messages', payload: { ...note, signName: `${N.sign}\udc00` }, field: 'signName', message: /U\+DC00.*half of a character.*Fix/ },
    { name: 'a batch message\'s signature holding half a character', url: '/v1/batches', payload: { templateCode: N.notificationTemplate, messages: [{ phone: '13800138000', signName: `${N.sign}\ud800`, templateParam: NOTE }] }, field: 'messages[0].signName', message: /U\+D800.*half of a character.*Fix/ },
    // It went to Alibaba as "Li\ud800" (JSON.stringify escapes it): a message with a broken character.
    { name: 'a template param holding half a character', url: '/v1/messages', payload: { ...note, templateParam: { ...NOTE, name: 'Li\ud800' } }, field: 'templateParam.name', message: /U\+D800.*half of a character.*Fix/ },
    { name: 'a campaign recipient\'s param holding half a character', url: '/v1/campaigns', payload: { signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13800138011', params: { name: 'Li\udfff' } }] }, field: 'recipients[0].params.name', message: /U\+DFFF.*half of a character.*Fix/ },
  ];

  it.each(CASES)('$name', async (c) => {
    const before = await keysOf();
    const res = await app.inject({ method: c.method ?? 'POST', url: c.url, headers: { ...AUTH, ...c.headers }, payload: c.payload });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: c.field, message: expect.stringMatching(c.message) }]);
    // A read changes nothing, and says so (it said "nothing was enqueued").
    expect(res.json().error.message).toBe(`the request is invalid; ${c.method === 'GET' ? 'nothing was changed' : 'nothing was enqueued'}`);
    const after = await keysOf();
    expect([...after].filter((k) => !before.has(k))).toEqual([]);
  });
});

describe('pushed delivery reports', () => {
  const REPORT_TOKEN = SERVER_TOKENS.report;
  const NONE = { mode: 'none', sampleRate: 0 } as const;
  const NO_LOOKUPS = { receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } };
  const harnesses = harnessPerTest();

  const setup = (label: string) => startReportServer(harnesses, label);

  it('an err_code holding the separators of the stored records is stored as text: it neither adds a recipient to the send nor moves another one\'s time', async () => {
    const { h, app } = await setup('probe-errcode');
    const phones = ['13860000001', '13860000002'];
    const res = await h.producer.send({ signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, phones });
    await h.startWorker(NO_LOOKUPS);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 2, 'accepted');
    const a = h.emulator.accepted().find((x) => x.phoneNumbers.includes(phones[0]!));
    if (!a) throw new Error('not accepted');
    // A time of this send's: one before it was sent is not taken as its receipt's (pushed-time.ts).
    const at = cstDateTime(Date.now());
    const push = await app.inject({
      method: 'POST',
      url: '/v1/reports/sms-report',
      headers: { 'x-smsq-report-token': REPORT_TOKEN },
      payload: [
        // Seen before the fix: a receivedAt of 1295000 (1970) and the code "MK".
        { phone_number: phones[0], success: false, err_code: 'MK|zz|q', biz_id: a.bizId, out_id: a.outId, report_time: at },
        // Seen before the fix: once the send completed (and was compacted), a third recipient 13869999999, delivered.
        { phone_number: phones[1], success: false, err_code: 'MK:1\n13869999999|d||1|r\n#7|a||1|1||x', biz_id: a.bizId, out_id: a.outId, report_time: at },
      ],
    });
    expect(push.statusCode, push.body).toBe(200);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).send.state === 'completed', 'completed');
    const { recipients } = await h.producer.recipientPage(res.sendId, { limit: 100 });
    expect(recipients.map((r) => r.phone)).toEqual(phones);
    const receivedAt = parseCstDateTime(at);
    for (const r of recipients) {
      expect(r).toMatchObject({ state: 'failed', receivedAt });
      expect(r.code).not.toMatch(/[|\n]/);
    }
    expect(recipients[0]?.code).toMatch(/^MK.zz.q$/);
  });

  it('a report_time that cannot be the receipt\'s (year 0999, 9999, before the send) applies the state with the time smsq received the push, marked so: the send\'s recipients still read', async () => {
    const { h, app } = await setup('probe-report-time');
    const phones = ['13860000011', '13860000012', '13860000013', '13860000014'];
    const res = await h.producer.send({ signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, phones });
    await h.startWorker(NO_LOOKUPS);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 4, 'accepted');
    const a = h.emulator.accepted()[0];
    if (!a) throw new Error('not accepted');
    const report = (phone: string | undefined, reportTime: string) => ({ phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: a.bizId, out_id: a.outId, report_time: reportTime });
    const now = Date.now();
    const inTime = cstDateTime(now);
    const push = await app.inject({
      method: 'POST',
      url: '/v1/reports/sms-report',
      headers: { 'x-smsq-report-token': REPORT_TOKEN },
      payload: [report(phones[0], '0999-12-31 23:59:59'), report(phones[1], '9999-12-31 23:59:59'), report(phones[2], '2001-01-01 00:00:00'), report(phones[3], inTime)],
    });
    expect(push.statusCode, push.body).toBe(200);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).send.state === 'completed', 'completed');
    // Seen before: 500, "does not match its declared schema: Invalid ISO datetime at recipients[0].receivedAt"
    // (isoTime of year 999); without the check (production) the whole page went out with its times as numbers.
    const page = await app.inject({ method: 'GET', url: `/v1/sends/${res.sendId}/recipients`, headers: { authorization: 'Bearer test-api-token-0123456789' } });
    expect(page.statusCode, page.body).toBe(200);
    const recipients = (page.json() as { recipients: { phone: string; state: string; receivedAt?: string; receivedAtFromPush?: boolean }[] }).recipients;
    // Before: the first three delivered with no receivedAt at all.
    expect(recipients.map((r) => [r.phone, r.state, r.receivedAt !== undefined, r.receivedAtFromPush ?? false])).toEqual([
      [phones[0], 'delivered', true, true],
      [phones[1], 'delivered', true, true],
      [phones[2], 'delivered', true, true],
      [phones[3], 'delivered', true, false],
    ]);
    for (const r of recipients.slice(0, 3)) expect(Math.abs(Date.parse(r.receivedAt ?? '') - now)).toBeLessThan(60_000);
    expect(await h.redis.hgetall(`${h.prefix}:report-fields-refused`)).toEqual({ report_time: '3' });
    expect(Date.parse(recipients[3]?.receivedAt ?? '')).toBe(Math.floor(now / 1000) * 1000);
  });

  it('a report_time or send_time that is no time (trial: "garbage") applies the state with the time smsq received the push, marked as such, and the field is counted as refused', async () => {
    const { h, app } = await setup('probe-garbage-time');
    const phones = ['13860000021', '13860000022', '13860000023'];
    const res = await h.producer.send({ signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, phones });
    await h.startWorker(NO_LOOKUPS);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 3, 'accepted');
    const a = h.emulator.accepted()[0];
    if (!a) throw new Error('not accepted');
    const inTime = cstDateTime(Date.now());
    const report = (phone: string | undefined, times: { report_time: string; send_time: string }) => ({ phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: a.bizId, out_id: a.outId, ...times });
    const before = Math.floor(Date.now() / 1000) * 1000;
    const push = await app.inject({
      method: 'POST',
      url: '/v1/reports/sms-report',
      headers: { 'x-smsq-report-token': REPORT_TOKEN },
      payload: [
        report(phones[0], { report_time: 'garbage', send_time: inTime }),
        report(phones[1], { report_time: inTime, send_time: 'garbage' }),
        report(phones[2], { report_time: inTime, send_time: inTime }),
      ],
    });
    const after = Date.now();
    expect(push.statusCode, push.body).toBe(200);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).send.state === 'completed', 'completed');
    const page = await app.inject({ method: 'GET', url: `/v1/sends/${res.sendId}/recipients`, headers: { authorization: 'Bearer test-api-token-0123456789' } });
    expect(page.statusCode, page.body).toBe(200);
    const recipients = (page.json() as { recipients: { phone: string; state: string; receivedAt?: string; receivedAtFromPush?: boolean }[] }).recipients;
    // Seen before: the first delivered with no receivedAt and nothing saying why.
    expect(recipients.map((r) => [r.phone, r.state, r.receivedAt !== undefined, r.receivedAtFromPush ?? false])).toEqual([
      [phones[0], 'delivered', true, true],
      [phones[1], 'delivered', true, false],
      [phones[2], 'delivered', true, false],
    ]);
    const pushedAt = Date.parse(recipients[0]?.receivedAt ?? '');
    expect(pushedAt).toBeGreaterThanOrEqual(before);
    expect(pushedAt).toBeLessThanOrEqual(after);
    expect(await h.redis.hgetall(`${h.prefix}:report-fields-refused`)).toEqual({ report_time: '1', send_time: '1' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^smsq_report_fields_refused_total\{field="report_time"\} 1$/m);
    expect(metrics.body).toMatch(/^smsq_report_fields_refused_total\{field="send_time"\} 1$/m);

    // What `smsq status --recipients` shows for it: the time, marked as the push's.
    const stdout = collector();
    const stderr = collector();
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn' };
    expect(await runCli(['status', res.sendId, '--recipients'], { stdout, stderr, env }), stderr.text).toBe(0);
    const line = stdout.text.split('\n').find((l) => l.includes(phones[0]!));
    expect(line).toMatch(/\+08:00 \(push received; report_time unreadable\)/);
    expect(stdout.text.split('\n').find((l) => l.includes(phones[2]!))).not.toMatch(/push received/);
  });

  it('a push without the token is refused (401) before its body is read: not told what is wrong with a body it may not send', async () => {
    const { app } = await setup('probe-push-auth');
    for (const url of ['/v1/reports/sms-report', '/v1/reports/sms-up', '/v1/reports/wrong-token-0123456789/sms-report']) {
      for (const [contentType, payload] of [
        ['application/json', '{"phone_number":'],
        ['application/xml', '<x/>'],
        ['application/json', '[]'],
      ] as const) {
        const res = await app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });
        expect(res.statusCode, `${url} ${contentType}: ${res.body}`).toBe(401);
        expect(res.json().error.code).toBe('SMSQ_UNAUTHORIZED');
      }
    }
  });
});

describe('environment values that parse but mean something else', () => {
  const refusal = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error(`${JSON.stringify(env)} was accepted`);
  };

  it('a secret in quotes (an env file that keeps them) is refused: the quotes would be part of it, and every client\'s token would be wrong', () => {
    for (const name of ['SMSQ_API_TOKEN', 'SMSQ_DASHBOARD_TOKEN', 'SMSQ_REPORT_TOKEN']) {
      for (const quoted of ['"0123456789abcdef0123"', "'0123456789abcdef0123'"]) {
        expect(refusal({ [name]: quoted })).toMatch(new RegExp(`${name}.*quotes.*Fix`));
      }
    }
  });

  it('an AccessKey ID or secret holding a line break, a space or quotes is refused: the SDK\'s credential chain reads the variable as it is', () => {
    // Taken trimmed here, sent untrimmed by the SDK in live mode: a line break in the ID (a secret
    // file written with echo) failed every call in Node before it left, read as a network error, so
    // smsq send skipped its account check and enqueued, and the worker looked its sends up for
    // ever as of unknown outcome; in the secret, every call answered SignatureDoesNotMatch.
    const pair = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tExampleKeyId01', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'ExampleSecret0123456789abcdef' };
    for (const name of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'] as const) {
      for (const [value, said] of [
        [`${pair[name]}\n`, /line break/],
        [`${pair[name]}\r\n`, /line break/],
        [` ${pair[name]}`, /space/],
        [`${pair[name].slice(0, 6)} ${pair[name].slice(6)}`, /space/],
        [`"${pair[name]}"`, /quotes/],
        // One quote, at an end or inside (a paste cut short, a shell's quoting gone wrong): accepted, and every call failed.
        [`"${pair[name]}`, /a quote character/],
        [`${pair[name].slice(0, 6)}'${pair[name].slice(6)}`, /a quote character/],
        [`${pair[name]}\t`, /space or a control character/],
        [`“${pair[name]}”`, /outside printable ASCII/],
      ] as const) {
        const message = refusal({ ...pair, [name]: value });
        expect(message, JSON.stringify(value)).toMatch(new RegExp(`${name}.*${said.source}.*Fix: ${name}=`));
        // The secret is not shown, whatever is wrong with it.
        if (name === 'ALIBABA_CLOUD_ACCESS_KEY_SECRET') expect(message).not.toContain(pair[name]);
      }
    }
    expect(loadConfig(pair).accessKey).toEqual({ accessKeyId: pair.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: pair.ALIBABA_CLOUD_ACCESS_KEY_SECRET });
  });

  it('a kind given twice in SMSQ_RETENTION_DAYS or SMSQ_RECEIPT_LOOKUPS is refused (the last one won without a word)', () => {
    expect(refusal({ SMSQ_RETENTION_DAYS: 'verification=4,verification=5' })).toMatch(/SMSQ_RETENTION_DAYS.*verification.*twice.*Fix/);
    expect(refusal({ SMSQ_RECEIPT_LOOKUPS: 'marketing=sample:0.5,marketing=none' })).toMatch(/SMSQ_RECEIPT_LOOKUPS.*marketing.*twice.*Fix/);
  });
});
