/**
 * A method a path does not take answers 405 with `Allow` on every path (docs/http-api.md,
 * "Errors"), where the probe found otherwise: a logged-in `GET /admin/campaigns/<id>/pause` and
 * `DELETE /admin/campaigns/<id>` answered 404 "no route" (the 404 hides the routes from a
 * stranger, not from the operator logged in); `GET /v1/reports/sms-report` with the right report
 * token answered 401 asking for SMSQ_API_TOKEN, where the person setting up the push URL needs to
 * hear POST; and the read-only Bull Board answered its writes 405 with no `Allow` and a fix, `smsq
 * resume`, that does not clean or retry anything. A real `smsq server` (runCli, a real port), a
 * real Redis, the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startSmsqServer, type RunningServer } from '../support/smsq-server.js';

const API_TOKEN = 'allow-api-token-0123456789abcdef';
const DASHBOARD_TOKEN = 'allow-dashboard-token-0123456789';
const REPORT_TOKEN = 'allow-report-token-0123456789abc';
const SEND_ID = 'smx8raaca132e80913d91';
const redis = createTestConnection();
const prefix = uniquePrefix('allow');
let emulator: Emulator;
let base: string;
let server: RunningServer | undefined;

beforeAll(async () => {
  emulator = createEmulator();
  const { endpoint } = await emulator.listen();
  const env = {
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_API_TOKEN: API_TOKEN,
    SMSQ_DASHBOARD_TOKEN: DASHBOARD_TOKEN,
    SMSQ_REPORT_TOKEN: REPORT_TOKEN,
  };
  server = await startSmsqServer(env);
  base = server.url;
}, 60_000);

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
  await emulator?.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

interface Answer {
  status: number;
  allow: string | null;
  code: string | undefined;
  message: string;
}

async function ask(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method, headers: { accept: 'application/json', ...headers } });
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  return { status: res.status, allow: res.headers.get('allow'), code: body.error?.code, message: body.error?.message ?? '' };
}

const DASHBOARD = { authorization: `Bearer ${DASHBOARD_TOKEN}` };
const REPORT = { 'x-smsq-report-token': REPORT_TOKEN };

describe('the campaigns page, logged in: a method a path does not take is 405 with Allow', () => {
  it('GET /admin/campaigns/<id>/pause: 405, Allow: POST (it was 404 "no route")', async () => {
    const a = await ask('GET', `/admin/campaigns/${SEND_ID}/pause`, DASHBOARD);
    expect(a).toMatchObject({ status: 405, allow: 'POST', code: 'SMSQ_METHOD_NOT_ALLOWED' });
    expect(a.message).toContain('Fix: use POST');
  });

  it('DELETE /admin/campaigns/<id>: 405 naming GET (it was 404)', async () => {
    const a = await ask('DELETE', `/admin/campaigns/${SEND_ID}`, DASHBOARD);
    expect(a).toMatchObject({ status: 405, allow: 'GET, HEAD', code: 'SMSQ_METHOD_NOT_ALLOWED' });
  });

  it('without the login, or with a wrong one, it stays 404: a stranger is not told which routes exist', async () => {
    expect(await ask('GET', `/admin/campaigns/${SEND_ID}/pause`)).toMatchObject({ status: 404, allow: null });
    expect(await ask('DELETE', `/admin/campaigns/${SEND_ID}`, { authorization: 'Bearer not-the-token' })).toMatchObject({ status: 404, allow: null });
  });
});

describe('the pushed-report routes take POST: another method with the report token is 405, Allow: POST', () => {
  it('GET /v1/reports/sms-report with a valid x-smsq-report-token: 405, not 401 asking for SMSQ_API_TOKEN', async () => {
    const a = await ask('GET', '/v1/reports/sms-report', REPORT);
    expect(a).toMatchObject({ status: 405, allow: 'POST', code: 'SMSQ_METHOD_NOT_ALLOWED' });
    expect(a.message).not.toContain('SMSQ_API_TOKEN');
  });

  it('GET /v1/reports/<token>/sms-up (the token in the path): 405, Allow: POST, the token not echoed', async () => {
    const a = await ask('GET', `/v1/reports/${REPORT_TOKEN}/sms-up`);
    expect(a).toMatchObject({ status: 405, allow: 'POST', code: 'SMSQ_METHOD_NOT_ALLOWED' });
    expect(a.message).not.toContain(REPORT_TOKEN);
  });

  it('without the report token: 401 naming SMSQ_REPORT_TOKEN, not the API token, which does not open these routes', async () => {
    const a = await ask('GET', '/v1/reports/sms-report');
    expect(a).toMatchObject({ status: 401, code: 'SMSQ_UNAUTHORIZED' });
    expect(a.message).toContain('SMSQ_REPORT_TOKEN');
    expect(a.message).not.toContain('SMSQ_API_TOKEN');
  });
});

describe('a write to the read-only Bull Board', () => {
  it('PUT …/clean/completed: 405 with an Allow header, and a fix that fits a clean: SMSQ_DASHBOARD_READ_ONLY=false, not `smsq resume`', async () => {
    const a = await ask('PUT', '/admin/queues/api/queues/calls/clean/completed', DASHBOARD);
    expect(a).toMatchObject({ status: 405, code: 'SMSQ_METHOD_NOT_ALLOWED' });
    // No method of this path is open on a read-only board: RFC 9110's empty Allow, a resource disabled by configuration.
    expect(a.allow).toBe('');
    expect(a.message).toContain('SMSQ_DASHBOARD_READ_ONLY=false');
    expect(a.message).not.toContain('smsq resume');
  });

  it('a queue-wide resume is told `smsq resume` too: what lifts the account block that paused the queue', async () => {
    const a = await ask('PUT', '/admin/queues/api/queues/resume', DASHBOARD);
    expect(a).toMatchObject({ status: 405, code: 'SMSQ_METHOD_NOT_ALLOWED', allow: '' });
    expect(a.message).toContain('`smsq resume`');
    expect(a.message).toContain('SMSQ_DASHBOARD_READ_ONLY=false');
  });

  it('a path the board also reads (GET) names it in Allow', async () => {
    const a = await ask('PUT', '/admin/queues/api/queues', DASHBOARD);
    expect(a).toMatchObject({ status: 405, code: 'SMSQ_METHOD_NOT_ALLOWED', allow: 'GET, HEAD' });
  });
});
