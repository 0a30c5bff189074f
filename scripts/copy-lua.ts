/**
 * Copies the Lua scripts (`*.lua` under the compiled folders) into a build's output, keeping their
 * paths: tsc copies only what it compiles, and src/queue/lua-source.ts reads the scripts from
 * beside its compiled self. Part of `npm run build`; `tsx scripts/copy-lua.ts [outDir]` (default
 * dist). The bench and the suite's transpiled build (test/support/test-build.ts) call {@link copyLua} on their own output.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { argv } from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The folders tsconfig.build.json compiles. */
export const BUILD_FOLDERS = ['src', 'workers', 'producers', 'cli', 'server', 'exports'] as const;

function luaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return luaFiles(path);
    return entry.name.endsWith('.lua') ? [path] : [];
  });
}

/** Copies every `.lua` file of the build folders of `root` into `outDir`; returns how many. */
export function copyLua(outDir: string, root = ROOT): number {
  const files = BUILD_FOLDERS.flatMap((folder) => luaFiles(join(root, folder)));
  for (const file of files) {
    const target = join(outDir, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  return files.length;
}

if (argv[1] && resolve(argv[1]) === fileURLToPath(import.meta.url)) {
  if (copyLua(resolve(ROOT, argv[2] ?? 'dist')) === 0) throw new Error('no Lua scripts found under the build folders');
}
