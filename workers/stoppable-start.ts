/**
 * A worker's start that its close() can cut short. Each step of the start (a Redis round trip,
 * which waits for ever while Redis is down) is raced against close(): once close() is called, the
 * start stops at the step it is in, and what that step sets up if it completes later (a timer, a
 * listener) is undone. close() then tears down knowing the start will set up nothing more.
 */

/** What a step rejects with once close() has been called; the start resolves as stopped on it. */
export const STOPPED: unique symbol = Symbol('smsq worker stopped while starting');

export interface StoppableStart {
  /**
   * `pending`, unless {@link stop} comes first (or came before): then rejects with {@link STOPPED}.
   * `undo` runs if `pending` resolves after stop() (a timer or listener it set up would outlive close).
   */
  step<T>(pending: Promise<T>, undo?: () => unknown): Promise<T>;
  /** Called by close(): the start stops at its current step. */
  stop(): void;
  readonly stopped: boolean;
}

const ignore = () => {};

export function createStoppableStart(): StoppableStart {
  let stopped = false;
  let signalStop: () => void = ignore;
  const whenStopped = new Promise<never>((_, reject) => {
    signalStop = () => reject(STOPPED);
  });
  whenStopped.catch(ignore);
  return {
    step(pending, undo) {
      const settled = pending.then((value) => {
        if (stopped) {
          void Promise.resolve(undo?.()).catch(ignore);
          throw STOPPED;
        }
        return value;
      });
      // When close() wins the race, how `pending` ends later concerns only `undo`.
      settled.catch(ignore);
      return Promise.race([settled, whenStopped]);
    },
    stop() {
      stopped = true;
      signalStop();
    },
    get stopped() {
      return stopped;
    },
  };
}
