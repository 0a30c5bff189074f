/**
 * The SMS runtime loads the emulator only in sandbox mode: a live process never carries its code.
 * Each mode runs in a child process whose module loads are logged (test/support/module-log.mjs).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../support/cli-process.js';
import { builtFile, testBuildDir } from '../support/test-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smsq-modules-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The project's own modules (paths from the root, compiled: `.js`) that opening the runtime in `mode` loaded. */
async function modulesLoadedBy(mode: 'live' | 'sandbox'): Promise<{ printed: unknown; modules: string[] }> {
  const logFile = join(dir, `${mode}.log`);
  const { stdout } = await run(process.execPath, ['--import', './test/support/module-log.mjs', builtFile('test/support/sms-runtime-child.ts'), mode], {
    cwd: ROOT,
    env: { ...cleanEnv(), SMSQ_TEST_MODULE_LOG: logFile },
    timeout: 20_000,
  });
  const rootUrl = `${pathToFileURL(testBuildDir()).href}/`;
  const modules = (await readFile(logFile, 'utf8'))
    .split('\n')
    .filter((url) => url.startsWith(rootUrl) && !url.includes('/node_modules/'))
    .map((url) => url.slice(rootUrl.length));
  return { printed: JSON.parse(stdout), modules };
}

describe('openSmsRuntime loads the emulator only in sandbox mode', () => {
  it('live: the client and its options are loaded, no module of src/emulator is', async () => {
    const { printed, modules } = await modulesLoadedBy('live');
    expect(printed).toEqual({ sandbox: false, endpoint: 'dysmsapi.aliyuncs.com' });
    expect(modules).toContain('src/runtime/sms-runtime.js');
    expect(modules).toContain('src/sms/client.js');
    expect(modules.filter((m) => m.startsWith('src/emulator/'))).toEqual([]);
  });

  it('sandbox without an endpoint: the emulator is loaded (the log sees it when it is there)', async () => {
    const { printed, modules } = await modulesLoadedBy('sandbox');
    expect(printed).toMatchObject({ sandbox: true, endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(modules).toContain('src/emulator/emulator.js');
  });
});
