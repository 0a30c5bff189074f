#!/usr/bin/env node
/** The `smsq` executable: wires the process into {@link runCli} and exits with its code. */
import { createInterface } from 'node:readline/promises';
import { constants } from 'node:os';
import { runsUntilStopped } from './commands/index.js';
import { signalOfExitCode } from './wait-stop.js';
import { isCampaignEnqueue, stoppedBeforeSendText } from './campaign-stop-words.js';
import { readVersion } from './version.js';
import { EXIT } from '../src/errors.js';

const argv = process.argv.slice(2);
let firstSignal: NodeJS.Signals | undefined;
const waiters: ((signal: string) => void)[] = [];
let forcedExit: ((signal: string) => void) | undefined;
/** The command has asked for the signal ({@link waitForShutdown}): from then on it answers it. */
let asked = false;
const campaignEnqueue = isCampaignEnqueue(argv);

/**
 * The first SIGINT/SIGTERM resolves {@link waitForShutdown}; a second one exits at once (128 + the
 * signal's number: 130, 143), after the command's one line on what it leaves undone. A campaign's
 * enqueue stopped before it watches for a signal (its modules loading, its producer opening, a
 * retry looked for) ends at once, as Node's default ended it, but says so: it ended silently, while
 * docs/cli.md promised `... before its send was created: nothing was enqueued`.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (firstSignal === undefined) {
    firstSignal = signal;
    if (campaignEnqueue && !asked) {
      const { stdout, stderr } = stoppedBeforeSendText(argv, signal);
      if (stdout) process.stdout.write(stdout);
      process.stderr.write(stderr);
      // Ended by the signal, as Node's default ended it (a shell tells a Ctrl-C by it: see the end of this file).
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    for (const resolve of waiters.splice(0)) resolve(signal);
    return;
  }
  forcedExit?.(signal);
  process.exit(128 + constants.signals[signal]);
}

let listening = false;
function listen(): void {
  if (listening) return;
  listening = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * A reader that closed stdout before the command was done (`smsq sends | head -2`) took what it
 * wanted: the next write met EPIPE, an 'error' event no one handled, and smsq exited 1 with a
 * stack on stderr. It ends the command quietly with 0 instead, as Node CLIs commonly do (npm,
 * eslint), not 141 as a C program killed by SIGPIPE: `set -o pipefail` scripts piping into `head`
 * do not fail on it, and what the command did (an enqueue printed after it is made) stands. A
 * command that runs until stopped (a worker, the server) stops as on SIGTERM instead, handing its
 * work back in order. A closed stderr only silences the rest: the exit code still tells how the
 * command ended.
 */
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  if (stdoutClosed) return;
  stdoutClosed = true;
  if (runsUntilStopped(argv)) {
    listen();
    onSignal('SIGTERM');
    return;
  }
  process.exit(EXIT.ok);
});
process.stderr.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

// A long-running command's modules (fastify, Bull Board, the SDK) take seconds to load on a busy
// machine: listening before they load makes a signal during start-up the command's to answer,
// instead of Node's silent exit. So for a campaign's enqueue, whose stop before its send exists is
// said (onSignal). Other commands keep Node's default until they wait for a signal.
if (runsUntilStopped(argv) || campaignEnqueue) listen();

/** Resolves on the first SIGINT/SIGTERM, including one that came while the command started. */
function waitForShutdown(): Promise<string> {
  asked = true;
  listen();
  if (firstSignal !== undefined) return Promise.resolve(firstSignal);
  return new Promise((resolve) => waiters.push(resolve));
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

/**
 * The version alone is printed here, as commander prints it: building the program loads commander,
 * zod and pino, most of the CPU a `smsq --version` took. With anything beside it, commander answers.
 */
async function run(): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${readVersion()}\n`);
    return EXIT.ok;
  }
  // Loaded after the listeners are in place (see above).
  const { runCli } = await import('./program.js');
  return runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    waitForShutdown,
    onForcedExit: (say) => (forcedExit = say),
    ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
  });
}

const code = await run();
await Promise.all([flush(process.stdout), flush(process.stderr)]);
// A command stopped by a signal it caught (send --wait on Ctrl-C) ends by that signal, its handler
// gone: a shell tells a Ctrl-C from an exit code 130, and only then stops a loop of such commands.
const signal = signalOfExitCode(code);
if (signal) {
  // Our listeners would answer it (exit 130 by code); without them the default ends the process by the signal.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.kill(process.pid, signal);
}
// Exit explicitly: an SDK keep-alive socket must not hold a finished command open.
process.exit(code);
