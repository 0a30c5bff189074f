import { runCli } from '../../cli/program.js';
import type { Harness } from './pipeline.js';
import { testRedisUrl } from './redis.js';
import { collector } from './text-collector.js';

/**
 * The real `smsq` (in process) on a harness's Redis prefix and emulator, in sandbox mode, quiet
 * hours off (a marketing send is not held by the hour the test runs at).
 */
export async function cliOnHarness(h: Harness, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collector();
  const stderr = collector();
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'error', SMSQ_QUIET_HOURS: 'off' };
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * smsq's keys under the harness's prefix, sorted; the pacer's and the account catalog's cache
 * left out (a look-up of the signature or template may fill them before a refusal).
 */
export async function sendKeysOf(h: Harness): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}*`)).filter((k) => !/:(pacer|catalog:.*)$/.test(k)).sort();
}
