/**
 * Every `--json` output gives times as ISO 8601 in China time with the offset (docs/cli.md,
 * "Times"). An operator trial found `send --yes --wait --json` printing the send's times as epoch
 * milliseconds (`"createdAt": 1796496914216`, `history[].at`, `wait.until`) where `smsq status
 * --json` printed `"2026-12-06T02:55:14.216+08:00"` for the same send. Real Redis, the emulator,
 * no worker; marketing inside quiet hours, so that the status has a wait with a time (no worker's,
 * with when the quiet hours end).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { clockTime, isoTime } from '../../src/china-time.js';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const prefix = uniquePrefix('clitimes');
const redis = createTestConnection();
const dir = mkdtempSync(join(tmpdir(), 'smsq-clitimes-'));
let emulator: Emulator;
let env: NodeJS.ProcessEnv;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/;

beforeAll(async () => {
  emulator = createEmulator();
  const { endpoint } = await emulator.listen();
  // Quiet hours from an hour ago to two hours on: marketing waits, and its status says until when.
  const now = Date.now();
  const quiet = `${clockTime(now - 3_600_000)}-${clockTime(now + 2 * 3_600_000)}`;
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: quiet };
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return runSmsqInProcess(argv, { env: { ...env, ...extraEnv } });
}

interface StatusJson {
  send: { sendId: string; createdAt: unknown; stateChangedAt: unknown; enqueuedAt?: unknown; history: { at: unknown }[] };
  wait?: { reason: string; quietUntil?: unknown };
}

/** The send's times in a status as `--json` prints it: ISO, and the wait's `quietUntil` too. */
function expectIsoTimes(status: StatusJson): void {
  expect(status.send.createdAt).toMatch(ISO);
  expect(status.send.stateChangedAt).toMatch(ISO);
  expect(status.send.enqueuedAt).toMatch(ISO);
  for (const change of status.send.history) expect(change.at).toMatch(ISO);
  expect(status.wait).toMatchObject({ reason: 'no-worker', quietUntil: expect.stringMatching(ISO) });
}

const marketing = (phone: string) => ['send', '--phones', phone, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"Ada"}', '--kind', 'marketing', '--yes'];

describe('--json times of the send commands', () => {
  it('send --wait --json: the status as `smsq status --json` prints it (it printed epoch ms)', async () => {
    const r = await run([...marketing('13800138301'), '--wait', '--timeout', '1s', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.waitStopped);
    const out = JSON.parse(r.stdout) as { sendId: string; status: StatusJson };
    expectIsoTimes(out.status);
    const status = JSON.parse((await run(['status', out.sendId, '--json'])).stdout) as StatusJson;
    expect(out.status.send).toEqual(status.send);
    expect(out.status.wait).toEqual(status.wait);
  });

  it('send-batch --wait --json: the same', async () => {
    const file = join(dir, 'batch.json');
    writeFileSync(file, JSON.stringify([{ phone: '13800138302', signName: N.sign, templateParam: { name: 'B' } }]));
    const r = await run(['send-batch', '--file', file, '--template', N.marketingTemplate, '--kind', 'marketing', '--yes', '--wait', '--timeout', '1s', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.waitStopped);
    expectIsoTimes((JSON.parse(r.stdout) as { status: StatusJson }).status);
  });

  it('send --dry-run --json: the plan\'s deadline and quiet-hours end as ISO (they were epoch ms)', async () => {
    const deadline = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString();
    const r = await run([...marketing('13800138303'), '--deadline', deadline, '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = (JSON.parse(r.stdout) as { plan: { deadline: unknown; quietUntil: unknown } }).plan;
    expect(plan.deadline).toBe(isoTime(Date.parse(deadline)));
    expect(plan.quietUntil).toMatch(ISO);
  });

  it('Redis lost during send --wait --json: stopped.reason "failed" with the error, and the status last read (it had none)', async () => {
    const { startPrivateRedis } = await import('../../src/runtime/private-redis.js');
    const own = await startPrivateRedis();
    try {
      const stdout = collector();
      const stderr = collector();
      const running = runCli([...marketing('13800138304'), '--wait', '--json'], { stdout, stderr, env: { ...env, REDIS_URL: own.url, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '300' } });
      // The warning comes just before the wait starts reading the status (every 250 ms).
      await waitFor(() => stderr.text.includes('warning: no worker serves'), 'the wait to start');
      await new Promise((r) => setTimeout(r, 1000));
      await own.stop();
      expect(await running, stderr.text).toBe(EXIT.waitStopped);
      const out = JSON.parse(stdout.text) as { sendId: string; status?: StatusJson; stopped: Record<string, unknown> };
      expect(out.stopped).toEqual({
        reason: 'failed',
        error: expect.stringMatching(/^Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer/),
        sendCancelled: false,
        statusCommand: `smsq status ${out.sendId}`,
      });
      expect(out.status?.send.sendId).toBe(out.sendId);
      expectIsoTimes(out.status!);
    } finally {
      await own.stop();
    }
  });
});

describe('--json times of smsq sandbox', () => {
  it('each send\'s status as `smsq status --json` prints it (they were epoch ms)', async () => {
    const r = await run(['sandbox', '--recipients', '5', '--json'], { SMSQ_PREFIX: undefined, SMS_ENDPOINT: undefined, SMSQ_QUIET_HOURS: 'off' });
    expect(r.code, r.stderr).toBe(0);
    const { sends } = JSON.parse(r.stdout) as { sends: StatusJson[] };
    expect(sends).toHaveLength(3);
    for (const s of sends) {
      expect(s.send.createdAt).toMatch(ISO);
      for (const change of s.send.history) expect(change.at).toMatch(ISO);
    }
  }, 60_000);
});
