/**
 * What `smsq sandbox` prints for someone trying smsq for the first time: its own narration of the
 * run (what was enqueued, the counts each second, the final table), not the info log lines of the
 * worker and producer it runs, which said the same again as JSON between the progress lines.
 * LOG_LEVEL set by the user still has them. A child process on the test Redis.
 */
import { describe, expect, it } from 'vitest';
import { spawnSmsq } from '../support/cli-process.js';
import { testRedisUrl } from '../support/redis.js';

const jsonLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });

describe('smsq sandbox output', () => {
  it('narrates the run on stderr without the info logs of its worker and producer, unless LOG_LEVEL asks for them', async () => {
    const quiet = spawnSmsq(['sandbox', '--recipients', '20'], { REDIS_URL: testRedisUrl(), SMS_MODE: 'sandbox' });
    const verbose = spawnSmsq(['sandbox', '--recipients', '20'], { REDIS_URL: testRedisUrl(), SMS_MODE: 'sandbox', LOG_LEVEL: 'info' });
    expect(await quiet.exited, quiet.stderr).toBe(0);
    expect(await verbose.exited, verbose.stderr).toBe(0);
    expect(quiet.stderr).toMatch(/^enqueued: verification code /m);
    expect(quiet.stdout).toMatch(/campaign \(20\)\s+\S+\s+20\s/);
    // Warnings stay (the first says that no SMS leaves the machine; the test Redis draws a memory warning).
    const logged = jsonLines(quiet.stderr);
    expect(logged[0]?.msg).toMatch(/^SANDBOX MODE: no SMS leaves this machine/);
    expect(logged.filter((l) => l.level < 40)).toEqual([]);
    expect(jsonLines(verbose.stderr).map((l) => l.msg)).toEqual(expect.arrayContaining(['worker started', 'send enqueued', 'campaign enqueued']));
  }, 120_000);
});
