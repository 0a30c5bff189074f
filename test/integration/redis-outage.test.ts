/**
 * A Redis outage under a running `smsq worker` and `smsq server` (real processes, a private
 * redis-server stopped and started again on the same port): each says one line when Redis goes
 * away and one when it is back, /readyz and /v1 answer 503 meanwhile, both resume unaided and a
 * send made after the restart is sent; a worker told to stop while Redis is down, with no job in
 * hand, stops at once (exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const GRACE_MS = 3000;
let redis: PrivateRedis;
let emulator: Emulator;
let env: NodeJS.ProcessEnv;
const children: CliProcess[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  env = {
    REDIS_URL: redis.url,
    SMSQ_PREFIX: uniquePrefix('outage'),
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'info',
    SMSQ_QUIET_HOURS: 'off',
    SMSQ_SHUTDOWN_GRACE_MS: String(GRACE_MS),
  };
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await redis?.stop();
  await emulator?.close();
});

function spawn(args: string[]): CliProcess {
  const p = spawnSmsq(args, env);
  children.push(p);
  return p;
}

/** stderr as JSON log lines; throws on any line that is not one (a raw stack, a warning). */
function logLines(p: CliProcess): { level: number; msg: string; component?: string }[] {
  return p.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as { level: number; msg: string; component?: string };
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}
const count = (p: CliProcess, re: RegExp) => logLines(p).filter((l) => re.test(l.msg)).length;
const WENT_AWAY = /does not answer; retrying with back-off/;
const BACK = /answers again; resuming/;

describe('a Redis outage under a running worker and server', () => {
  it('one line each way, 503 meanwhile, resumes unaided, sends what is enqueued after the restart; SIGTERM during an outage with no job in hand stops at once', async () => {
    const worker = spawn(['worker', '--concurrency', '4']);
    const server = spawn(['server', '--port', '0', '--json', '--insecure']);
    await waitFor(() => logLines(worker).some((l) => /smsq worker running/.test(l.msg)), 'the worker to run', 30_000);
    const { url } = await waitFor(() => (server.stdout.includes('\n') ? (JSON.parse(server.stdout.split('\n')[0]!) as { url: string }) : undefined), 'the server address', 30_000);
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz 200 before the outage', 30_000);
    const post = () =>
      fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } }),
      });

    // Outage.
    const port = redis.port;
    await redis.stop();
    await waitFor(() => count(worker, WENT_AWAY) === 1 && count(server, WENT_AWAY) === 1, 'both to say Redis went away', 30_000);
    // Through many reconnect attempts: every answer meanwhile is a 503 in the error shape, and
    // /metrics answers what it can (smsq_redis_up 0) at every scrape.
    for (let i = 0; i < 15; i++) {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      const notReady = (await ready.json()) as { error: { code: string; issues: { field: string; message: string }[] } };
      expect(notReady.error.code).toBe('SMSQ_NOT_READY');
      // In smsq's words, as /v1 says it: not ioredis's "Stream isn't writeable and enableOfflineQueue options is false";
      // and, public as /readyz is, not where Redis is (the log line above names it).
      expect(notReady.error.issues).toEqual([
        { field: 'redis', message: expect.stringMatching(/^Redis does not answer \(.+\)\. Fix: check again in a few seconds \(Retry-After\); if Redis stays down, tell the operator of this server: its log names REDIS_URL and why$/) },
      ]);
      expect(notReady.error.issues[0]!.message).not.toContain(String(port));
      expect(notReady.error.issues[0]!.message).not.toMatch(/enableOfflineQueue/);
      const scrape = await fetch(`${url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toMatch(/^smsq_redis_up 0$/m);
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SMSQ_REDIS_UNAVAILABLE');
      await new Promise((r) => setTimeout(r, 200));
    }

    // Back on the same port: both resume without being touched.
    redis = await startPrivateRedis({ port });
    await waitFor(() => count(worker, BACK) === 1 && count(server, BACK) === 1, 'both to say Redis is back', 30_000);
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz 200 after the outage', 60_000);
    const accepted = await post();
    expect(accepted.status).toBe(202);
    const { sendId } = (await accepted.json()) as { sendId: string };
    // Accepted by Dysmsapi (the emulator) means sent; its receipt follows on the receipt schedule.
    await waitFor(
      async () => {
        const { counts } = (await (await fetch(`${url}/v1/sends/${sendId}`)).json()) as { counts: { accepted: number; delivered: number } };
        return counts.accepted + counts.delivered === 1;
      },
      'the send made after the restart to be sent',
      30_000,
    );

    // One line each way, whatever the number of attempts; nothing else above warn, no raw stacks.
    for (const p of [worker, server]) {
      expect(count(p, WENT_AWAY)).toBe(1);
      expect(count(p, BACK)).toBe(1);
      expect(logLines(p).filter((l) => l.level >= 50)).toEqual([]);
    }
    // The scrapes too: one line when they start failing (the reason, no stack), one when they answer again.
    await waitFor(async () => /^smsq_redis_up 1$/m.test(await (await fetch(`${url}/metrics`)).text()), '/metrics to read Redis again', 30_000);
    const scrapeLines = logLines(server).filter((l) => /^metrics from Redis/.test(l.msg));
    expect(scrapeLines.map((l) => l.msg)).toEqual([expect.stringMatching(/^metrics from Redis unavailable: /), expect.stringMatching(/^metrics from Redis available again/)]);
    expect(scrapeLines[0]).toMatchObject({ level: 40, reason: expect.any(String) });
    expect(scrapeLines[0]).not.toHaveProperty('err');
    expect(scrapeLines[1]).toMatchObject({ failedScrapes: expect.any(Number), downMs: expect.any(Number) });
    expect(server.stderr).not.toMatch(/\\n\s+at /); // a stack, even inside a JSON line

    // A second outage, and SIGTERM while Redis is down and no job is in hand: nothing waits to be
    // recorded, so the worker stops at once rather than wait out its grace period for Redis.
    await redis.stop();
    await waitFor(() => count(worker, WENT_AWAY) === 2, 'the worker to say Redis went away again', 30_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(logLines(worker).some((l) => /grace period over/.test(l.msg))).toBe(false);
    expect(logLines(worker).filter((l) => /no job is in hand: stopped without waiting for it|^worker stopped$/.test(l.msg)).map((l) => l.msg)).toEqual([
      'Redis does not answer and no job is in hand: stopped without waiting for it',
      'worker stopped',
    ]);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    redis = await startPrivateRedis({ port }); // for afterAll's stop
  }, 180_000);

  it('a second signal while a send call waits for its answer exits at once (130) with one line: the call is left sending, to be looked up', async () => {
    // The send is accepted and its answer held back: the call stays in flight.
    emulator.addFault({ kind: 'lost-answer', delayMs: 60_000 });
    const worker = spawnSmsq(['worker', '--concurrency', '1'], { ...env, SMS_READ_TIMEOUT_MS: '15000', SMSQ_SHUTDOWN_GRACE_MS: '60000' });
    children.push(worker);
    await waitFor(() => logLines(worker).some((l) => /smsq worker running/.test(l.msg)), 'the worker to run', 30_000);
    const send = spawn(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify({ name: 'Ada', order: 'A2' }), '--yes', '--json']);
    expect(await send.exited, send.stderr).toBe(0);
    await waitFor(() => emulator.accepted().some((a) => a.templateParams.some((p) => p.order === 'A2')), 'the call to reach Dysmsapi', 30_000);
    worker.child.kill('SIGINT');
    await waitFor(() => logLines(worker).some((l) => /^stopping/.test(l.msg)), 'the worker to start stopping', 30_000);
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(130);
    const forced = logLines(worker).find((l) => /^forced exit/.test(l.msg));
    expect(forced, worker.stderr).toMatchObject({
      signal: 'SIGINT',
      chunksLeftSending: 1,
      callsInFlight: 1,
      callsNotStarted: 0,
    });
    // Which chunk, of which send, and what to run on it.
    const { sendId: sent } = JSON.parse(send.stdout) as { sendId: string };
    expect(forced?.msg).toBe(
      `forced exit: 1 chunk this worker claimed is left sending (1 mid-call); it is looked up (QuerySendDetails) before anything is resent, once a running worker takes its job back; chunks: ${sent}.0 of send ${sent} (smsq status ${sent})`,
    );
    expect(forced).toMatchObject({ chunkIds: [`${sent}.0`], sendIds: [sent] });
    emulator.clearFaults();
  }, 120_000);
});
