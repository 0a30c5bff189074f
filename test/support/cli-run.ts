/** Runs `smsq` in this process (`runCli` with collected writers): what a spawned one prints and exits with, without a child process's start-up. */
import { CliContext } from '../../cli/context.js';
import { runCli, type CliDeps } from '../../cli/program.js';
import { collector } from './text-collector.js';

/** What a run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `smsq ...argv` with `deps` (its environment, clock, ...) and its output collected. */
export async function runSmsqInProcess(argv: readonly string[], deps: Omit<CliDeps, 'stdout' | 'stderr'>): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { ...deps, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * What a command that ended with `err` prints (stderr; --json's stdout, parsed), by the CLI's own
 * printer: the CLI's words for an error met through the library.
 */
export function printedByCli(err: unknown): { stderr: string; json: { error: { meaning: string } } } {
  const stdout = collector();
  const stderr = collector();
  new CliContext({ stdout, stderr, env: {} }).report(err, true);
  return { stderr: stderr.text, json: JSON.parse(stdout.text) as { error: { meaning: string } } };
}
