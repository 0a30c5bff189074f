/**
 * Where `import ... from 'smsq'` (and `smsq/worker`, ...) in a docs example leads when the examples
 * check runs it from this checkout: the sources of the package's entry points.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type ExportTarget = string | { import?: string; default?: string; types?: string };

/**
 * Specifier (`smsq`, `smsq/worker`, ...) → absolute path of the entry's source file. `scratchDir`
 * receives the interim entry modules while there is no exports map.
 */
export function packageEntrySources(root: string, scratchDir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, ExportTarget> };
  if (!pkg.exports) return interimEntrySources(root, scratchDir);
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

/**
 * Until package.json has an `exports` map (issue 13, "An npm package a Node service can import"),
 * modules written to `scratchDir` that re-export by name what the entry points will export, from
 * where it is today. Delete this once the map exists.
 */
function interimEntrySources(root: string, scratchDir: string): Record<string, string> {
  const modules: Record<string, Record<string, string>> = {
    smsq: {
      'producers/producer.ts': 'createProducer',
      'src/queue/connection.ts': 'createRedisConnection',
      'src/sms/client.ts': 'createSmsClient',
      'src/sms/catalog-lookup.ts': 'createCatalogLookup',
      'src/logger.ts': 'createLogger',
      'src/errors.ts': 'SMSQ_CODES, ValidationError, NotFoundError, RedisUnavailableError, NotDurableError, RedisNotDurableError, IdempotencyKeyReusedError, IdempotencyInProgressError',
    },
    'smsq/worker': {
      'workers/sms-worker.ts': 'createSmsWorker',
      'src/queue/connection.ts': 'createRedisConnection',
      'src/sms/client.ts': 'createSmsClient',
      'src/logger.ts': 'createLogger',
    },
    'smsq/server': { 'server/build-server.ts': 'buildServer' },
    'smsq/emulator': { 'src/emulator/index.ts': 'createEmulator, DEFAULT_FIXTURES, DEFAULT_FIXTURE_NAMES', 'src/config.ts': 'SANDBOX_ACCESS_KEY' },
  };
  const entries: Record<string, string> = {};
  for (const [specifier, exported] of Object.entries(modules)) {
    const file = join(scratchDir, `${specifier.replace('/', '-')}.mts`);
    writeFileSync(file, Object.entries(exported).map(([from, names]) => `export { ${names} } from ${JSON.stringify(join(root, from))};`).join('\n'));
    entries[specifier] = file;
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
