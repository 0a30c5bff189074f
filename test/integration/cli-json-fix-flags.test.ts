/**
 * A refusal's fix in `--json` is spelled for the CLI, as the text line spells it: the person who
 * reads `issues[0].message` typed flags, and was told the REST body's `kind: "verification"` or
 * `templateParam: {"name":"..."}` while stderr said `--kind verification`. The issue's `field`
 * stays the request's own (docs/cli.md), for scripts. Real processes, a real Redis, the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { tempFileWriter } from '../support/temp-files.js';

const redis = createTestConnection();
const prefix = uniquePrefix('json-fix');
const children: CliProcess[] = [];
const writeFile = tempFileWriter('smsq-json-fix-');
let emulator: Emulator;
let endpoint: string;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  endpoint = (await emulator.listen()).endpoint;
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await emulator?.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function smsq(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnSmsq(args, { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' });
  children.push(p);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

interface Issue {
  field: string;
  message: string;
}

/** The refusal's issues in `--json`, after checking it is a refusal that wrote nothing. */
async function refusedIssues(args: string[]): Promise<{ issues: Issue[]; stderr: string }> {
  const r = await smsq([...args, '--json']);
  expect(r.code, r.stderr).toBe(EXIT.refused);
  // The pacer's and the account catalog's cache may be filled by the door's look-ups (harness-cli.ts).
  expect((await redis.keys(`${prefix}*`)).filter((k) => !/:(pacer|catalog:.*)$/.test(k))).toEqual([]);
  return { issues: (JSON.parse(r.stdout) as { error: { code: string; issues: Issue[] } }).error.issues, stderr: r.stderr };
}

describe('--json issues name the fix as the CLI takes it', () => {
  it(
    'a code template sent as marketing: the fix is `--kind verification` in the issue as on stderr; the field stays `kind`',
    async () => {
      const { issues, stderr } = await refusedIssues(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--kind', 'marketing', '--yes']);
      expect(issues[0]!.field).toBe('kind');
      expect(issues[0]!.message).toContain('Fix: `--kind verification`');
      expect(issues[0]!.message).not.toContain('kind: "verification"');
      expect(stderr).toContain(`error: --kind: ${issues[0]!.message}`);
    },
    SPAWNED_MS,
  );

  it(
    'a campaign file with only a number column: the fix is `--param \'{"name":"..."}\'`, not `templateParam: {...}`; the field stays `file:1`',
    async () => {
      const path = writeFile('c3.csv', 'mobile\n13800138000\n13900139000\n');
      const { issues, stderr } = await refusedIssues(['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, '--yes']);
      expect(issues[0]!.field).toBe('file:1');
      expect(issues[0]!.message).toContain('`--param \'{"name":"..."}\'`');
      expect(issues[0]!.message).not.toContain('templateParam');
      expect(stderr).toContain(`error: file:1: ${issues[0]!.message}`);
    },
    SPAWNED_MS,
  );
});
