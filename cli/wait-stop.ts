/**
 * What ends a send command before the send is through: `--timeout`, or a shutdown signal (Ctrl-C)
 * once the send is enqueued. Either way the send is not cancelled: the command prints its id and
 * how to check on it where its output goes, and exits with a code of its own.
 */
import { constants } from 'node:os';
import { EXIT } from '../src/errors.js';
import type { CliContext } from './context.js';
import { formatDuration } from './duration.js';
export { pause } from '../src/pause.js';

/** Why a send command stopped before its send was through: the wait's error is said in `error`. */
export type WaitStop = { reason: 'timeout'; timeoutMs: number } | { reason: 'interrupted'; signal: string } | { reason: 'failed'; error: string };

/** Watches for what stops a wait; {@link WaitStopWatch.dispose} when the command is done with it. */
export interface WaitStopWatch {
  /** Aborted when the command should stop waiting. */
  readonly signal: AbortSignal;
  /** Why it stopped; undefined while it has not. */
  readonly stopped: WaitStop | undefined;
  dispose(): void;
}

/**
 * Starts watching: the shutdown signal (`deps.waitForShutdown`) from now on, and the timeout when
 * one is given (monotonic time, counted from now: after the enqueue).
 */
export function watchForStop(ctx: CliContext, timeoutMs: number | undefined): WaitStopWatch {
  const controller = new AbortController();
  let stopped: WaitStop | undefined;
  const stop = (why: WaitStop) => {
    if (stopped) return;
    stopped = why;
    // The signal's name as the reason: a campaign stopped by it names it in what it says.
    controller.abort(why.reason === 'interrupted' ? why.signal : why.reason);
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop({ reason: 'timeout', timeoutMs }), timeoutMs);
  void ctx.deps.waitForShutdown?.().then((signal) => stop({ reason: 'interrupted', signal }));
  return {
    signal: controller.signal,
    get stopped() {
      return stopped;
    },
    dispose: () => clearTimeout(timer),
  };
}

/** The exit code of a stop: {@link EXIT.waitStopped}, or 128 + the signal's number as shells count it. */
export function exitCodeOfStop(stop: WaitStop): number {
  if (stop.reason === 'timeout' || stop.reason === 'failed') return EXIT.waitStopped;
  if (stop.signal === 'SIGINT') return EXIT.interrupted;
  if (stop.signal === 'SIGTERM') return EXIT.terminated;
  const number = (constants.signals as Record<string, number | undefined>)[stop.signal];
  return number === undefined ? EXIT.interrupted : 128 + number;
}

/** The signal a process that exits with `code` was stopped by (130 → SIGINT, 143 → SIGTERM); undefined for other codes. */
export function signalOfExitCode(code: number): NodeJS.Signals | undefined {
  if (code === EXIT.interrupted) return 'SIGINT';
  if (code === EXIT.terminated) return 'SIGTERM';
  return undefined;
}

/** The stop in the `--json` output, beside what a finished command prints. */
export function stopJson(stop: WaitStop, sendId: string) {
  return { ...stop, sendCancelled: false, statusCommand: `smsq status ${sendId}` };
}

/**
 * The stop for a person (stderr): what stopped, what is left and why it waits (`why`, from the
 * status: no worker, quiet hours, ...), that the send goes on, and the command to check on it.
 */
export function stopNote(stop: WaitStop, sendId: string, left?: { pending: number; why: string | undefined }): string {
  const held = left === undefined ? '' : ` with ${left.pending} recipient${left.pending === 1 ? '' : 's'} not yet past the API${left.why === undefined ? '' : ` (${left.why})`}`;
  // A wait that failed (Redis lost) must not read as a send that failed: running the command again would send it twice.
  if (stop.reason === 'failed') return `the wait failed after the enqueue: ${stop.error}. The send is enqueued and goes on once Redis answers: do not send it again. Check on it: smsq status ${sendId}`;
  let what: string;
  if (stop.reason === 'timeout') what = `stopped waiting after ${formatDuration(stop.timeoutMs)} (--timeout)${held}`;
  else what = left === undefined ? `interrupted (${stop.signal}) after the enqueue` : `interrupted (${stop.signal}): stopped waiting${held}`;
  return `${what}. The send is not cancelled: it goes on without this command. Check on it: smsq status ${sendId} (--watch follows it)`;
}
