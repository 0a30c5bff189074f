/**
 * Where `import ... from 'smsq'` (and `smsq/worker`, ...) in a docs example leads when the examples
 * check runs it from this checkout: the sources of the package's entry points.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type ExportTarget = string | { import?: string; default?: string; types?: string };

/**
 * Specifier (`smsq`, `smsq/worker`, ...) → absolute path of the entry's source file.
 */
export function packageEntrySources(root: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, ExportTarget> };
  if (!pkg.exports) throw new Error('package.json has no exports map: the docs examples import the package entries');
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : (target.import ?? target.default);
    if (!file || subpath.includes('*')) continue;
    // `./dist/exports/index.js` is built from `exports/index.ts`.
    const source = join(root, file.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
    if (!existsSync(source)) throw new Error(`package.json exports ${subpath} → ${file}, but its source ${source} does not exist`);
    entries[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`] = source;
  }
  return entries;
}

/** `source` with every `from 'smsq...'` (and `import('smsq...')`) pointing at `entries`. */
export function rewritePackageImports(source: string, entries: Readonly<Record<string, string>>): string {
  return source.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])(smsq(?:\/[^'"]*)?)\2/g, (whole, lead: string, quote: string, specifier: string) => {
    const target = entries[specifier];
    if (!target) throw new Error(`the example imports '${specifier}', which the package does not export (package.json "exports")`);
    return `${lead}${quote}${target}${quote}`;
  });
}
