/**
 * The Alibaba SDK is loaded when an SMS client is created (src/sms/client.ts). When it cannot be
 * loaded (a broken install), a call answers an `account` failure saying nothing was sent, as the
 * SmsClient contract says (calls never throw), and a process opening the SMS runtime fails at
 * start naming the SDK, not a missing credential. A child process whose module loader refuses the
 * SDK package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtFile } from '../support/test-build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runWithoutSdk(script: string): { stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-no-sdk-'));
  const hook = join(dir, 'no-sdk.mjs');
  writeFileSync(
    hook,
    "import { register } from 'node:module';\n" +
      "register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, n) { if (s === '@alicloud/dysmsapi20170525') throw new Error('simulated: the package is missing'); return n(s, c); }`));\n",
  );
  const file = join(dir, 'script.mjs');
  writeFileSync(file, script);
  const run = spawnSync(process.execPath, ['--import', hook, file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status };
}

describe('the Alibaba SDK cannot be loaded', () => {
  it('a call answers an account failure (nothing was sent) instead of throwing; opening the SMS runtime fails naming the SDK', () => {
    const client = pathToFileURL(builtFile('src/sms/client.ts')).href;
    const runtime = pathToFileURL(builtFile('src/runtime/sms-runtime.ts')).href;
    const run = runWithoutSdk(`
      const { createSmsClient } = await import(${JSON.stringify(client)});
      const c = createSmsClient({ endpoint: '127.0.0.1:9', protocol: 'http', credential: { kind: 'access-key', accessKeyId: 'a', accessKeySecret: 'b' } });
      const outcome = await c.sendSms({ phoneNumbers: ['13800138000'], signName: 's', templateCode: 'SMS_1', outId: 'x' });
      console.log(JSON.stringify({ ok: outcome.ok, code: outcome.ok ? '' : outcome.error.code, errorClass: outcome.ok ? '' : outcome.error.errorClass, message: outcome.ok ? '' : outcome.error.message }));
      const { confirmLiveCredentials } = await import(${JSON.stringify(runtime)});
      try { await confirmLiveCredentials(); console.log('credentials confirmed'); } catch (e) { console.log('confirm: ' + e.message); }
    `);
    expect(run.status, run.stderr).toBe(0);
    const [first, second] = run.stdout.trim().split('\n');
    expect(JSON.parse(first as string)).toMatchObject({ ok: false, code: 'SdkUnavailable', errorClass: 'account', message: expect.stringMatching(/could not be loaded: .*simulated.*nothing was sent\. Fix: reinstall/) });
    expect(second).toMatch(/^confirm: the Alibaba SDK .* could not be loaded/);
  });
});
