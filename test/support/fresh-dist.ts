/**
 * Whether dist/ is `npm run build` of the sources as they are now, so that the tests of the build
 * (the packed package, the compiled CLI) use it rather than compile the whole project again: CI
 * builds dist/ right before `npm test`, and a second tsc of every file took one worker 1-2 minutes
 * of a loaded run (docs/benchmarks.md, "Session 34: the suite's time").
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BUILD_FOLDERS } from '../../scripts/copy-lua.js';

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
