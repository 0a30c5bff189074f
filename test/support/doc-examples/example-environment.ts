/**
 * What the docs examples run in: a `smsq` command on the PATH that runs the CLI as it is now (the
 * suite's transpiled build, test/support/test-build.ts: under tsx each of a page's dozens of runs
 * paid the loader's start, seconds of CPU on a loaded 2-core machine), free
 * ports in place of the ports the pages name, the package's entry points, and a clean sandbox
 * environment pointed at a private Redis (docs/development.md, "Every example runs").
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { steadyPort } from '../steady-port.js';
import { cleanEnv } from '../cli-process.js';
import { builtFile } from '../test-build.js';
import { packageEntrySources } from './package-entries.js';

/** The ports the pages write; each is replaced by a free one. */
export const DOC_PORTS = [6380, 6390, 8080, 8081, 8082] as const;

export interface ExampleEnvironment {
  root: string;
  /** Where the shim and scratch files live. */
  scratch: string;
  env: NodeJS.ProcessEnv;
  /** A page's port → the free port used instead. */
  ports: ReadonlyMap<number, number>;
  /** `smsq`, `smsq/worker`, ... → the entry's source file. */
  entries: Readonly<Record<string, string>>;
  /** `--import` value that makes node run TypeScript (tsx). */
  tsxLoader: string;
}

export async function createExampleEnvironment(root: string, scratch: string, redisUrl: string): Promise<ExampleEnvironment> {
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  const tsxLoader = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  const shim = join(bin, 'smsq');
  writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(builtFile('cli/main.ts'))} "$@"\n`);
  chmodSync(shim, 0o755);
  const ports = new Map<number, number>();
  for (const port of DOC_PORTS) ports.set(port, await steadyPort());
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    REDIS_URL: redisUrl,
    SMSQ_SERVER_PORT: String(ports.get(8080)),
  };
  return { root, scratch, env, ports, entries: packageEntrySources(root), tsxLoader };
}

const SANDBOX_SCRIPT_PREFIX = 'npm ci && npm run build && ';

/**
 * A command as the page writes it, made runnable here: the CLI from source, `npm run sandbox`
 * without its install and build, free ports, and the send ids earlier examples printed.
 */
export function runnableCommand(command: string, environment: ExampleEnvironment, sendIds: ReadonlyMap<string, string>): string {
  let out = command;
  if (/\bnpm run sandbox\b/.test(out)) {
    const scripts = (JSON.parse(readFileSync(join(environment.root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const sandbox = scripts.sandbox ?? '';
    if (!sandbox.startsWith(SANDBOX_SCRIPT_PREFIX)) throw new Error(`package.json's sandbox script no longer starts with "${SANDBOX_SCRIPT_PREFIX}": update the examples check`);
    out = out.replace(/\bnpm run sandbox\b/g, sandbox.slice(SANDBOX_SCRIPT_PREFIX.length));
  }
  out = out
    .replace(/\bnpx smsq\b/g, 'smsq')
    .replace(/\bnode dist\/cli\/main\.js\b/g, 'smsq')
    .replace(/\bnpm run smsq --(?= )/g, 'smsq');
  for (const [page, free] of environment.ports) out = out.replace(new RegExp(`(?<![0-9])${page}(?![0-9])`, 'g'), String(free));
  for (const [shown, printed] of sendIds) out = out.split(shown).join(printed);
  return out;
}
