/**
 * `smsq` loads a command's heavy packages only when that command runs: `--version`, `--help` and a
 * refused flag load none of them, and a command loads what it uses and nothing of the others
 * (`signs` the SDK, not BullMQ or the server). Every invocation had loaded them all, seconds of CPU
 * before a one-line answer (docs/benchmarks.md, "Session 22: CLI start-up").
 *
 * Each run is a child `smsq` whose module loads are logged (test/support/module-log.mjs); the
 * packages are read from the URLs under node_modules.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { SPAWNED_MS, spawnSmsq } from '../support/cli-process.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';

/** What no command needs before it runs: the queue, the server, the SDK, metrics, tracing, file readers. */
const HEAVY = /^(bullmq|ioredis|fastify|@fastify\/|@bull-board\/|@alicloud\/|@darabonba\/|prom-client|@opentelemetry\/|papaparse|iconv-lite|exceljs|yauzl)/;

const dir = mkdtempSync(join(tmpdir(), 'smsq-cli-modules-'));
let emulator: Emulator;
let env: NodeJS.ProcessEnv;
let runs = 0;

beforeAll(async () => {
  emulator = createEmulator();
  const { endpoint } = await emulator.listen();
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: uniquePrefix('climodules'), SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `smsq argv`; its exit code, stdout, the modules it loaded (URLs) and the packages among them (names, sorted). */
async function packagesLoadedBy(argv: string[]): Promise<{ code: number | string; stdout: string; stderr: string; modules: string[]; packages: string[] }> {
  const logFile = join(dir, `run-${++runs}.log`);
  const cli = spawnSmsq(argv, { ...env, SMSQ_TEST_MODULE_LOG: logFile }, ['--import', './test/support/module-log.mjs']);
  const code = await cli.exited;
  const packages = new Set<string>();
  const modules = readFileSync(logFile, 'utf8').split('\n');
  for (const url of modules) {
    const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
    if (name !== undefined) packages.add(name);
  }
  return { code, stdout: cli.stdout, stderr: cli.stderr, modules, packages: [...packages].sort() };
}

const heavy = (packages: string[]) => packages.filter((p) => HEAVY.test(p));

describe('smsq loads a command\'s heavy packages only when it runs', () => {
  it('--version loads no package at all: not even commander, zod or pino', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await packagesLoadedBy([flag]);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      // The log sees the loads: the executable is there.
      expect(run.modules.some((url) => url.endsWith('/cli/main.js'))).toBe(true);
      expect(run.packages).toEqual([]);
    }
  }, 2 * SPAWNED_MS);

  it('--help, which lists every command, loads none of them', async () => {
    const run = await packagesLoadedBy(['--help']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toContain('server');
    expect(heavy(run.packages)).toEqual([]);
  }, SPAWNED_MS);

  it('a flag refused by commander or by the flag schema loads none of them', async () => {
    const unknown = await packagesLoadedBy(['signs', '--bogus']);
    expect(unknown.code).toBe(EXIT.refused);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect(heavy(unknown.packages)).toEqual([]);
    const outOfRange = await packagesLoadedBy(['sends', '--limit', '0']);
    expect(outOfRange.code).toBe(EXIT.refused);
    expect(outOfRange.stderr).toContain('--limit');
    expect(heavy(outOfRange.packages)).toEqual([]);
  }, 2 * SPAWNED_MS);

  it('signs loads the SDK, and neither BullMQ nor the server', async () => {
    const run = await packagesLoadedBy(['signs', '--json']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.packages).toContain('@alicloud/dysmsapi20170525');
    expect(heavy(run.packages).filter((p) => /^(bullmq|fastify|@bull-board\/|prom-client|papaparse|iconv-lite)/.test(p))).toEqual([]);
  }, SPAWNED_MS);

  it('sends, which reads the send index, loads BullMQ and none of the file readers', async () => {
    // The producer's campaign code named one message of the decoder's module, and that import
    // brought iconv-lite into every command that opens a producer.
    const run = await packagesLoadedBy(['sends', '--json']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.packages).toContain('bullmq');
    expect(heavy(run.packages).filter((p) => /^(iconv-lite|papaparse|exceljs|yauzl)$/.test(p))).toEqual([]);
  }, SPAWNED_MS);
});
