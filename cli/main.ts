#!/usr/bin/env node
/** The `smsq` executable: wires the process into {@link runCli} and exits with its code. */
import { createInterface } from 'node:readline/promises';
import { runCli } from './program.js';
import { signalOfExitCode } from './wait-stop.js';

/** Resolves on the first SIGINT/SIGTERM; a second one falls back to Node's default (exit at once). */
function waitForShutdown(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Asks on the terminal (prompt on stderr, so stdout stays clean); only "y" or "yes" is a yes. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  waitForShutdown,
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
});
await Promise.all([flush(process.stdout), flush(process.stderr)]);
// A command stopped by a signal it caught (send --wait on Ctrl-C) ends by that signal, its handler
// gone: a shell tells a Ctrl-C from an exit code 130, and only then stops a loop of such commands.
const signal = signalOfExitCode(code);
if (signal) process.kill(process.pid, signal);
// Exit explicitly: an SDK keep-alive socket must not hold a finished command open.
process.exit(code);
