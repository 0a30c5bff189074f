/**
 * `smsq sends | head -2`: a reader that closes stdout before the command is done. The command's
 * next write met EPIPE, an 'error' event no one handled, and smsq exited 1 with `Error: write EPIPE
 * ... at CliContext.print` on stderr. A closed stdout ends it quietly with 0, as Node CLIs commonly
 * do (npm, eslint): the reader took what it wanted, and `set -o pipefail` scripts do not fail on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq, SPAWNED_MS } from '../support/cli-process.js';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('smsq writing to a stdout its reader has closed', () => {
  for (const args of [['sends'], ['--help']]) {
    it(`smsq ${args.join(' ')}: exits 0 with nothing on stderr (it exited 1 with an unhandled EPIPE)`, async () => {
      const p = spawnSmsq(args, { REDIS_URL: redis.url, SMSQ_PREFIX: '{cli-epipe}', LOG_LEVEL: 'warn' });
      // The reader gone before the first line: every write of the command meets EPIPE.
      p.child.stdout!.destroy();
      expect(await p.exited).toBe(0);
      expect(p.stderr).toBe('');
    }, SPAWNED_MS);
  }
});
