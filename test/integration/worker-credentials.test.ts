/**
 * `smsq worker` in live mode resolves its credentials at start, on this machine, without a Dysmsapi
 * call: without any it exits 2 naming the variables, instead of running and blocking the account
 * at its first job. Live mode here points SMS_ENDPOINT at an emulator of this test (SMS_ENDPOINT
 * overrides the live endpoint), and the ECS metadata service is turned off, so nothing leaves the
 * machine whatever the chain tries.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const KEY = { accessKeyId: 'worker-cred-key', accessKeySecret: 'worker-cred-secret' };
const prefix = uniquePrefix('wcred');
const redis = createTestConnection();
let emulator: Emulator;
let live: NodeJS.ProcessEnv;
const running: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ accessKey: KEY });
  const { endpoint } = await emulator.listen();
  live = {
    SMS_MODE: 'live',
    SMS_ENDPOINT: endpoint,
    SMS_PROTOCOL: 'http',
    // An empty home: no CLI profile, no credentials file.
    HOME: mkdtempSync(join(tmpdir(), 'smsq-home-')),
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: prefix,
    LOG_LEVEL: 'info',
  };
});

afterAll(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
});

/** Waits until the worker exits or says it runs, whichever comes first. */
async function startOrExit(p: CliProcess): Promise<'running' | number | string> {
  const runningLine = new Promise<'running'>((resolve) => {
    const poll = setInterval(() => {
      if (p.stderr.includes('smsq worker running')) {
        clearInterval(poll);
        resolve('running');
      }
    }, 50);
    void p.exited.finally(() => clearInterval(poll));
  });
  return Promise.race([runningLine, p.exited]);
}

describe('smsq worker in live mode', () => {
  it('with no credential anywhere: exits 2 at start naming the variables to set, and calls nothing', async () => {
    const p = spawnSmsq(['worker'], live);
    running.push(p);
    const outcome = await startOrExit(p);
    if (outcome === 'running') p.child.kill('SIGTERM');
    expect(outcome, p.stderr).toBe(2);
    expect(p.stderr).toMatch(/SMSQ_SMS_CLIENT_OPTIONS: SMS_MODE=live and no Alibaba Cloud credential was found \(.+\)\. Fix: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
    expect(p.stderr).not.toContain('smsq worker running');
    expect(emulator.calls()).toHaveLength(0);
  });

  it('with the AccessKey in the environment: runs, says where the credential came from, and calls nothing at start', async () => {
    const p = spawnSmsq(['worker'], { ...live, ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret });
    running.push(p);
    const outcome = await startOrExit(p);
    expect(outcome, p.stderr).toBe('running');
    const line = p.stderr.split('\n').find((l) => l.includes('smsq worker running'))!;
    expect(JSON.parse(line)).toMatchObject({ credentialSource: 'default/env', sandbox: false });
    expect(p.stderr).not.toContain(KEY.accessKeySecret);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(emulator.calls()).toHaveLength(0);
  });
});
