/**
 * `smsq send --wait` with no worker serving the prefix: it waited for ever, and Ctrl-C killed it
 * with the send id on stderr alone. `--timeout` ends the wait (exit 4), and so does Ctrl-C (the
 * process ends by SIGINT, as shells count it: 130); either way the send id and the command to
 * check on it are printed where the output goes (one JSON document on stdout with `--json`), and the
 * send is not cancelled. Real Redis, real processes, no worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { spawnSmsq } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const prefix = uniquePrefix('cliwait');
const redis = createTestConnection();
const dir = mkdtempSync(join(tmpdir(), 'smsq-cliwait-'));
let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = createEmulator();
  const { endpoint } = await emulator.listen();
  env = {
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
  };
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The ids of the sends under the prefix (their records' keys). */
async function sendIds(): Promise<string[]> {
  const keys = await redis.keys(`${prefix}:send:*`);
  return keys.map((k) => k.slice(`${prefix}:send:`.length)).filter((id) => !id.includes(':'));
}

/** What the status says of a send that no worker serves. */
const NO_WORKER = 'no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; nothing is sent until one starts: smsq worker';

/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
const SPAWNED_MS = 60_000;

const send = (phone: string) => ['send', '--phones', phone, '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes'];

async function run(argv: string[], waitForShutdown?: () => Promise<string>) {
  return runSmsqInProcess(argv, { env, ...(waitForShutdown ? { waitForShutdown } : {}) });
}

interface WaitJson {
  sendId: string;
  recipients: number;
  status: { send: { state: string }; counts: Record<string, number> };
  stopped: { reason: string; signal?: string; timeoutMs?: number; sendCancelled: boolean; statusCommand: string };
}

/** The send as Redis holds it, read through the CLI: not cancelled, its recipient still queued. */
async function expectStillQueued(sendId: string) {
  const status = JSON.parse((await run(['status', sendId, '--json'])).stdout) as WaitJson['status'];
  expect(status.send.state).not.toBe('cancelled');
  expect(status.counts.queued).toBe(1);
}

describe('smsq send --wait with no worker', () => {
  it('--timeout stops the wait: exit 4, the send id on stdout, how to check on it, the send not cancelled', async () => {
    const cli = spawnSmsq([...send('13800138101'), '--wait', '--timeout', '1s'], env);
    expect(await cli.exited, cli.stderr).toBe(EXIT.waitStopped);
    const sendId = /^send id\s+(\S+)$/m.exec(cli.stdout)?.[1];
    expect(sendId, cli.stdout).toBeDefined();
    expect(cli.stdout).toMatch(/^when the wait stopped: queued 1$/m);
    expect(cli.stderr).toContain(
      `stopped waiting after 1s (--timeout) with 1 recipient not yet past the API (${NO_WORKER}). The send is not cancelled: it goes on without this command. Check on it: smsq status ${sendId} (--watch follows it)`,
    );
    await expectStillQueued(sendId!);
  }, SPAWNED_MS);

  it('--timeout with --json: one JSON document on stdout, the success shape plus what stopped it', async () => {
    const r = await run([...send('13800138102'), '--wait', '--timeout', '1s', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.waitStopped);
    const out = JSON.parse(r.stdout) as WaitJson;
    expect(out).toMatchObject({ recipients: 1, status: { send: { state: 'active' }, counts: { queued: 1 } } });
    expect(out.stopped).toEqual({ reason: 'timeout', timeoutMs: 1000, sendCancelled: false, statusCommand: `smsq status ${out.sendId}` });
    await expectStillQueued(out.sendId);
  });

  it('send-batch --wait --timeout stops the same way (the send commands share the flow)', async () => {
    const file = join(dir, 'batch.json');
    writeFileSync(file, JSON.stringify([{ phone: '13800138106', signName: N.sign, templateParam: { name: 'B', order: 'B2' } }]));
    const r = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--yes', '--wait', '--timeout', '1s', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.waitStopped);
    const out = JSON.parse(r.stdout) as WaitJson;
    expect(out.stopped).toMatchObject({ reason: 'timeout', sendCancelled: false, statusCommand: `smsq status ${out.sendId}` });
    await expectStillQueued(out.sendId);
  });

  it('Ctrl-C during the wait: the JSON on stdout has the send id and its state, and the process ends by SIGINT (130 in a shell)', async () => {
    const earlier = new Set(await sendIds());
    const cli = spawnSmsq([...send('13800138103'), '--wait', '--json'], env);
    // Waiting (with --json it prints no progress): the warning comes just before the wait.
    await waitFor(() => cli.stderr.includes('warning: no worker serves'), 'the wait to start', SPAWNED_MS - 10_000);
    const sendId = (await sendIds()).find((id) => !earlier.has(id));
    expect(sendId, cli.stderr).toBeDefined();
    cli.child.kill('SIGINT');
    // Raised again after the output: a shell sees a Ctrl-C (and stops a loop), not an exit code.
    expect(await cli.exited, cli.stderr).toBe('SIGINT');
    const out = JSON.parse(cli.stdout) as WaitJson;
    expect(out).toMatchObject({ sendId, status: { send: { state: 'active' }, counts: { queued: 1 } } });
    expect(out.stopped).toEqual({ reason: 'interrupted', signal: 'SIGINT', sendCancelled: false, statusCommand: `smsq status ${sendId}` });
    expect(cli.stderr).toContain(`interrupted (SIGINT): stopped waiting with 1 recipient not yet past the API (${NO_WORKER}). The send is not cancelled: it goes on without this command. Check on it: smsq status ${sendId} (--watch follows it)`);
    await expectStillQueued(sendId!);
  }, SPAWNED_MS);

  it('a shutdown signal in-process: exit 130 for SIGINT, the send id on stdout in text, with --wait or without', async () => {
    let interrupt!: (signal: string) => void;
    const interrupted = new Promise<string>((resolve) => (interrupt = resolve));
    const earlier = new Set(await sendIds());
    const running = run([...send('13800138104'), '--wait'], () => interrupted);
    const sendId = await waitFor(async () => (await sendIds()).find((id) => !earlier.has(id)), 'the send to be enqueued');
    interrupt('SIGINT');
    const r = await running;
    expect(r.code, r.stderr).toBe(EXIT.interrupted);
    expect(r.stdout).toMatch(new RegExp(`^send id\\s+${sendId}$`, 'm'));
    expect(r.stderr).toContain(`interrupted (SIGINT): stopped waiting with 1 recipient not yet past the API (${NO_WORKER}). The send is not cancelled: it goes on without this command. Check on it: smsq status ${sendId}`);
    // Without --wait, a Ctrl-C in the look for a worker after the enqueue: the id all the same.
    const plain = await run(send('13800138107'), async () => 'SIGINT');
    expect(plain.code, plain.stderr).toBe(EXIT.interrupted);
    const plainId = /^send id\s+(\S+)$/m.exec(plain.stdout)?.[1];
    expect(plain.stderr).toContain(`interrupted (SIGINT) after the enqueue. The send is not cancelled: it goes on without this command. Check on it: smsq status ${plainId} (--watch follows it)`);
    expect(plain.stderr).not.toContain('warning: no worker serves');
  });

  it('a second signal while the wait hangs (a Redis that does not answer) ends the process at once: the send id is printed first', async () => {
    let forcedExit: ((signal: string) => void) | undefined;
    let interrupt!: (signal: string) => void;
    const stdout = collector();
    const stderr = collector();
    const earlier = new Set(await sendIds());
    const running = runCli([...send('13800138106'), '--wait'], { stdout, stderr, env, waitForShutdown: () => new Promise((resolve) => (interrupt = resolve)), onForcedExit: (say) => (forcedExit = say) });
    const sendId = await waitFor(async () => (await sendIds()).find((id) => !earlier.has(id)), 'the send to be enqueued');
    await waitFor(() => forcedExit, 'the command to say what a forced exit leaves');
    // What the executable calls on the second signal, just before process.exit(130).
    forcedExit!('SIGINT');
    expect(stdout.text).toMatch(new RegExp(`^send id\\s+${sendId}$`, 'm'));
    expect(stderr.text).toContain(`forced exit (SIGINT): the send is enqueued and goes on without this command: do not send it again. Check on it: smsq status ${sendId}`);
    interrupt('SIGINT');
    expect(await running).toBe(EXIT.interrupted);
  });

  it('Redis lost during the wait: the send id on stdout, "do not send it again", exit 4 (it said "nothing was enqueued", exit 3, and a re-run sent the SMS twice)', async () => {
    const { startPrivateRedis } = await import('../../src/runtime/private-redis.js');
    const { Redis } = await import('ioredis');
    const own = await startPrivateRedis();
    const watcher = new Redis(own.url, { maxRetriesPerRequest: 0 });
    watcher.on('error', () => {});
    try {
      const stdout = collector();
      const stderr = collector();
      const running = runCli([...send('13800138105'), '--wait'], { stdout, stderr, env: { ...env, REDIS_URL: own.url, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '300' } });
      // The warning that no worker serves the prefix comes after the enqueue has returned (and before
      // the wait starts): Redis stopped any earlier can cut the enqueue itself, which rightly answers
      // "may be partly done" (exit 3), and under load the send's record exists well before that.
      await waitFor(() => stderr.text.includes('warning: no worker serves'), 'the enqueue to return', SPAWNED_MS);
      expect(await watcher.keys(`${prefix}:send:*`)).not.toHaveLength(0);
      await own.stop();
      const code = await running;
      expect(code, stderr.text).toBe(EXIT.waitStopped);
      const sendId = /^send id\s+(\S+)$/m.exec(stdout.text)?.[1];
      expect(sendId, stdout.text).toMatch(/^smx/);
      expect(stderr.text).not.toContain('nothing was enqueued');
      expect(stderr.text).toContain(`the wait failed after the enqueue: Redis at REDIS_URL=${own.url} does not answer`);
      expect(stderr.text).toContain(`The send is enqueued and goes on once Redis answers: do not send it again. Check on it: smsq status ${sendId}`);
    } finally {
      watcher.disconnect();
      await own.stop();
    }
  });

  it('refuses --timeout without --wait, and a duration it cannot read, naming the fix; nothing is enqueued', async () => {
    const before = (await sendIds()).length;
    const alone = await run([...send('13800138105'), '--timeout', '30s']);
    expect(alone).toMatchObject({ code: EXIT.refused, stdout: '' });
    expect(alone.stderr).toBe('error: --timeout limits --wait, which is not given; nothing was enqueued. Fix: add --wait, or drop --timeout\n');
    for (const bad of ['30', '1.5m', '0s', '2d', 'soon']) {
      const r = await run([...send('13800138105'), '--wait', '--timeout', bad]);
      expect(r.code, bad).toBe(EXIT.refused);
      expect(r.stderr, bad).toBe(`error: --timeout "${bad}" must be a duration from 1s to 24h: whole numbers with a unit (ms, s, m, h). Fix: --timeout 30s (or 5m, 1h30m)\n`);
    }
    const json = await run([...send('13800138105'), '--timeout', '30s', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'SMSQ_BAD_FLAG' } });
    expect((await sendIds()).length).toBe(before);
  });
});
