/**
 * What the package exports is what docs/package.md lists, and every error a public call can throw
 * is exported, so that a caller can test it with `instanceof` and read its fields typed:
 * `SendCancelledError`, thrown to a campaign cancelled while it was written, was neither.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Each entry point, its source under exports/. */
const ENTRIES = { smsq: 'index', 'smsq/worker': 'worker', 'smsq/server': 'server', 'smsq/emulator': 'emulator' } as const;
type Entry = keyof typeof ENTRIES;

/** The names (values and types) an entry's source exports, as `export { A, type B } from '…'` writes them. */
function exportedNames(entry: Entry): string[] {
  const source = readFileSync(join(ROOT, 'exports', `${ENTRIES[entry]}.ts`), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  return [...source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
    (m[1] as string)
      .split(',')
      .map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop() ?? '')
      .filter((name) => name !== ''),
  );
}

/** The identifiers docs/package.md's table names in backticks for `entry` (its row of "Entry points"). */
function documentedNames(entry: Entry): Set<string> {
  const row = readFileSync(join(ROOT, 'docs', 'package.md'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`| \`${entry}\` |`));
  if (row === undefined) throw new Error(`docs/package.md has no row for ${entry} in its table of entry points`);
  return new Set([...row.matchAll(/`([^`]+)`/g)].flatMap((m) => (m[1] as string).match(/[A-Za-z_$][\w$]*/g) ?? []));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every class of the package's code that is an Error, found by following `extends` to `Error` (or to a class of a dependency named `…Error`). */
function errorClasses(): Map<string, string> {
  const parents = new Map<string, { base: string; file: string }>();
  for (const file of ['src', 'producers', 'workers', 'server', 'exports'].flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
    for (const [, name, base] of readFileSync(file, 'utf8').matchAll(/^export (?:abstract )?class (\w+) extends (\w+)/gm)) {
      parents.set(name as string, { base: base as string, file: file.slice(ROOT.length + 1) });
    }
  }
  const isError = (name: string, seen = new Set<string>()): boolean => {
    if (name === 'Error' || seen.has(name)) return name === 'Error';
    const parent = parents.get(name);
    if (parent === undefined) return name.endsWith('Error');
    seen.add(name);
    return isError(parent.base, seen);
  };
  return new Map([...parents].filter(([name]) => isError(name)).map(([name, { file }]) => [name, file]));
}

/**
 * Error classes no public call lets out, each with why: a new error class is either exported from
 * `smsq` (and listed in docs/package.md) or named here.
 */
const NEVER_THROWN_TO_CALLERS: Readonly<Record<string, string>> = {
  CampaignCutOff: 'carries a campaign from the producer to its Redis gate, which throws the error under it (src/queue/redis-gate.ts)',
  HeaderWithoutPhoneError: 'a ValidationError (its class, code and name), whose own fields serve the workbook reader',
  CredentialResolutionError: 'reaches a caller as the SmsError InvalidCredentials (src/sms/errors.ts smsErrorFromThrown)',
  LookupRefusedError: "a worker's look-up job, retried or failed in the queue",
  ForbiddenCallbackAddressError: "a worker's callback job, failed in the queue",
  HttpError: "the server's answer to an HTTP client",
  ResponseContractError: "the server's check of its own answers (checkResponses), in tests",
  PortTakenError: "a private redis-server's port taken before it bound it (src/runtime/free-port.ts): `smsq sandbox`'s and the tests' Redis, started again on another port; no call of the package starts one",
};

/**
 * The errors the functions of `smsq/worker` and `smsq/server` throw, which those entries export
 * too: a service that imports only `smsq/worker` can test what `createSmsWorker` and `start()` throw.
 */
const THROWN_BY_ENTRY: readonly { entry: Entry; load: () => Promise<object>; thrown: readonly string[] }[] = [
  // createSmsWorker: options; start(): credentials, the database, durability; createRedisConnection: the URL; createSmsClient: its options.
  { entry: 'smsq/worker', load: () => import('../../exports/worker.js'), thrown: ['ConfigError', 'RedisAuthRefusedError', 'RedisDatabaseRefusedError', 'RedisNotDurableError', 'RedisUrlError', 'SmsClientOptionsError'] },
  // buildServer: authentication missing.
  { entry: 'smsq/server', load: () => import('../../exports/server.js'), thrown: ['ConfigError'] },
];

describe('the package entry points', () => {
  it.each(Object.keys(ENTRIES) as Entry[])('%s: docs/package.md names everything it exports', (entry) => {
    const names = exportedNames(entry);
    expect(names.length).toBeGreaterThan(5); // the scan itself works
    const documented = documentedNames(entry);
    expect(names.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('smsq exports every error class a public call can throw, and docs/package.md lists each', async () => {
    const classes = errorClasses();
    expect(classes.size).toBeGreaterThan(25); // the scan itself works
    const pkg = (await import('../../exports/index.js')) as Record<string, unknown>;
    const documented = documentedNames('smsq');
    const unexported = [...classes].filter(([name]) => !(name in NEVER_THROWN_TO_CALLERS) && typeof pkg[name] !== 'function').map(([name, file]) => `${name} (${file})`);
    expect(unexported).toEqual([]);
    expect([...classes.keys()].filter((name) => name in pkg && !documented.has(name))).toEqual([]);
    // An entry of the list that no longer exists is dropped from it.
    expect(Object.keys(NEVER_THROWN_TO_CALLERS).filter((name) => !classes.has(name))).toEqual([]);
  });

  it.each(THROWN_BY_ENTRY)('$entry exports the errors its functions throw, the same classes as smsq', async ({ load, thrown }) => {
    const module = (await load()) as Record<string, unknown>;
    const pkg = (await import('../../exports/index.js')) as Record<string, unknown>;
    expect(thrown.filter((name) => typeof module[name] !== 'function' || module[name] !== pkg[name])).toEqual([]);
  });
});
