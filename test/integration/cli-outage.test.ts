/**
 * `smsq` commands as real processes whose Redis goes away while they run (a private redis-server,
 * stopped mid-command): each ends within a bounded time with one readable line naming REDIS_URL
 * and the fix, and nothing else on stderr: no raw error object, no stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { waitFor } from '../support/wait.js';

let emulator: Emulator;
let endpoint: string;
const children: CliProcess[] = [];
const servers: PrivateRedis[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  ({ endpoint } = await emulator.listen());
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  for (const s of servers) await s.stop();
  await emulator?.close();
});

/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
const SPAWNED_MS = 60_000;

async function privateRedis(): Promise<PrivateRedis> {
  const server = await startPrivateRedis();
  servers.push(server);
  return server;
}

function spawn(args: string[], redis: PrivateRedis, extra: NodeJS.ProcessEnv = {}): CliProcess {
  const p = spawnSmsq(args, { REDIS_URL: redis.url, SMSQ_PREFIX: '{cli-outage}', SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000', ...extra });
  children.push(p);
  return p;
}

/** stderr lines that are not JSON log lines (what a person reads). */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

/** What must never reach stderr: an error object as Node prints it, a stack frame. */
function expectNoRawErrors(stderr: string): void {
  expect(stderr).not.toMatch(/^(Error|AggregateError)[:\s]/m);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/errno: -\d+|syscall: '/);
}

describe('smsq send --wait whose Redis goes away during the wait', () => {
  it('exit 4, once Redis stayed gone past SMSQ_REDIS_CONNECT_TIMEOUT_MS, with one line saying the wait waits for it and one saying the send goes on; no raw error on stderr (it printed the queue\'s "Error: connect ECONNREFUSED ..." object)', async () => {
    const redis = await privateRedis();
    const send = spawn(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--wait', '--timeout', '60s'], redis);
    // Enqueued, the worker check done (no worker serves the prefix): the wait is under way.
    await waitFor(() => send.stderr.includes('no worker serves'), 'the send to be enqueued and waiting', SPAWNED_MS);
    await redis.stop();
    expect(await send.exited, send.stderr).toBe(EXIT.waitStopped);
    expect(send.stdout).toMatch(/^send id\s+smx/m);
    expect(plainLines(send.stderr).filter((l) => /does not answer/.test(l))).toEqual([
      expect.stringMatching(/^Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer \(.+\): the wait waits for it up to \d+s \(SMSQ_REDIS_CONNECT_TIMEOUT_MS\) and goes on once it answers$/),
      expect.stringMatching(/^the wait failed after the enqueue: Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer .*do not send it again/),
    ]);
    expectNoRawErrors(send.stderr);
  }, 90_000);

  it.each([
    ['--timeout passes', ['--timeout', '10s'], undefined, EXIT.waitStopped, /^stopped waiting after 10s \(--timeout\) with 1 recipient not yet past the API.*The send is not cancelled/],
    ['Ctrl-C', ['--timeout', '60s'], 'SIGINT' as const, 'SIGINT' /* the CLI ends by its signal, as a shell expects */, /^interrupted \(SIGINT\): stopped waiting with 1 recipient not yet past the API.*The send is not cancelled/],
  ])('ends when %s while it waits for Redis, with the status last read, not once SMSQ_REDIS_CONNECT_TIMEOUT_MS has passed (it waited out the whole bound)', async (_what, stopFlags, signal, exitCode, stopLine) => {
    const redis = await privateRedis();
    // A bound far past what the test waits: the stop must end the wait, not the bound.
    const send = spawn(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--wait', ...stopFlags], redis, { SMSQ_REDIS_CONNECT_TIMEOUT_MS: '120000' });
    // The wait's first status read done: the counts it ends with are those last read.
    await waitFor(() => /: 0 accepted, 0 failed, 1 pending/.test(send.stderr), 'the wait to read the send once', SPAWNED_MS);
    await redis.stop();
    await waitFor(() => send.stderr.includes('the wait waits for it'), 'the wait to wait for Redis', SPAWNED_MS);
    if (signal) send.child.kill(signal);
    const late = setTimeout(() => send.child.kill('SIGKILL'), 30_000);
    const code = await send.exited;
    clearTimeout(late);
    expect(code, send.stderr).toBe(exitCode);
    expect(send.stdout).toMatch(/^send id\s+smx/m);
    expect(send.stdout).toMatch(/^when the wait stopped: /m);
    expect(plainLines(send.stderr).filter((l) => /^(stopped waiting|interrupted|the wait failed)/.test(l))).toEqual([expect.stringMatching(stopLine)]);
    expectNoRawErrors(send.stderr);
  }, 120_000);
});

describe('smsq sandbox whose Redis goes away mid-run', () => {
  /** The exit code, or 'still running' once `ms` have passed (the process is then killed). */
  async function exitWithin(p: CliProcess, ms: number): Promise<number | string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still running'), ms);
    });
    const code = await Promise.race([p.exited, late]);
    clearTimeout(timer);
    if (code === 'still running') p.child.kill('SIGKILL');
    return code;
  }

  it.each([
    ['stopped', (redis: PrivateRedis) => redis.stop()],
    ['frozen (SIGSTOP: its connections stay open)', (redis: PrivateRedis) => void redis.process.kill('SIGSTOP')],
  ])('%s: ends within the timeouts, exit 3, one line naming REDIS_URL and one naming the keys it left and how to remove them (it waited for Redis for ever)', async (_how, goAway) => {
    const redis = await privateRedis();
    const sandbox = spawn(['sandbox', '--recipients', '20000'], redis, { SMSQ_SHUTDOWN_GRACE_MS: '2000' });
    await waitFor(() => /^enqueued: /m.test(sandbox.stderr), 'the sandbox to enqueue its sends', SPAWNED_MS);
    await goAway(redis);
    try {
      // Grace (2 s) and connect timeouts (1 s each) with room for a loaded machine.
      expect(await exitWithin(sandbox, 20_000), sandbox.stderr).toBe(EXIT.dependency);
    } finally {
      redis.process.kill('SIGCONT');
    }
    const lines = plainLines(sandbox.stderr);
    expect(lines.filter((l) => /SMSQ_REDIS_UNAVAILABLE/.test(l))).toEqual([expect.stringMatching(new RegExp(`^error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=${redis.url} does not answer .*Fix: `))]);
    expect(lines.filter((l) => /this run's keys/.test(l))).toEqual([
      expect.stringMatching(/^sandbox: could not remove this run's keys: they are under \{smsq-sandbox-[a-z0-9]+-[0-9a-f]{8}\} in Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+\. Fix: once Redis answers, remove them: redis-cli -u "\$REDIS_URL" --scan --pattern '\{smsq-sandbox-[a-z0-9]+-[0-9a-f]{8}\}\*' \| xargs redis-cli -u "\$REDIS_URL" unlink$/),
    ]);
    expectNoRawErrors(sandbox.stderr);
  }, 120_000);
});

describe('smsq worker told to stop while Redis is frozen (SIGSTOP: its connections stay open) and no job is in hand', () => {
  it('stops within the connect timeout, exit 0, saying Redis does not answer (it waited out its whole grace, exit 3, "stopping without recording the calls in flight" with none in flight)', async () => {
    const redis = await privateRedis();
    const worker = spawn(['worker', '--concurrency', '2'], redis, { LOG_LEVEL: 'info', SMSQ_SHUTDOWN_GRACE_MS: '15000' });
    await waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS);
    redis.process.kill('SIGSTOP');
    try {
      const from = performance.now();
      worker.child.kill('SIGTERM');
      expect(await worker.exited, worker.stderr).toBe(EXIT.ok);
      expect(performance.now() - from).toBeLessThan(10_000);
    } finally {
      redis.process.kill('SIGCONT');
    }
    const messages = worker.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages.some((m) => /^grace period over/.test(m))).toBe(false);
    expect(messages.filter((m) => /no job is in hand: stopped without waiting for it|^worker stopped$/.test(m))).toEqual([
      'Redis does not answer and no job is in hand: stopped without waiting for it',
      'worker stopped',
    ]);
    expectNoRawErrors(worker.stderr);
  }, 90_000);
});

describe('smsq worker and a frozen Redis (SIGSTOP: the connection stays open, no error comes)', () => {
  const WENT_AWAY = /does not answer; retrying with back-off/;
  const BACK = /answers again; resuming/;
  const lines = (p: CliProcess) => p.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; reason?: string });

  it('started while Redis is frozen: says so in one line naming the wait, and one when it answers, then runs (it said nothing at all)', async () => {
    const redis = await privateRedis();
    redis.process.kill('SIGSTOP');
    let worker: CliProcess | undefined;
    try {
      worker = spawn(['worker', '--concurrency', '2'], redis, { LOG_LEVEL: 'info' });
      const started = worker;
      await waitFor(() => lines(started).some((l) => WENT_AWAY.test(l.msg)), 'the line saying Redis does not answer', SPAWNED_MS);
      expect(lines(started).find((l) => WENT_AWAY.test(l.msg))).toMatchObject({ reason: 'no answer within 1000 ms' });
    } finally {
      redis.process.kill('SIGCONT');
    }
    const running = worker;
    await waitFor(() => lines(running).some((l) => /smsq worker running/.test(l.msg)), 'the worker to run once Redis answers', SPAWNED_MS);
    expect(lines(running).filter((l) => WENT_AWAY.test(l.msg) || BACK.test(l.msg)).map((l) => l.msg)).toEqual([expect.stringMatching(WENT_AWAY), expect.stringMatching(BACK)]);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(EXIT.ok);
  }, 90_000);

  it('frozen under a running worker: one line when it stops answering, one when it answers again (it said nothing)', async () => {
    const redis = await privateRedis();
    const worker = spawn(['worker', '--concurrency', '2'], redis, { LOG_LEVEL: 'info' });
    await waitFor(() => lines(worker).some((l) => /smsq worker running/.test(l.msg)), 'the worker to run', SPAWNED_MS);
    redis.process.kill('SIGSTOP');
    try {
      await waitFor(() => lines(worker).some((l) => WENT_AWAY.test(l.msg)), 'the line saying Redis does not answer', 15_000);
      await new Promise((r) => setTimeout(r, 3000)); // several probes while frozen
    } finally {
      redis.process.kill('SIGCONT');
    }
    await waitFor(() => lines(worker).some((l) => BACK.test(l.msg)), 'the line saying Redis answers again', 15_000);
    expect(lines(worker).filter((l) => WENT_AWAY.test(l.msg) || BACK.test(l.msg)).map((l) => l.msg)).toEqual([expect.stringMatching(WENT_AWAY), expect.stringMatching(BACK)]);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(EXIT.ok);
    expectNoRawErrors(worker.stderr);
  }, 90_000);
});
