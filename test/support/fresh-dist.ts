/**
 * dist/ as `npm run build` makes it from the sources as they are, for the tests of the build (the
 * packed package, the compiled CLI): built once for the run when it is stale, by whichever of them
 * comes first while the other waits. CI builds dist/ right before `npm test`, so there it is only
 * checked; each file compiling the whole project on its own took a worker 1-2 minutes of a loaded
 * run (docs/benchmarks.md, "Session 34: the suite's time").
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { BUILD_FOLDERS } from '../../scripts/copy-lua.js';
import { processAlive } from './test-build.js';

const run = promisify(execFile);

/** The `.ts` (not `.d.ts`) and `.lua` files under `dir`. */
async function builtSources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && ((e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) || e.name.endsWith('.lua'))).map((e) => join(e.parentPath, e.name));
}

/**
 * True when every source of the build folders has its compiled file in dist/ and every Lua script
 * its copy there (the build's second half, scripts/copy-lua.ts), each written after the source last
 * changed. A build under way (tsc done, the scripts not yet copied) is not fresh.
 */
export async function distIsFresh(root: string): Promise<boolean> {
  for (const folder of BUILD_FOLDERS) {
    for (const source of await builtSources(join(root, folder))) {
      const built = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
      const [s, b] = await Promise.all([stat(source), stat(built).catch(() => undefined)]);
      if (!b || b.mtimeMs < s.mtimeMs) return false;
    }
  }
  return true;
}

/** Runs `use` holding `<root>/.cache/dist-build.lock` (the holder's pid; a dead holder's lock is taken over). */
async function withBuildLock<T>(root: string, timeoutMs: number, use: () => Promise<T>): Promise<T> {
  mkdirSync(join(root, '.cache'), { recursive: true });
  const lock = join(root, '.cache', 'dist-build.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim() || 'NaN');
      // Written but not yet filled in, or held by a live process: wait; held by a dead one: take it.
      if (Number.isInteger(holder) && holder !== process.pid && !processAlive(holder)) unlinkSync(lock);
      else if (Date.now() > deadline) throw new Error(`dist/ is being built by process ${holder} for over ${timeoutMs} ms (${lock})`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await use();
  } finally {
    unlinkSync(lock);
  }
}

/** Builds dist/ with `npm run build` unless it is fresh, once among the files asking; resolves with its path. */
export async function freshDist(root: string, timeoutMs = 240_000): Promise<string> {
  await withBuildLock(root, timeoutMs, async () => {
    if (await distIsFresh(root)) return;
    await run('npm', ['run', 'build'], { cwd: root, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`npm run build failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
  });
  return join(root, 'dist');
}
