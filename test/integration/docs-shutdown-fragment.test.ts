/**
 * The producer's shutdown fragment of docs/package.md ("Closing the producer"), run as a service
 * runs it: a SIGTERM handler, met when Redis is already down. It ended the connection with
 * `await redis.quit()`, which rejects on a connection that does not queue commands (`role:
 * 'client'`: "Stream isn't writeable and enableOfflineQueue options is false"): inside the handler,
 * an unhandled rejection, and the process exited 1 with a stack. The fragment is read from the page,
 * so that what the page shows is what runs; the program around it makes what it names.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { extractBlocks } from '../support/doc-examples/extract.js';
import { packageEntrySources, rewritePackageImports } from '../support/doc-examples/package-entries.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'smsq-shutdown-fragment-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The page's block that installs the SIGTERM handler. */
function shutdownFragment(): string {
  const blocks = extractBlocks('docs/package.md', readFileSync(join(ROOT, 'docs', 'package.md'), 'utf8')).filter((b) => b.kind === 'ts' && b.body.includes("process.once('SIGTERM'"));
  expect(blocks).toHaveLength(1);
  return blocks[0]!.body;
}

describe("docs/package.md's shutdown fragment", () => {
  it('ends the process with exit 0 and no stack when SIGTERM comes with Redis down', { timeout: 60_000 }, async () => {
    const redis = await startPrivateRedis();
    try {
      const program = join(scratch, 'service.mts');
      const source = [
        "import { createLogger, createProducer, createRedisConnection } from 'smsq';",
        "const redis = createRedisConnection(process.env.REDIS_URL!, { role: 'client' });",
        'const producer = createProducer({ redis });',
        "const logger = createLogger({ level: 'warn' });",
        "await new Promise((resolve) => redis.once('ready', resolve)); // connected, as a service that has been serving",
        shutdownFragment(),
        "console.log('ready');",
      ].join('\n');
      writeFileSync(program, rewritePackageImports(source, packageEntrySources(ROOT)));
      const tsx = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
      const child = spawn(process.execPath, ['--import', tsx, program], { env: { ...process.env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the service did not start:\n${stdout}\n${stderr}`)), 30_000);
        child.stdout.on('data', () => {
          if (stdout.includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });

      await redis.stop();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000))]);
      if (code === 'still running after 20 s') child.kill('SIGKILL');
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      await redis.stop();
    }
  });
});
