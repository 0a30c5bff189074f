/**
 * A private redis-server (the sandbox's, the tests') does not outlive the process that started it,
 * even when that process ends without stopping it: a real child process, a real server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisAnswers } from '../../src/runtime/private-redis.js';
import { builtFile } from '../support/test-build.js';
import { waitFor } from '../support/wait.js';

/** Starts a private Redis in a child process that then exits as `how` says, never calling stop(). */
async function orphanedBy(how: 'exit' | 'uncaught'): Promise<{ url: string; dir: string }> {
  const code = `
    import { startPrivateRedis } from ${JSON.stringify(pathToFileURL(builtFile('src/runtime/private-redis.ts')).href)};
    const redis = await startPrivateRedis({ appendfsync: 'off' });
    console.log(JSON.stringify({ url: redis.url, dir: redis.dir }));
    ${how === 'exit' ? 'process.exit(0);' : "setTimeout(() => { throw new Error('a crash'); }, 10);"}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out.trim().split('\n').at(-1) as string) as { url: string; dir: string };
}

describe('private redis-server', () => {
  for (const how of ['exit', 'uncaught'] as const) {
    it(`stops with the process that started it (${how === 'exit' ? 'process.exit' : 'an uncaught error'}) and leaves no data directory`, async () => {
      const { url, dir } = await orphanedBy(how);
      await waitFor(async () => !(await redisAnswers(url, 300)), `the server at ${url} to stop`, 10_000, 100);
      expect(existsSync(dir)).toBe(false);
    });
  }
});
