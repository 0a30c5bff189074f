/**
 * The server's pushed-report endpoints (SmsReport, SmsUp) and campaign controls, through
 * fastify's inject() against real Redis, a real worker and the emulator.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import type { SmsqServer } from '../../server/build-server.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { SERVER_TOKENS, startReportServer } from '../support/report-server.js';

const TOKEN = SERVER_TOKENS.api;
const REPORT_TOKEN = SERVER_TOKENS.report;
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NONE = { mode: 'none', sampleRate: 0 } as const;

const harnesses = harnessPerTest();

async function setup(label: string): Promise<{ harness: Harness; app: SmsqServer }> {
  const { h, app } = await startReportServer(harnesses, label);
  return { harness: h, app };
}

describe('pushed reports over HTTP', () => {
  it('a push of another Content-Type is told 415 with what a push takes, not the campaign upload types', async () => {
    const { app } = await setup('srv-report-415');
    const res = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN, 'content-type': 'application/xml' }, payload: '<r/>' });
    expect(res.statusCode).toBe(415);
    const { message } = res.json().error as { message: string };
    expect(message).toMatch(/^Content-Type "application\/xml" is not accepted; nothing was applied\. Fix: send the reports as a JSON array, as application\/json or text\/plain \(what Alibaba's push sends\); check that what posts here is Alibaba's push/);
    expect(message).not.toMatch(/csv|xlsx|campaigns/i);
  });

  it('a push over the body limit is told the push\'s limit and why pushes are small, not to send a CSV campaign', async () => {
    const { harness, app } = await setup('srv-report-413');
    const before = await harness.redis.keys(`${harness.prefix}*`);
    const res = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN, 'content-type': 'application/json' }, payload: `[${'"x",'.repeat(300_000)}"x"]` });
    expect(res.statusCode).toBe(413);
    const { message } = res.json().error;
    expect(message).toMatch(/^the pushed body is over the 1 MiB a push may be \(SMSQ_SERVER_BODY_LIMIT\); nothing was applied\. Fix: /);
    expect(message).toMatch(/Alibaba pushes reports in small batches/);
    expect(message).not.toMatch(/CSV/);
    expect(await harness.redis.keys(`${harness.prefix}*`)).toEqual(before);
  });

  it('a push of more than 10,000 items is told the limit and that nothing was applied (it was told it is no JSON array of reports, which it is)', async () => {
    const { harness, app } = await setup('srv-report-items');
    const before = (await harness.redis.keys(`${harness.prefix}*`)).sort();
    for (const [route, what] of [['sms-report', 'SmsReport'], ['sms-up', 'SmsUp']] as const) {
      const res = await app.inject({ method: 'POST', url: `/v1/reports/${route}`, headers: { 'x-smsq-report-token': REPORT_TOKEN, 'content-type': 'application/json' }, payload: `[${'{},'.repeat(10_000)}{}]` });
      expect(res.statusCode, res.body).toBe(400);
      const { error } = res.json() as { error: { code: string; message: string; issues: { field: string; message: string }[] } };
      expect(error.message).toBe('the request is invalid; nothing was applied');
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]!.field).toBe('(body)');
      expect(error.issues[0]!.message, route).toMatch(new RegExp(`^holds 10,001 items, over the 10,000 ${what} items a push may hold; none of them was applied\\. Fix: `));
    }
    expect((await harness.redis.keys(`${harness.prefix}*`)).sort()).toEqual(before);
    // At the limit, a push is read (its items set aside, being no reports).
    const atLimit = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN, 'content-type': 'application/json' }, payload: `[${'{},'.repeat(9_999)}{}]` });
    expect(atLimit.statusCode, atLimit.body).toBe(200);
  });

  it('applies an SmsReport array with the token in the path, answers as Alibaba expects, and is idempotent', async () => {
    const { harness, app } = await setup('srv-report');
    const res = await harness.producer.send({ ...NOTE, phones: ['13842000001', '13842000002'] });
    await harness.startWorker({ receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } });
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === 2, 'accepted');
    const { outId, bizId } = harness.emulator.accepted()[0]!;
    const body = [
      { phone_number: '13842000001', send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:03', success: true, err_code: 'DELIVERED', err_msg: '用户接收成功', sms_size: '1', biz_id: bizId, out_id: outId },
      { phone_number: '13842000002', send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:04', success: false, err_code: 'MK:0001', err_msg: 'x', sms_size: '1', biz_id: bizId, out_id: outId },
    ];
    const first = await app.inject({ method: 'POST', url: `/v1/reports/${REPORT_TOKEN}/sms-report`, payload: body });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ code: 0, msg: '接收成功' });
    // Alibaba re-pushes: the same reports again change nothing.
    const again = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: body });
    expect(again.statusCode).toBe(200);
    // Whatever charset the sender's label names (a Java client's text/plain says ISO-8859-1): a
    // push is never refused for its label (a review found it answered 415).
    const labelled = await app.inject({
      method: 'POST',
      url: '/v1/reports/sms-report',
      headers: { 'x-smsq-report-token': REPORT_TOKEN, 'content-type': 'text/plain; charset=ISO-8859-1' },
      payload: JSON.stringify(body),
    });
    expect(labelled.statusCode, labelled.body).toBe(200);
    const s = await harness.producer.getStatus(res.sendId);
    expect(s.counts).toMatchObject({ delivered: 1, failed: 1, accepted: 0 });
  });

  it('refuses a push without the token or with a malformed body, and changes nothing', async () => {
    const { harness, app } = await setup('srv-report-bad');
    const wrong = await app.inject({ method: 'POST', url: '/v1/reports/not-the-token-0000000/sms-report', payload: [] });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('SMSQ_UNAUTHORIZED');
    // The fix names the route called: a wrong token on the SmsUp route was told only the sms-report URLs.
    const wrongUp = await app.inject({ method: 'POST', url: '/v1/reports/not-the-token-0000000/sms-up', payload: [] });
    expect(wrongUp.json().error.message).toBe('the report token is missing or wrong. Fix: send SMSQ_REPORT_TOKEN in the x-smsq-report-token header to /v1/reports/sms-up (or, where only a URL can be set, in the path: /v1/reports/<token>/sms-up)');
    expect(wrong.json().error.message).toBe('the report token is missing or wrong. Fix: send SMSQ_REPORT_TOKEN in the x-smsq-report-token header to /v1/reports/sms-report (or, where only a URL can be set, in the path: /v1/reports/<token>/sms-report)');
    const none = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', payload: [] });
    expect(none.statusCode).toBe(401);
    // The API token is not a report token.
    expect((await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: AUTH, payload: [] })).statusCode).toBe(401);
    const malformed = await app.inject({ method: 'POST', url: `/v1/reports/${REPORT_TOKEN}/sms-report`, payload: { phone_number: '1' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('SMSQ_INVALID_REQUEST');
    // Said as a push's refusal, its field as the body is named elsewhere (it said "nothing was enqueued", field `body`).
    expect(malformed.json().error).toEqual({ code: 'SMSQ_INVALID_REQUEST', message: 'the request is invalid; nothing was applied', issues: [{ field: '(body)', message: expect.stringMatching(/^must be a JSON array of SmsReport objects/) }] });
    // An item that is no reply is set aside, not the push refused: Alibaba would push it again three
    // times, then drop it with every genuine item it carried (its field is named in the warn line).
    const badItem = await app.inject({ method: 'POST', url: `/v1/reports/${REPORT_TOKEN}/sms-up`, payload: [{ content: 'TD' }] });
    expect(badItem.statusCode, badItem.body).toBe(200);
    const notJson = await app.inject({ method: 'POST', url: `/v1/reports/${REPORT_TOKEN}/sms-report`, headers: { 'content-type': 'application/json' }, payload: '[{"phone_number":' });
    expect(notJson.statusCode).toBe(400);
    // An empty push is told to send an array: it was told "send a JSON object, or drop the Content-Type header" (a push without one is 415).
    const empty = await app.inject({ method: 'POST', url: `/v1/reports/${REPORT_TOKEN}/sms-report`, headers: { 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.issues).toEqual([{ field: '(body)', message: 'is empty. Fix: send the reports as a JSON array (Content-Type application/json or text/plain)' }]);
    expect(await harness.redis.scard(`${harness.prefix}:suppressed`)).toBe(0);
  });

  it('an unknown report route is 404 naming the routes, whatever token it carries (a valid token was told 401 "the report token is missing or wrong"); a known route still checks the token first', async () => {
    const { app } = await setup('srv-report-unknown');
    const ROUTES = 'Fix: push to POST /v1/reports/sms-report or /v1/reports/sms-up, the report token in the x-smsq-report-token header, or (where only a URL can be set) to /v1/reports/<token>/sms-report or /v1/reports/<token>/sms-up';
    const answers: string[] = [];
    for (const url of [`/v1/reports/${REPORT_TOKEN}/sms-foo`, '/v1/reports/not-the-token-0000000/sms-foo', '/v1/reports/sms-foo', `/v1/reports/${REPORT_TOKEN}/sms-report/x`]) {
      for (const headers of [{}, { 'x-smsq-report-token': REPORT_TOKEN }, { 'x-smsq-report-token': 'wrong' }]) {
        const res = await app.inject({ method: 'POST', url, headers, payload: [] });
        answers.push(res.body);
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(404);
        expect(res.json().error.message).toContain(ROUTES);
        expect(res.body).not.toContain(REPORT_TOKEN);
      }
    }
    // Nothing in a 404 depends on the token: the same answer for the right one, a wrong one and none.
    for (let i = 0; i < answers.length; i += 3) expect(new Set(answers.slice(i, i + 3)).size).toBe(1);
    // A route the path names under another method: the token first, as before (401, then 405).
    const get = await app.inject({ method: 'GET', url: '/v1/reports/not-the-token-0000000/sms-report' });
    expect(get.statusCode).toBe(401);
    const getWithToken = await app.inject({ method: 'GET', url: `/v1/reports/${REPORT_TOKEN}/sms-report` });
    expect(getWithToken.statusCode).toBe(405);
  });

  it('SmsUp opt-outs suppress later marketing sends', async () => {
    const { harness, app } = await setup('srv-smsup');
    // A reply comes from a number that was sent to.
    await harness.producer.send({ ...NOTE, phones: ['13843000001'] });
    const up = await app.inject({
      method: 'POST',
      url: `/v1/reports/${REPORT_TOKEN}/sms-up`,
      payload: [{ phone_number: '13843000001', content: '退订', send_time: '2026-11-24 10:00:00', dest_code: '1', sequence_id: 7 }],
    });
    expect(up.statusCode).toBe(200);
    const res = await harness.producer.send({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing', phones: ['13843000001', '13843000002'] });
    expect(res).toMatchObject({ recipients: 1, suppressed: 1 });
  });
});

describe('campaign controls over HTTP', () => {
  it('pauses, resumes and cancels a send, behind the API token', async () => {
    const { harness, app } = await setup('srv-controls');
    const res = await harness.producer.send({ ...NOTE, phones: ['13844000001'] });
    expect((await app.inject({ method: 'POST', url: `/v1/sends/${res.sendId}/pause` })).statusCode).toBe(401);
    const paused = await app.inject({ method: 'POST', url: `/v1/sends/${res.sendId}/pause`, headers: AUTH });
    expect(paused.statusCode).toBe(200);
    expect(paused.json().send.control).toBe('paused');
    expect((await app.inject({ method: 'POST', url: `/v1/sends/${res.sendId}/resume`, headers: AUTH })).json().send.control).toBe('active');
    const cancelled = await app.inject({ method: 'POST', url: `/v1/sends/${res.sendId}/cancel`, headers: AUTH });
    expect(cancelled.json()).toMatchObject({ send: { control: 'cancelled' }, counts: { cancelled: 1, queued: 0 } });
    const missing = await app.inject({ method: 'POST', url: '/v1/sends/snope/pause', headers: AUTH });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('SMSQ_NOT_FOUND');
  });
});

describe('the OpenAPI document', () => {
  it('describes the control and push routes', async () => {
    const { app } = await setup('srv-openapi');
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const path of ['/v1/sends/{id}/pause', '/v1/sends/{id}/resume', '/v1/sends/{id}/cancel', '/v1/reports/{token}/sms-report', '/v1/reports/{token}/sms-up']) {
      expect(doc.paths[path]).toBeDefined();
    }
  });
});

describe('GET /v1/sends/:id/recipients', () => {
  it('lists recipients a page at a time by cursor, including numbers rejected at the door', async () => {
    const { harness, app } = await setup('srv-rcpts');
    const res = await harness.producer.send({ ...NOTE, phones: ['13845000001', '13845000002', '13845000003', '123'] });
    const get = (query: string) => app.inject({ method: 'GET', url: `/v1/sends/${res.sendId}/recipients?${query}`, headers: AUTH });
    const page1 = (await get('limit=2')).json();
    expect(page1.sendId).toBe(res.sendId);
    expect(page1.recipients.map((r: { phone: string; state: string }) => `${r.phone}:${r.state}`)).toEqual(['13845000001:queued', '13845000002:queued']);
    expect(page1.next).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    const page2 = (await get(`limit=2&cursor=${page1.next}`)).json();
    expect(page2.recipients).toEqual([
      expect.objectContaining({ phone: '13845000003', state: 'queued' }),
      expect.objectContaining({ phone: '123', state: 'rejected', code: 'SMSQ_INVALID_NUMBER' }),
    ]);
    expect(page2.next).toBeNull();
    const defaults = (await get('')).json();
    expect(defaults.recipients).toHaveLength(4);
    expect(defaults.next).toBeNull();

    const refused = async (url: string, field: string, message: RegExp) => {
      const bad = await app.inject({ method: 'GET', url, headers: AUTH });
      expect(bad.statusCode, url).toBe(400);
      expect(bad.json().error.issues, url).toEqual([{ field, message: expect.stringMatching(message) }]);
    };
    await refused(`/v1/sends/${res.sendId}/recipients?cursor=nope`, 'query.cursor', /^is not a recipient cursor\. Fix: pass the `next` value of the previous page unchanged, or leave query\.cursor out/);
    const other = await harness.producer.send({ ...NOTE, phones: ['13845000009'] });
    await refused(`/v1/sends/${other.sendId}/recipients?cursor=${page1.next}`, 'query.cursor', /^belongs to another send/);
    await refused(`/v1/sends/${res.sendId}/recipients?limit=0`, 'query.limit', /^must be a whole number from 1 to 10000\. Fix: \?limit=1000, or leave it out for 1000$/);
    await refused(`/v1/sends/${res.sendId}/recipients?limit=ten`, 'query.limit', /^must be a whole number from 1 to 10000\. Fix: \?limit=1000, or leave it out for 1000$/);
    await refused(`/v1/sends/${res.sendId}/recipients?offset=2`, 'query.offset', /^is not a field of this request/);
    // The old way of listing them says where they went.
    await refused(`/v1/sends/${res.sendId}?recipients=true`, 'query.recipients', /^recipients are listed by GET \/v1\/sends\/\{id\}\/recipients/);
    expect((await app.inject({ method: 'GET', url: '/v1/sends/snope/recipients', headers: AUTH })).statusCode).toBe(404);
  });
});
