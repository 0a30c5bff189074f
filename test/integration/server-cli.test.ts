/**
 * `smsq server` run in-process (`runCli`) on a real port against the private Redis and the
 * emulator: refusal without credentials, the listening address, template checks at the door,
 * --insecure, and a graceful stop on the shutdown signal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { collector } from '../support/text-collector.js';


const TOKEN = 'cli-test-api-token-0123456789';
const prefix = uniquePrefix('srvcli');
const redis = createTestConnection();
let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 20 } });
  const { endpoint } = await emulator.listen();
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
});

/** Starts `smsq server` with `args`; resolves once it printed its address. */
async function start(extraEnv: NodeJS.ProcessEnv, args: string[]) {
  const stdout = collector();
  const stderr = collector();
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const done = runCli(['server', '--port', '0', '--json', ...args], { stdout, stderr, env: { ...env, ...extraEnv }, waitForShutdown: () => stopped });
  const info = await Promise.race([
    waitFor(() => (stdout.text.includes('\n') ? (JSON.parse(stdout.text.split('\n')[0]!) as { url: string; dashboard: string; insecure: boolean }) : undefined), 'the server address'),
    done.then((code) => {
      throw new Error(`smsq server exited with ${code}: ${stderr.text}`);
    }),
  ]);
  return { info, stderr, stop, done };
}

describe('smsq server', () => {
  it('refuses to start without an API token or a dashboard login, naming the fix (exit 2)', async () => {
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['server', '--port', '0'], { stdout, stderr, env });
    expect(code).toBe(2);
    expect(stderr.text).toMatch(/error: SMSQ_API_TOKEN is not set.*Fix: SMSQ_API_TOKEN=/);
    expect(stderr.text).toMatch(/error: neither SMSQ_DASHBOARD_USER\/SMSQ_DASHBOARD_PASSWORD nor SMSQ_DASHBOARD_TOKEN/);
    expect(stdout.text).toBe('');
  });

  it('serves on a real port, checks params against the template at the door, and stops gracefully', async () => {
    const s = await start({ SMSQ_API_TOKEN: TOKEN, SMSQ_DASHBOARD_USER: 'ops', SMSQ_DASHBOARD_PASSWORD: 'cli-dashboard-pass' }, ['--host', '127.0.0.1']);
    expect(s.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.info.insecure).toBe(false);
    const post = (body: unknown) =>
      fetch(`${s.info.url}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await fetch(`${s.info.url}/healthz`)).status).toBe(200);
    const ok = await post({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } });
    expect(ok.status).toBe(202);
    const missingVar = await post({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada' } });
    expect(missingVar.status).toBe(400);
    expect(JSON.stringify(await missingVar.json())).toMatch(/order/);
    const noTemplate = await post({ phones: ['13800138000'], signName: N.sign, templateCode: 'SMS_404404404' });
    expect(noTemplate.status).toBe(400);
    const body = (await noTemplate.json()) as { error: { code: string; issues: { field: string }[] } };
    expect(body.error.code).toBe('SMSQ_INVALID_REQUEST');
    expect(body.error.issues[0]!.field).toBe('templateCode');
    expect((await fetch(`${s.info.dashboard}/api/queues`)).status).toBe(401);

    s.stop('SIGTERM');
    expect(await s.done).toBe(0);
    await expect(fetch(`${s.info.url}/healthz`)).rejects.toThrow();
  });

  it('starts without credentials only with --insecure, and says so loudly', async () => {
    const s = await start({}, ['--insecure']);
    expect(s.info.insecure).toBe(true);
    expect(s.stderr.text).toMatch(/INSECURE.*SMSQ_API_TOKEN is not set/);
    expect(s.stderr.text).toMatch(/INSECURE.*dashboard would be open/);
    expect((await fetch(`${s.info.dashboard}/api/queues`)).status).toBe(200);
    s.stop('SIGINT');
    expect(await s.done).toBe(0);
  });

  it('keeps the report token out of every log line, even at LOG_LEVEL=debug, when reports are pushed to the path form', async () => {
    const REPORT_TOKEN = 'cli-report-token-0123456789abcdef';
    const s = await start({ SMSQ_API_TOKEN: TOKEN, SMSQ_DASHBOARD_TOKEN: 'cli-dashboard-token-0123456789', SMSQ_REPORT_TOKEN: REPORT_TOKEN, LOG_LEVEL: 'debug' }, ['--host', '127.0.0.1']);
    const push = (path: string, body: string) =>
      fetch(`${s.info.url}/v1/reports/${REPORT_TOKEN}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const report = { phone_number: '13800138000', success: true, err_code: 'DELIVERED', biz_id: '1^0', out_id: 'sabc.0.1', report_time: '2026-11-24 10:00:05' };
    expect((await push('sms-report', JSON.stringify([report]))).status).toBe(200);
    expect((await push('sms-up', JSON.stringify([{ phone_number: '13800138000', content: 'TD' }]))).status).toBe(200);
    expect((await push('sms-report', '[{"phone_number":')).status).toBe(400);
    expect((await push('sms-report', JSON.stringify({ not: 'an array' }))).status).toBe(400);
    const unknownRoute = await push('no-such-route', '[]');
    expect(unknownRoute.status).toBeGreaterThanOrEqual(400);
    expect(await unknownRoute.text()).not.toContain(REPORT_TOKEN);
    expect((await fetch(`${s.info.url}/v1/reports/${REPORT_TOKEN}/sms-report?x=${REPORT_TOKEN}`, { method: 'GET' })).status).toBeGreaterThanOrEqual(400);
    s.stop('SIGTERM');
    expect(await s.done).toBe(0);
    // Debug level did log the requests: the test looks at real lines.
    expect(s.stderr.text).toMatch(/"path":"\/v1\/reports\/\[REDACTED\]\/sms-report"/);
    expect(s.stderr.text).not.toContain(REPORT_TOKEN);
  });
});
