/**
 * `smsq status --watch --json` prints one JSON line per change, and a consumer reads it line by
 * line (`jq -c`, `while read`): the error that ends it is one compact line too, whether Redis goes
 * away during the watch or a flag is refused before it starts. It was the pretty-printed error
 * document, `{` alone on its line, exactly when the consumer needed to understand the failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { runSmsqInProcess, type CliRun } from '../support/cli-run.js';
import { waitFor } from '../support/wait.js';

let emulator: Emulator;
let redis: PrivateRedis;
let env: NodeJS.ProcessEnv;
const children: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  redis = await startPrivateRedis();
  env = { REDIS_URL: redis.url, SMSQ_PREFIX: '{cli-watch-json}', SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' };
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await redis?.stop();
  await emulator?.close();
});

const run = (argv: string[]): Promise<CliRun> => runSmsqInProcess(argv, { env });

/** Each line of `stdout` parsed as JSON: fails on a line that is not a whole JSON document. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`line ${i} is not JSON: ${line}\n--- the whole output:\n${stdout}`);
    }
  });
}

describe('smsq status --watch --json: every line of stdout is one JSON document', () => {
  it('with --recipients, its last line holds the send and its recipients, as `status --recipients --json` does (they were dropped)', async () => {
    const sent = await run(['send', '--phones', '13800138001,13800138002', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--json']);
    expect(sent.code, sent.stderr).toBe(EXIT.ok);
    const { sendId } = JSON.parse(sent.stdout) as { sendId: string };
    // No worker serves the prefix: cancelled, the send ends, and so does the watch.
    const cancelled = await run(['campaign', 'cancel', sendId]);
    expect(cancelled.code, cancelled.stderr).toBe(EXIT.ok);
    const watch = await run(['status', sendId, '--watch', '--json', '--recipients']);
    expect(watch.code, watch.stderr).toBe(EXIT.ok);
    const lines = jsonLines(watch.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ sendId, state: 'cancelled' });
    expect(lines[1]).toMatchObject({ send: { sendId, state: 'cancelled' }, counts: { cancelled: 2 } });
    expect((lines[1]?.recipients as { phone: string; state: string }[]).map((r) => [r.phone, r.state]).sort()).toEqual([
      ['13800138001', 'cancelled'],
      ['13800138002', 'cancelled'],
    ]);
    // Without --recipients the lines are the watch's alone, as documented.
    const plain = await run(['status', sendId, '--watch', '--json']);
    expect(jsonLines(plain.stdout)).toEqual([expect.objectContaining({ sendId, state: 'cancelled' })]);
  });

  it('Redis gone during the watch: the error ends it as one compact line, exit 3', async () => {
    // No worker serves the prefix: the send stays queued and the watch goes on until Redis goes.
    const sent = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--json']);
    expect(sent.code, sent.stderr).toBe(EXIT.ok);
    const { sendId } = JSON.parse(sent.stdout) as { sendId: string };
    const watch = spawnSmsq(['status', sendId, '--watch', '--json'], env);
    children.push(watch);
    await waitFor(() => watch.stdout.includes('\n'), 'the first JSON line of the watch', SPAWNED_MS);
    await redis.stop();
    expect(await watch.exited, watch.stderr).toBe(EXIT.dependency);
    const lines = jsonLines(watch.stdout);
    expect(lines[0]).toMatchObject({ sendId, state: 'active' });
    expect(lines.at(-1)).toMatchObject({ error: { code: 'SMSQ_REDIS_UNAVAILABLE', errorClass: 'dependency' } });
  }, SPAWNED_MS + 30_000);

  it.each([
    ['a send id of another shape', ['status', 'no/such', '--watch', '--json']],
    ['a flag commander does not know', ['status', 'smx8raea837d634fdfd72', '--watch', '--json', '--bogus']],
    ['a flag without its value', ['status', 'smx8raea837d634fdfd72', '--watch', '--json', '--until']],
  ])('%s: the refusal is one compact line, exit 2', async (_name, argv) => {
    const r = await run(argv);
    expect(r.code).toBe(EXIT.refused);
    expect(jsonLines(r.stdout)).toEqual([{ error: expect.objectContaining({ code: 'SMSQ_BAD_FLAG' }) }]);
  });

  it('without --watch, --json is still one pretty-printed document', async () => {
    const r = await run(['status', 'no/such', '--json']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stdout).toMatch(/^\{\n {2}"error": \{\n/);
  });
});
