/**
 * `smsq campaign`'s progress line on stderr counts every row it read: the opted-out rows too, as
 * the result table below it does (`opted out (skipped)`). It said "read 3, queued 1, rejected 1,
 * duplicates 0, chunks 1" for README's recipients.csv once 13900139000 had replied 退订: the counts
 * did not add up, and the third row was found only in stdout's table. A real `smsq server` takes
 * the reply at /v1/reports/sms-up; the campaigns are real `smsq` processes; a real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { tempFileWriter } from '../support/temp-files.js';
import { startSmsqServer, type RunningServer } from '../support/smsq-server.js';

const REPORT_TOKEN = 'progress-report-token-0123456789';
const redis = createTestConnection();
const prefix = uniquePrefix('progress-opt-out');
const children: CliProcess[] = [];
const writeFile = tempFileWriter('smsq-progress-');
let emulator: Emulator;
let env: NodeJS.ProcessEnv;
let serverUrl: string;
let server: RunningServer | undefined;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off', SMSQ_REPORT_TOKEN: REPORT_TOKEN };
  server = await startSmsqServer(env, ['--insecure']);
  serverUrl = server.url;
}, SPAWNED_MS);

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  if (server) expect(await server.stop()).toBe(0);
  await emulator?.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function smsq(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnSmsq(args, env);
  children.push(p);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** The progress lines of a campaign's stderr (one a line without a terminal). */
const progressLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('read '));

describe('the campaign progress line counts the opted-out rows', () => {
  it(
    "README's recipients.csv after 13900139000 replied 退订: read 3 = queued 1 + rejected 1 + duplicates 0 + opted out 1",
    async () => {
      const path = writeFile('recipients.csv', 'phone,name\n13800138000,Li\n13900139000,Wang\n12345,Zhao\n');
      const campaign = ['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, '--yes'];
      // The first campaign sends to 13900139000: only a number smsq sent to may opt out.
      const first = await smsq(campaign);
      expect(first.code, first.stderr).toBe(0);
      expect.soft(progressLines(first.stderr).at(-1)).toBe('read 3, queued 2, rejected 1, duplicates 0, opted out 0, chunks 1');

      const reply = await fetch(`${serverUrl}/v1/reports/sms-up`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-smsq-report-token': REPORT_TOKEN },
        body: JSON.stringify([{ phone_number: '13900139000', content: '退订', send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: 1 }]),
      });
      expect(reply.status).toBe(200);

      const second = await smsq(campaign);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/^opted out \(skipped\)\s+1$/m);
      const last = progressLines(second.stderr).at(-1)!;
      expect.soft(last).toBe('read 3, queued 1, rejected 1, duplicates 0, opted out 1, chunks 1');
      const count = (name: string) => Number(new RegExp(`${name} (\\d+)`).exec(last)![1]);
      expect(count('read')).toBe(count('queued') + count('rejected') + count('duplicates') + count('opted out'));
    },
    SPAWNED_MS * 3,
  );
});
