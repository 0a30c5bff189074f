/**
 * `smsq server` opens its SMS runtime at start, as `smsq worker` does: in sandbox mode its
 * SANDBOX MODE warning comes before it listens (it came only with the first request that checked
 * the account), and in live mode a machine without any credential refuses the start (exit 2)
 * instead of serving requests that would each fail. Real processes, real Redis; live mode points
 * SMS_ENDPOINT at an emulator of this test with the ECS metadata service off, so nothing leaves.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('srvsms');
const redis = createTestConnection();
const running: CliProcess[] = [];
let emulator: Emulator;
let base: NodeJS.ProcessEnv;
let endpoint: string;

beforeAll(async () => {
  emulator = createEmulator({ accessKey: { accessKeyId: 'srv-key', accessKeySecret: 'srv-secret' } });
  ({ endpoint } = await emulator.listen());
  base = {
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: prefix,
    LOG_LEVEL: 'info',
    SMSQ_API_TOKEN: 'server-sms-start-token-0123456789',
    SMSQ_DASHBOARD_TOKEN: 'server-sms-start-dashboard-0123456789',
  };
});

afterAll(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
});

/** Waits until the server says it listens or exits, whichever comes first. */
async function listeningOrExit(p: CliProcess): Promise<'listening' | number | string> {
  const line = new Promise<'listening'>((resolve) => {
    const poll = setInterval(() => {
      if (p.stderr.includes('smsq server listening')) {
        clearInterval(poll);
        resolve('listening');
      }
    }, 20);
    void p.exited.finally(() => clearInterval(poll));
  });
  return Promise.race([line, p.exited]);
}

describe('smsq server opens its SMS runtime at start', () => {
  it('in sandbox mode says SANDBOX MODE before it listens, with no request made', async () => {
    const p = spawnSmsq(['server', '--port', '0'], { ...base, SMS_MODE: 'sandbox' });
    running.push(p);
    const outcome = await listeningOrExit(p);
    const atListen = p.stderr;
    p.child.kill('SIGTERM');
    expect(outcome, p.stderr).toBe('listening');
    const sandbox = atListen.indexOf('SANDBOX MODE: no SMS leaves this machine');
    expect(sandbox, atListen).toBeGreaterThanOrEqual(0);
    expect(sandbox).toBeLessThan(atListen.indexOf('smsq server listening'));
    expect(await p.exited).toBe(0);
  });

  it('in live mode with no credential anywhere exits 2 at start naming the variables to set', async () => {
    const p = spawnSmsq(['server', '--port', '0'], {
      ...base,
      SMS_MODE: 'live',
      SMS_ENDPOINT: endpoint,
      SMS_PROTOCOL: 'http',
      HOME: mkdtempSync(join(tmpdir(), 'smsq-home-')),
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    });
    running.push(p);
    const outcome = await listeningOrExit(p);
    if (outcome === 'listening') p.child.kill('SIGTERM');
    expect(outcome, p.stderr).toBe(2);
    expect(p.stderr).toMatch(/SMS_MODE=live and no Alibaba Cloud credential was found \(.+\)\. Fix: set ALIBABA_CLOUD_ACCESS_KEY_ID/);
    expect(p.stderr).not.toContain('smsq server listening');
    expect(emulator.calls()).toHaveLength(0);
  });
});
