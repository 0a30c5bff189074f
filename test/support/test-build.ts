/**
 * The sources the tests run in child processes (`smsq`, the worker and library children), each
 * file transpiled on its own by esbuild once per suite run (what tsx does to each file it loads; no
 * bundling, no type check), with the Lua scripts beside them. Built by test/support/global-setup.ts,
 * handed to the tests through vitest's provide/inject. A child under tsx paid the loader's start
 * and a hook call for every module it loaded, most of a second of CPU per start (docs/benchmarks.md,
 * "Session 25: the suite's time").
 *
 * The folder is `<root>/.cache/test-build-<pid>`: outside node_modules, so a module's URL names a
 * package only when it is one (test/integration/cli-module-loading.test.ts reads package names from
 * the URLs under /node_modules/), yet under the root, so that the compiled files resolve
 * node_modules as the sources do.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { inject } from 'vitest';
import { BUILD_FOLDERS, copyLua } from '../../scripts/copy-lua.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where {@link buildTestSources} wrote this run's build. */
    testBuild: string;
  }
}

/** The folders transpiled: the package's, and the test helpers that child processes run. */
const FOLDERS = [...BUILD_FOLDERS, 'test/support'] as const;
const PREFIX = 'test-build-';

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the builds of suite runs that died before their teardown. */
function removeOrphanedBuilds(cache: string): void {
  if (!existsSync(cache)) return;
  for (const name of readdirSync(cache)) {
    const pid = Number(name.slice(PREFIX.length));
    if (name.startsWith(PREFIX) && Number.isInteger(pid) && !processAlive(pid)) rmSync(join(cache, name), { recursive: true, force: true });
  }
}

/** Transpiles the sources under `root` into a fresh folder; returns it and how to remove it. */
export async function buildTestSources(root: string): Promise<{ dir: string; remove(): void }> {
  const cache = join(root, '.cache');
  removeOrphanedBuilds(cache);
  const dir = join(cache, `${PREFIX}${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  await build({
    entryPoints: FOLDERS.flatMap((folder) => typeScriptFiles(join(root, folder))),
    outdir: dir,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'error',
  });
  copyLua(dir, root);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** This run's build folder. */
export function testBuildDir(): string {
  return inject('testBuild');
}

/** The compiled form of `source` (a `.ts` path from the root, e.g. `cli/main.ts`) in this run's build. */
export function builtFile(source: string): string {
  return join(testBuildDir(), source.replace(/\.ts$/, '.js'));
}
