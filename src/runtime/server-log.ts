import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { PortTakenError } from './free-port.js';

/**
 * Spawns a server whose stdout and stderr both go to `logFile`: redis-server logs to stdout and
 * writes a refused setting to stderr before any log, so the file holds why it exited either way.
 */
export function spawnLogged(command: string, args: readonly string[], logFile: string, opts: Omit<SpawnOptions, 'stdio'> = {}): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    return spawn(command, args, { ...opts, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/** Redis's words when a port it was told to listen on (clients', TLS, the Cluster bus) is taken. */
const BIND_REFUSED = /bind: Address already in use/;

/** The last `count` non-blank lines of a log file; '' when there is none. */
export function logTail(file: string, count = 6): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  return text.split('\n').filter((line) => line.trim() !== '').slice(-count).join('\n');
}

/**
 * The error for a redis-server (or sentinel) that exited while starting, carrying the last lines
 * of its output (spawnLogged), which say why: without them a failure on CI read only "exited with
 * code 1". A {@link PortTakenError} when it could not bind a port, which another port may cure.
 */
export function redisServerExited(what: string, exitCode: number | null, logFile: string): Error {
  const tail = logTail(logFile);
  const message = `${what} exited with code ${exitCode}${tail ? `; the last lines of ${logFile}:\n${tail}` : ` (nothing in ${logFile})`}`;
  return BIND_REFUSED.test(tail) ? new PortTakenError(message) : new Error(message);
}
