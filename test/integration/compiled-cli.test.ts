/**
 * The build as it ships: `npm run build` (tsc -p tsconfig.build.json, then the copy of the Lua
 * scripts, scripts/copy-lua.ts), run with plain node. tsc does not copy the `.lua` files the stores
 * load; without them the compiled CLI fails at its first script. The build is dist/, made by
 * `npm run build` when it is stale, once for this file and the package test (test/support/fresh-dist.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SendStatus } from '../../src/queue/send-store.js';
import { cleanEnv } from '../support/cli-process.js';
import { freshDist } from '../support/fresh-dist.js';
import { createTestConnection, testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** dist/, once beforeAll has it fresh. */
let out = join(ROOT, 'dist');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(out, 'cli/main.js'), ...args], { cwd: ROOT, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the compiled CLI', () => {
  /** Lua scripts beside the build: `npm run build` copies them (tsc alone takes a minute on a loaded machine, so once for the file's tests). */
  let luaCopied = 0;
  beforeAll(async () => {
    out = await freshDist(ROOT);
    luaCopied = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lua')).length;
  }, 300_000);

  it('runs the sandbox end to end with the Lua scripts the build copied', async () => {
    expect(luaCopied).toBeGreaterThan(10);
    expect(existsSync(join(out, 'src/queue/lua/transition-7.lua'))).toBe(true);
    const r = await run(['sandbox', '--recipients', '20', '--json'], { REDIS_URL: testRedisUrl(), SMS_MODE: 'sandbox', LOG_LEVEL: 'warn' });
    expect(r.code, r.stderr).toBe(0);
    const { sends } = JSON.parse(r.stdout) as { sends: SendStatus[] };
    expect(sends.map((s) => s.counts.delivered)).toEqual([1, 2, 20]);
  }, 300_000);

  it('a sandbox run stopped by Ctrl-C says so, removes its keys and ends by SIGINT (it stopped silently and left them)', async () => {
    const redis = createTestConnection();
    const sandboxKeys = async () => (await redis.keys('{smsq-sandbox-*')).length;
    const before = await sandboxKeys();
    const child = spawn(process.execPath, [join(out, 'cli/main.js'), 'sandbox', '--recipients', '20000'], {
      cwd: ROOT,
      env: { ...cleanEnv(), REDIS_URL: testRedisUrl(), SMS_MODE: 'sandbox', LOG_LEVEL: 'warn', SMS_QPS: '500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor(() => /enqueued: /.test(stderr), 'the sandbox to enqueue its sends', 120_000);
      child.kill('SIGINT');
      const { code, signal } = await ended;
      expect(signal ?? code, stderr).toBe(code === null ? 'SIGINT' : 130);
      expect(stderr).toMatch(/sandbox: stopped by SIGINT before every send was through; removing this run's keys/);
      expect(stderr).not.toMatch(/campaign: 0 queued/);
      // The run used the test Redis (it keeps the default durability mode), whose keys are counted here.
      expect(stderr).not.toMatch(/starting a private redis-server/);
      expect(await sandboxKeys()).toBe(before);
    } finally {
      child.kill('SIGKILL');
      redis.disconnect();
    }
  }, 300_000);
});
