/** Runs `smsq` as a child process (the run's transpiled build), for tests that need a real process: exit codes, stderr as printed, signals. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtFile } from './test-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
export const SPAWNED_MS = 60_000;

/** The parent's environment without anything smsq, the SDK's credential chain, OpenTelemetry or Redis would read. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SMS_|SMSQ_|ALIBABA_CLOUD_|OTEL_|LOG_LEVEL$|REDIS_URL$)/.test(k)) env[k] = v;
  return env;
}

/** A running `smsq` child with its output collected as it arrives. */
export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/** `nodeArgs` go before the script (e.g. more `--import` preloads). */
export function spawnSmsq(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, builtFile('cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
  };
}

/** What `waiting` resolves with; fails at once, with its stderr, if `p` exits first (a refused REDIS_URL, say). */
export function untilExited<T>(p: CliProcess, waiting: Promise<T>): Promise<T> {
  return Promise.race([waiting, p.exited.then((code) => Promise.reject(new Error(`smsq exited (${code}) first: ${p.stderr}`)))]);
}
