/**
 * The campaigns page (`/admin/campaigns`) through `inject()`, against real Redis, a real worker and
 * the emulator: the dashboard's login, the list with filters, failure codes tallied from the
 * events stream with their meaning, a send's page with its samples and masked recipients, the
 * controls (refused read-only, refused without the page's header, working otherwise), and bad
 * parameters refused in the API's error shape.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { escapeHtml } from '../../server/campaigns-page/html.js';
import { codeMeaning } from '../../server/campaigns-page/send-view.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const LOGIN = { user: 'ops', password: 'page-test-password' };
const basic = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
const MKT = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const };

async function serve(h: Harness, readOnly: boolean): Promise<SmsqServer> {
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'api', dashboard: { basicAuth: LOGIN, readOnly }, checkResponses: true });
  harnesses.defer(() => app.close());
  return app;
}

describe('the campaigns page', () => {
  it('lists sends behind the dashboard login, with failure codes and their meaning, and a send page with masked recipients', async () => {
    const h = await harnesses.create({ label: 'campaigns-page' });
    const app = await serve(h, true);
    // No params for a template with ${name} and ${order}: Dysmsapi refuses the chunk (isv.TEMPLATE_MISSING_PARAMETERS).
    const failing = await h.producer.send({ phones: ['13800138000', '13800138001'], signName: N.sign, templateCode: N.notificationTemplate, name: '<b>spring</b>' });
    const quiet = await h.producer.send({ ...MKT, phones: ['13900139000'] });
    await h.startWorker();
    await waitFor(async () => (await h.producer.getStatus(failing.sendId)).counts.failed === 2, 'the chunk failed');

    expect((await app.inject({ url: '/admin/campaigns' })).statusCode).toBe(401);
    const list = await app.inject({ url: '/admin/campaigns', headers: basic });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toMatch(/^text\/html/);
    const body = list.body;
    expect(body).toContain(failing.sendId);
    expect(body).toContain(quiet.sendId);
    // Newest first; a send's name is escaped, never markup.
    expect(body.indexOf(quiet.sendId)).toBeLessThan(body.indexOf(failing.sendId));
    expect(body).toContain('&lt;b&gt;spring&lt;/b&gt;');
    expect(body).not.toContain('<b>spring</b>');
    // The failure code, tallied from the events stream, with its meaning; the link to Bull Board.
    expect(await h.redis.hgetall(createKeys(h.prefix).sendFailureCodes(failing.sendId))).toEqual({ 'isv.TEMPLATE_MISSING_PARAMETERS': '2' });
    expect(body).toContain('<code>isv.TEMPLATE_MISSING_PARAMETERS</code> × 2');
    expect(body).toContain(escapeHtml(codeMeaning('isv.TEMPLATE_MISSING_PARAMETERS')));
    expect(body).toContain('href="/admin/queues"');
    // Read-only: no buttons.
    expect(body).not.toContain('data-action="pause"');

    const marketing = await app.inject({ url: '/admin/campaigns?kind=marketing&state=', headers: basic });
    expect(marketing.body).toContain(quiet.sendId);
    expect(marketing.body).not.toContain(failing.sendId);

    const page = await app.inject({ url: `/admin/campaigns/${failing.sendId}`, headers: basic });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('138****8000');
    expect(page.body).not.toContain('13800138000');
    expect(page.body).toMatch(/data-samples="[1-9]/);
    expect(await h.redis.llen(createKeys(h.prefix).sendSeries(failing.sendId))).toBeGreaterThan(0);

    const bad = await app.inject({ url: '/admin/campaigns?kind=promo&limit=0', headers: basic });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field).sort()).toEqual(['query.kind', 'query.limit']);
    expect((await app.inject({ url: '/admin/campaigns/nope', headers: basic })).statusCode).toBe(404);

    const refused = await app.inject({ method: 'POST', url: `/admin/campaigns/${quiet.sendId}/pause`, headers: { ...basic, 'x-smsq-control': '1' } });
    expect(refused.statusCode).toBe(405);
    expect((await h.producer.getStatus(quiet.sendId)).send.control).toBe('active');
  });

  it('pauses, resumes and cancels from the page when controls are allowed, only with the page\'s header', async () => {
    const h = await harnesses.create({ label: 'campaigns-controls' });
    const app = await serve(h, false);
    const s = await h.producer.send({ ...MKT, phones: ['13900139000'] });
    const list = await app.inject({ url: '/admin/campaigns', headers: basic });
    expect(list.body).toContain(`data-action="pause" data-send="${s.sendId}"`);

    const forged = await app.inject({ method: 'POST', url: `/admin/campaigns/${s.sendId}/pause`, headers: basic });
    expect(forged.statusCode).toBe(400);
    expect((forged.json() as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('X-Smsq-Control');
    expect((await h.producer.getStatus(s.sendId)).send.control).toBe('active');

    const control = { ...basic, 'x-smsq-control': '1' };
    const paused = await app.inject({ method: 'POST', url: `/admin/campaigns/${s.sendId}/pause`, headers: control });
    expect(paused.statusCode).toBe(200);
    expect((paused.json() as { send: { control: string } }).send.control).toBe('paused');
    expect((await app.inject({ url: '/admin/campaigns?state=paused', headers: basic })).body).toContain(`data-action="resume" data-send="${s.sendId}"`);
    expect((await app.inject({ method: 'POST', url: `/admin/campaigns/${s.sendId}/resume`, headers: control })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/admin/campaigns/${s.sendId}/cancel`, headers: control })).statusCode).toBe(200);
    expect((await h.producer.getStatus(s.sendId)).send.control).toBe('cancelled');
    const unknownAction = await app.inject({ method: 'POST', url: `/admin/campaigns/${s.sendId}/explode`, headers: control });
    expect(unknownAction.statusCode).toBe(400);
  });

  it('a control with a body or a query string is refused as over /v1 (they were ignored and the send paused), nothing changed', async () => {
    const h = await harnesses.create({ label: 'campaigns-control-extras' });
    const app = await serve(h, false);
    const s = await h.producer.send({ ...MKT, phones: ['13900139000'] });
    const control = { ...basic, 'x-smsq-control': '1' };
    const url = `/admin/campaigns/${s.sendId}/pause`;
    const refusals = [
      { what: 'a JSON body with a field', inject: { headers: { ...control, 'content-type': 'application/json' }, payload: '{"x":1}' }, field: '(body)', message: 'is not taken: pause acts on the send in the path alone. Fix: send no body (or {})' },
      { what: 'a query string', inject: { url: `${url}?x=1`, headers: control }, field: 'query.x', message: 'is not taken: pause acts on the send in the path alone. Fix: drop the query string' },
    ];
    for (const r of refusals) {
      const res = await app.inject({ method: 'POST', url, ...r.inject });
      expect(res.statusCode, `${r.what}: ${res.body}`).toBe(400);
      expect((res.json() as { error: { issues: unknown[] } }).error.issues, r.what).toEqual([{ field: r.field, message: r.message }]);
    }
    const text = await app.inject({ method: 'POST', url, headers: { ...control, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode, text.body).toBe(415);
    expect((await h.producer.getStatus(s.sendId)).send.control).toBe('active');
    // No body, or {}, is the page's own request.
    const empty = await app.inject({ method: 'POST', url, headers: { ...control, 'content-type': 'application/json' }, payload: '{}' });
    expect(empty.statusCode, empty.body).toBe(200);
  });

  it('offers no pause of a send sent in full, and refuses one (it answered 200, changed nothing and said nothing); a cancelled send is not read as past the API', async () => {
    const h = await harnesses.create({ label: 'campaigns-sent-pause' });
    const app = await serve(h, false);
    const cancelled = await h.producer.send({ ...MKT, phones: ['13900139001', '13900139002'] });
    await h.producer.cancel(cancelled.sendId);
    const sent = await h.producer.send({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } });
    await h.startWorker();
    await waitFor(async () => (['sent', 'completed'].includes((await h.producer.getStatus(sent.sendId)).send.state) ? true : undefined), 'the send sent');
    const list = await app.inject({ url: '/admin/campaigns', headers: basic });
    expect(list.body).not.toContain(`data-action="pause" data-send="${sent.sendId}"`);
    expect(list.body).toContain('0 of 2 past the API, 2 cancelled before their call');
    const control = { ...basic, 'x-smsq-control': '1' };
    const refused = await app.inject({ method: 'POST', url: `/admin/campaigns/${sent.sendId}/pause`, headers: control });
    expect(refused.statusCode).toBe(409);
    const error = (refused.json() as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('SMSQ_SEND_ALREADY_SENT');
    expect(error.message).toMatch(/every recipient was already sent .*a pause stops nothing now, and nothing was changed/);
    expect((await h.producer.getStatus(sent.sendId)).send.control).toBe('active');
  });

  it('an unknown action is named with the actions there are, read-only or not (it was answered "the dashboard is read-only")', async () => {
    const h = await harnesses.create({ label: 'campaigns-unknown-action' });
    const s = await h.producer.send({ ...MKT, phones: ['13900139000'] });
    for (const readOnly of [true, false]) {
      const app = await serve(h, readOnly);
      const res = await app.inject({ method: 'POST', url: `/admin/campaigns/${s.sendId}/explode`, headers: { ...basic, 'x-smsq-control': '1' } });
      expect(res.statusCode, res.body).toBe(400);
      const issue = (res.json() as { error: { issues: { field: string; message: string }[] } }).error.issues[0];
      expect(issue?.field).toBe('(path)');
      expect(issue?.message).toMatch(/^"explode" is no action of the campaigns page: the actions are pause, resume and cancel\. Fix: POST \/admin\/campaigns\/\{id\}\/pause, \/resume or \/cancel/);
    }
    expect((await h.producer.getStatus(s.sendId)).send.control).toBe('active');
  });

  it('an unknown send is a page to a browser (404, the id, a link back to the list), JSON to a client that asks for it', async () => {
    const h = await harnesses.create({ label: 'campaigns-unknown-send' });
    const app = await serve(h, true);
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
    const page = await app.inject({ url: '/admin/campaigns/smNoSuchSend', headers: { ...basic, accept: browser } });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<header><h1>smsq campaigns</h1>');
    expect(page.body).toContain('No send smNoSuchSend');
    expect(page.body).toContain('<a href="/admin/campaigns">');
    for (const accept of ['application/json', undefined, '*/*', 'application/json, text/html;q=0.5']) {
      const json = await app.inject({ url: '/admin/campaigns/nope', headers: { ...basic, ...(accept ? { accept } : {}) } });
      expect(json.statusCode).toBe(404);
      expect((json.json() as { error: { code: string } }).error.code).toBe('SMSQ_NOT_FOUND');
    }
  });

  it('a page it refuses is a page to a browser, with the status and the words of the JSON error; JSON to a client that asks for it', async () => {
    const h = await harnesses.create({ label: 'campaigns-error-pages' });
    const app = await serve(h, true);
    const browser = { ...basic, accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const url of ['/admin/campaigns?state=bogus', '/admin/campaigns/%3Cscript%3E']) {
      const json = await app.inject({ url, headers: basic });
      expect(json.statusCode, url).toBe(400);
      const { error } = json.json<{ error: { code: string; message: string; issues: { field: string; message: string }[] } }>();
      const page = await app.inject({ url, headers: browser });
      expect(page.statusCode, url).toBe(400);
      expect(page.headers['content-type'], url).toMatch(/^text\/html/);
      expect(page.body).toContain('<header><h1>smsq campaigns</h1>');
      expect(page.body).toContain(escapeHtml(error.code));
      expect(page.body).toContain(escapeHtml(error.message));
      for (const issue of error.issues) expect(page.body).toContain(`<code>${escapeHtml(issue.field)}</code> ${escapeHtml(issue.message)}`);
      expect(page.body).toContain('<a href="/admin/campaigns">');
      expect(page.body).not.toContain('<script>alert');
      // No refresh on a page whose error does not pass by itself (only a 503's does): read again
      // every 2 s, a 401 drew a login prompt each time and a 400 was asked for ever.
      expect(page.body).not.toContain('<script>');
      expect(page.body).not.toContain('refreshes every 2 s');
    }
    // The buttons' fetch asks for no page: it reads the JSON error.
    const control = await app.inject({ method: 'POST', url: '/admin/campaigns/smNoSuchSend/pause', headers: { ...basic, 'x-smsq-control': '1' } });
    expect(control.headers['content-type']).toMatch(/^application\/json/);
  });

  it('says why a send waits, on the list and on its own page, as GET /v1/sends/{id} does', async () => {
    // 22:30 China time: inside the default quiet hours, so marketing waits for 08:00; and for a
    // worker first, which none runs here.
    const at = Date.parse('2026-11-24T22:30:00+08:00') - Date.now();
    const clock = { now: () => Date.now() + at };
    const h = await harnesses.create({ label: 'campaigns-wait', emulator: { clock }, clock });
    const app = await serve(h, true);
    const s = await h.producer.send({ ...MKT, phones: ['13900139000'] });
    const api = await app.inject({ url: `/v1/sends/${s.sendId}`, headers: { authorization: 'Bearer api' } });
    expect((api.json() as { wait?: { reason: string } }).wait).toEqual({ reason: 'no-worker', quietUntil: '2026-11-25T08:00:00.000+08:00' });

    const page = await app.inject({ url: `/admin/campaigns/${s.sendId}`, headers: basic });
    expect(page.body).toMatch(/<small class="wait">waiting: no worker serves its SMSQ_PREFIX: .*; then marketing quiet hours hold it until 08:00 China time \(2026-11-25 08:00:00 \+08:00\)<\/small>/);
    const list = await app.inject({ url: '/admin/campaigns', headers: basic });
    expect(list.body).toMatch(/<small class="wait">waiting: no worker serves its SMSQ_PREFIX: .*; then marketing quiet hours hold it until 08:00 China time \(2026-11-25 08:00:00 \+08:00\)<\/small>/);
  });
});
