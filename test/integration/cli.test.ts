/**
 * `smsq` as a child process (`node cli/main.js` of the run's build, test/support/test-build.ts), in live mode, against an emulator
 * started in this test process: the CLI talks to any Dysmsapi-compatible server named by
 * SMS_ENDPOINT, signing with the credentials from the environment. Spawns run concurrently; each
 * child is killed if it outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createSmsClient } from '../../src/sms/client.js';
import { cstDate } from '../../src/sms/dates.js';
import { builtFile } from '../support/test-build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEY = { accessKeyId: 'cli-it-key', accessKeySecret: 'cli-it-secret' };
const PHONE = '13800138000';

const children = new Set<ChildProcess>();

/** The parent's environment without anything smsq or the credential chain would read. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(SMS_|ALIBABA_CLOUD_|LOG_LEVEL$|REDIS_URL$)/.test(k)) env[k] = v;
  }
  return env;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [builtFile('cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...baseEnv(), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs the CLI to completion. */
function smsq(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('smsq as a child process, live mode against a Dysmsapi-compatible server', () => {
  let emulator: Emulator;
  let live: NodeJS.ProcessEnv;
  /**
   * The China Standard Time day the emulator filed the send under (its acceptedAt), not the day the
   * file was collected: a run across midnight CST could send on the next day.
   */
  let today: string;

  beforeAll(async () => {
    emulator = createEmulator({ accessKey: KEY, delivery: { delayMs: 0 } });
    const { endpoint } = await emulator.listen();
    live = {
      SMS_MODE: 'live',
      SMS_ENDPOINT: endpoint,
      SMS_PROTOCOL: 'http',
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    };
    const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...KEY } });
    const sent = await client.sendSms({ phoneNumbers: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: '张三', order: 'A-1' }, outId: 'cli-it' });
    expect(sent.ok).toBe(true);
    today = cstDate(emulator.accepted()[0]!.acceptedAt);
  });

  afterAll(async () => {
    // Tests run concurrently, so leftovers are only killed once all are done.
    for (const child of children) child.kill('SIGKILL');
    await emulator.close();
  });

  it.concurrent('signs: a table on stdout, nothing but logs on stderr', async () => {
    const r = await smsq(['signs'], live);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^1\\s+${N.sign}\\s+approved ✓`, 'm'));
    expect(r.stdout).toContain('4 signatures in all.');
    // Live mode: no sandbox warning.
    expect(r.stderr).not.toContain('SANDBOX');
  });

  it.concurrent('template --json: the template with its variables', async () => {
    const r = await smsq(['template', N.notificationTemplate, '--json'], live);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ templateCode: N.notificationTemplate, status: 'approved', approved: true, variables: ['name', 'order'] });
  });

  it.concurrent('details: the delivery of the message sent before', async () => {
    const r = await smsq(['details', '--phone', `+86${PHONE}`, '--date', today], live);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${PHONE}\\s+delivered\\s+DELIVERED\\s+${N.notificationTemplate}\\s`, 'm'));
    expect(r.stdout).toContain('尊敬的张三，您的订单A-1已发货');
  });

  it.concurrent('stats --json: the day with one message', async () => {
    const r = await smsq(['stats', '--start', today, '--end', today, '--json'], live);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: [{ sendDate: today, totalCount: 1 }], totals: { totalCount: 1 } });
  });

  it.concurrent('qualifications: a table', async () => {
    const r = await smsq(['qualifications'], live);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${N.approvedQualification}\\s+smsq沙箱科技有限公司张三`, 'm'));
  });

  it.concurrent('a wrong secret: SignatureDoesNotMatch with meaning and action, exit 2 (refused: fix the environment); --json too', async () => {
    const wrong = { ...live, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret' };
    const [text, json] = await Promise.all([smsq(['signs'], wrong), smsq(['signs', '--json'], wrong)]);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^error SignatureDoesNotMatch: \S.*$/m);
    expect(text.stderr).toMatch(/^what to do: \S.*$/m);
    expect(text.stderr).toMatch(/^request id: \S+$/m);
    expect(text.stderr).not.toContain('not-the-secret');
    expect(json.code).toBe(2);
    const body = JSON.parse(json.stdout) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 'SignatureDoesNotMatch', errorClass: 'account', httpStatus: 400 });
    expect(body.error.meaning).toEqual(expect.any(String));
    expect(body.error.action).toEqual(expect.any(String));
  });

  it.concurrent('a bad environment: one line naming the variable, exit 2', async () => {
    const r = await smsq(['signs'], { ...live, SMS_QPS: 'lots' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: SMS_QPS="lots" must be a whole number from 1 to 5000\. Fix: /)]);
  });

  it.concurrent('smsq emulator: answers calls, stops on SIGTERM', async () => {
    const child = spawnCli(['emulator', '--port', '0', '--json'], { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const nl = out.indexOf('\n');
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        void exited.then((code) => reject(new Error(`smsq emulator exited with ${code}: ${stderr}`)));
      });
      const info = JSON.parse(first) as { endpoint: string; accessKeyId: string; accessKeySource: string };
      expect(info).toMatchObject({ accessKeyId: KEY.accessKeyId, accessKeySource: 'ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET' });

      const r = await smsq(['sign', N.sign, '--json'], { ...live, SMS_ENDPOINT: info.endpoint });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ signName: N.sign, status: 'approved' });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).not.toContain(KEY.accessKeySecret);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
