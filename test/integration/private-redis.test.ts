/**
 * A private redis-server (the sandbox's, the tests') does not outlive the process that started it,
 * even when that process ends without stopping it; started on a port something else took after it
 * was chosen (a race with any other process's listen), it is started again on another; a server
 * that exits for another reason is not, and the error says why. A real child process, a real server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/runtime/free-port.js';
import { redisAnswers, startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { listenOn } from '../support/tcp-front.js';
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

describe('private redis-server on a port taken before it bound it', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A port chooser whose first port a listener holds (the collision, made on purpose), then free ones. */
  async function takenFirst(): Promise<{ choosePort: () => Promise<number>; chosen: number[] }> {
    // It drops what connects to it: the wait for the first server to answer knocks here too.
    const holder: Server = createServer((socket) => socket.destroy());
    await listenOn(holder, 0);
    closers.push(() => new Promise((resolve) => holder.close(resolve)));
    const taken = (holder.address() as { port: number }).port;
    const chosen: number[] = [];
    return {
      chosen,
      async choosePort() {
        const port = chosen.length === 0 ? taken : await freePort();
        chosen.push(port);
        return port;
      },
    };
  }

  it('is started again on a fresh port, and answers there', async () => {
    const { choosePort, chosen } = await takenFirst();
    const redis: PrivateRedis = await startPrivateRedis({ appendfsync: 'off', choosePort });
    closers.push(() => redis.stop());
    expect(chosen).toHaveLength(2);
    expect(redis.port).toBe(chosen[1]);
    expect(await redisAnswers(redis.url)).toBe(true);
  });

  it('exiting for another reason (a refused setting), it is not started again, and the error carries what Redis said', async () => {
    const chosen: number[] = [];
    const choosePort = async () => {
      const port = await freePort();
      chosen.push(port);
      return port;
    };
    const started = startPrivateRedis({ appendfsync: 'off', hashMaxListpackValue: -1, choosePort });
    await expect(started).rejects.toThrow(/exited with code 1; the last lines of .*redis\.log:[\s\S]*argument must be a memory value/);
    expect(chosen).toHaveLength(1);
  });
});
