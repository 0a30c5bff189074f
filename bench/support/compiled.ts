/**
 * Bench children compiled as users run smsq: tsc with the compiler options of `npm run build`
 * (tsconfig.build.json), started with plain `node` and no loader. Under tsx a child also runs
 * esbuild's output (a `__name` call for every function it creates, a loader isolate), which no
 * user process carries and which weighs on code that creates closures per job more than on a
 * small floor child (docs/benchmarks.md).
 *
 * Output goes to node_modules/.cache/smsq-bench-<name>/out (out of git, lint and the package;
 * incremental after the first run), under the repository so the compiled files resolve
 * node_modules as dist/ does; the Lua scripts are copied beside them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { copyLua } from '../../scripts/copy-lua.js';
import { REPO_ROOT } from './children.js';

/** Where {@link compileBenchEntries} builds under `name` (its output in `out/`). */
export function benchBuildDir(name: string): string {
  return join(REPO_ROOT, 'node_modules', '.cache', `smsq-bench-${name}`);
}

/**
 * Compiles `entries` (paths from the repository root, `.ts`) and returns the path of each one's
 * compiled `.js`, keyed by the entry as given.
 */
export function compileBenchEntries<E extends string>(name: string, entries: readonly E[]): Record<E, string> {
  const buildDir = benchBuildDir(name);
  mkdirSync(buildDir, { recursive: true });
  const fromBuild = (path: string) => relative(buildDir, join(REPO_ROOT, path));
  const config = {
    extends: fromBuild('tsconfig.build.json'),
    compilerOptions: { outDir: 'out', rootDir: fromBuild('.'), declaration: false, incremental: true, tsBuildInfoFile: 'out/tsconfig.tsbuildinfo' },
    include: entries.map(fromBuild),
  };
  writeFileSync(join(buildDir, 'tsconfig.json'), `${JSON.stringify(config, null, 2)}\n`);
  const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(buildDir, 'tsconfig.json')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc failed compiling the bench children (${entries.join(', ')}):\n${tsc.stdout}${tsc.stderr}`);
  copyLua(join(buildDir, 'out'));
  return Object.fromEntries(entries.map((entry) => [entry, join(buildDir, 'out', entry.replace(/\.ts$/, '.js'))])) as Record<E, string>;
}
