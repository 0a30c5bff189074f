/**
 * `smsq worker` in sandbox mode without SMS_ENDPOINT starts an emulator of its own: a second worker
 * (or this one after a restart) looks receipts up in another emulator than the one that took the
 * send, and they stay `accepted` until the window expires them. It says so once at start.
 * In-process (`runCli`) against the test Redis.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createEmulator } from '../../src/emulator/index.js';
import { collector } from '../support/text-collector.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const prefix = uniquePrefix('sandbox-worker');
const redis = createTestConnection();

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

/** The worker's log lines from its start until it says it runs; then it is stopped. */
async function startLines(extraEnv: NodeJS.ProcessEnv): Promise<{ level: number; msg: string }[]> {
  const stderr = collector();
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', LOG_LEVEL: 'info', ...extraEnv };
  const running = () => stderr.text.includes('smsq worker running');
  const code = await runCli(['worker', '--concurrency', '1'], { stdout: collector(), stderr, env, waitForShutdown: () => waitFor(running, 'the worker to run').then(() => 'SIGTERM') });
  expect(code, stderr.text).toBe(0);
  return stderr.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
}

const ONE_EMULATOR_EACH = /^each smsq worker started without SMS_ENDPOINT runs an emulator of its own/;

describe('smsq worker in sandbox mode', () => {
  it('without SMS_ENDPOINT: one warning at start that several workers (or a restart) need one emulator (smsq emulator, SMS_ENDPOINT)', async () => {
    const lines = await startLines({});
    const warned = lines.filter((l) => ONE_EMULATOR_EACH.test(l.msg));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40 });
    expect(warned[0]!.msg).toMatch(/its receipts stay accepted until the receipt window expires them\. Fix: .*smsq emulator --port 8081.*SMS_ENDPOINT=127\.0\.0\.1:8081/);
  });

  it('with SMS_ENDPOINT (a standalone emulator): no such warning', async () => {
    const emulator = createEmulator();
    const { endpoint } = await emulator.listen();
    try {
      const lines = await startLines({ SMS_ENDPOINT: endpoint });
      expect(lines.filter((l) => ONE_EMULATOR_EACH.test(l.msg))).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});
