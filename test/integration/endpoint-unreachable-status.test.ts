/**
 * A send whose chunks wait because every live worker backs off from an SMS_ENDPOINT it cannot
 * reach says so where an operator looks: `smsq status` (text and --json), GET /v1/sends/:id and
 * `producer.getStatus`. Each backing-off worker says so in Redis (its fault and endpoint host,
 * no credentials), takes it back once the endpoint answers, and when it closes. Before, the send
 * showed no wait at all: a queue that simply did not move, the reason only in the worker's log.
 * Real Redis, a real `smsq server` on a port, the real SDK against a port nothing listens on
 * until the emulator comes up there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { clockTime } from '../../src/china-time.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { parseQuietHours } from '../../src/queue/quiet-hours.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { lateEndpoint } from '../support/late-endpoint.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/;

function envOf(h: Harness): Record<string, string> {
  return { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn' };
}

async function cli(env: Record<string, string>, argv: string[]) {
  return runSmsqInProcess(argv, { env });
}

/** `smsq server` on a real port, stopped after the test. */
async function startServer(env: Record<string, string>): Promise<string> {
  const stdout = collector();
  const stderr = collector();
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const done = runCli(['server', '--port', '0', '--host', '127.0.0.1', '--json', '--insecure'], { stdout, stderr, env, waitForShutdown: () => stopped });
  closers.push(async () => {
    stop('SIGTERM');
    await done;
  });
  const { url } = await Promise.race([
    waitFor(() => (stdout.text.includes('\n') ? (JSON.parse(stdout.text.split('\n')[0]!) as { url: string }) : undefined), 'the server address'),
    done.then((code) => {
      throw new Error(`smsq server exited with ${code}: ${stderr.text}`);
    }),
  ]);
  return url;
}

const request = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });
const wordKey = (h: Harness) => `${h.prefix}:workers:endpoint-backoff`;

describe('a send held because every worker backs off from its endpoint', () => {
  it('names it in smsq status (text, --json), GET /v1/sends/:id and getStatus, and no longer once the endpoint answers; sent once', async () => {
    const h = await createHarness({ label: 'endpoint-wait' });
    closers.push(() => h.close());
    const env = envOf(h);
    const url = await startServer(env);
    const endpoint = await lateEndpoint();
    await h.startWorker({ client: endpoint.client, endpointBackoff: { firstMs: 300, maxMs: 1200 } });
    const phone = '13800138041';
    const { sendId } = await h.producer.send(request(phone));
    await waitFor(async () => (await h.redis.hget(`${h.prefix}:chunk:${sendId}.0`, 'code')) === 'ConnectionRefused', 'the worker to meet the refused connection', 10_000, 10);

    const held = await waitFor(async () => {
      const s = await h.producer.getStatus(sendId);
      return s.wait?.reason === 'endpoint-unreachable' ? s : undefined;
    }, 'status to name the endpoint', 5000);
    expect(held.wait).toMatchObject({ reason: 'endpoint-unreachable', workers: 1, fault: 'ConnectionRefused', endpoint: `127.0.0.1:${endpoint.port}` });
    expect(held.counts.queued + held.counts.sending).toBe(1);

    const text = await cli(env, ['status', sendId]);
    expect(text.code, text.stderr).toBe(0);
    const waiting = text.stdout.split('\n').find((l) => /^\s*waiting\b/.test(l));
    expect(waiting).toMatch(new RegExp(`1 worker cannot reach SMS_ENDPOINT=127\\.0\\.0\\.1:${endpoint.port} \\(ConnectionRefused`));
    expect(waiting).toMatch(/Fix: start what SMS_ENDPOINT names/);

    const json = await cli(env, ['status', sendId, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const jsonWait = (JSON.parse(json.stdout) as { wait?: Record<string, unknown> }).wait;
    expect(jsonWait).toMatchObject({ reason: 'endpoint-unreachable', workers: 1, fault: 'ConnectionRefused', endpoint: `127.0.0.1:${endpoint.port}` });
    expect(jsonWait?.until).toMatch(ISO);

    const rest = await fetch(`${url}/v1/sends/${sendId}`);
    expect(rest.status).toBe(200);
    const restWait = ((await rest.json()) as { wait?: Record<string, unknown> }).wait;
    expect(restWait?.reason).toBe('endpoint-unreachable');
    expect(restWait).toMatchObject({ workers: 1, fault: 'ConnectionRefused', endpoint: `127.0.0.1:${endpoint.port}` });

    // The word names the host, never a credential.
    const words = await h.redis.zrange(wordKey(h), 0, -1);
    expect(words).toHaveLength(1);
    expect(words[0]).not.toContain(SANDBOX_ACCESS_KEY.accessKeyId);
    expect(words[0]).not.toContain(SANDBOX_ACCESS_KEY.accessKeySecret);

    // That a word past its step's grace no longer counts is judged on Redis's time, which no asker's clock moves: asker-clock-ages.test.ts.

    const late = await endpoint.comeUp();
    closers.push(() => late.close());
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'the send accepted once the endpoint answers', 15_000);
    expect((await h.producer.getStatus(sendId)).wait?.reason).not.toBe('endpoint-unreachable');
    expect(await h.redis.exists(wordKey(h))).toBe(0);
    const after = await cli(env, ['status', sendId]);
    expect(after.stdout).not.toMatch(/SMS_ENDPOINT/);
    expect(late.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
  }, 60_000);

  it('is not named while another worker reaches its endpoint, and is taken back when the backing-off worker closes', async () => {
    const h = await createHarness({ label: 'endpoint-wait-close' });
    closers.push(() => h.close());
    const endpoint = await lateEndpoint();
    const refusing = await h.startWorker({ client: endpoint.client, endpointBackoff: { firstMs: 300, maxMs: 600 } });
    const { sendId } = await h.producer.send({ ...request('13800138042'), kind: 'marketing' });
    await waitFor(async () => (await h.producer.getStatus(sendId)).wait?.reason === 'endpoint-unreachable', 'status to name the endpoint', 10_000);

    // A worker whose endpoint answers, inside its quiet hours: the marketing send stays queued, and
    // what holds it is the quiet hours, not an endpoint that this worker reaches.
    const now = Date.now();
    await h.startWorker({ name: 'healthy', quietHours: parseQuietHours(`${clockTime(now - 3_600_000)}-${clockTime(now + 3_600_000)}`) });
    await waitFor(async () => (await h.producer.getStatus(sendId)).wait?.reason === 'quiet-hours-disagree', 'status to name the quiet hours', 5000);
    // While the refusing worker still says it backs off.
    expect(await h.redis.zcard(wordKey(h))).toBe(1);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ accepted: 0, failed: 0 });

    await refusing.close();
    expect(await h.redis.exists(wordKey(h))).toBe(0);
    expect((await h.producer.getStatus(sendId)).wait?.reason).toBe('quiet-hours');
  }, 60_000);
});
