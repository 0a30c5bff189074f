/**
 * The calls a producer has under way, counted for its close(): it waits until none is, and when
 * its grace runs out it stops the campaigns among them through one AbortSignal, as a caller's own
 * signal stops a campaign (held paused with what it read), rather than leave them half-written
 * under a connection the caller is about to close.
 */

export interface CallsInFlight {
  /** `call`, counted until it settles; it is returned as it is. */
  track<T>(call: Promise<T>): Promise<T>;
  /** Calls under way now. */
  count(): number;
  /** Resolves once no call is under way (at once when none is). */
  idle(): Promise<void>;
  /** Aborts {@link signal} with `reason` (named in the stopped campaigns' messages). Once; later calls change nothing. */
  stop(reason: string): void;
  /** Given to every campaign (and dry run) with the caller's own: aborted by {@link stop}. */
  readonly signal: AbortSignal;
}

export function createCallsInFlight(): CallsInFlight {
  let count = 0;
  const waiting: (() => void)[] = [];
  const stopper = new AbortController();
  const ended = () => {
    count--;
    if (count > 0) return;
    for (const resolve of waiting.splice(0)) resolve();
  };
  return {
    track(call) {
      count++;
      // Its own outcome goes to its caller; here only that it settled.
      call.then(ended, ended);
      return call;
    },
    count: () => count,
    idle() {
      if (count === 0) return Promise.resolve();
      return new Promise((resolve) => waiting.push(resolve));
    },
    stop(reason) {
      if (!stopper.signal.aborted) stopper.abort(reason);
    },
    signal: stopper.signal,
  };
}

/** `own` (a caller's signal) and the producer's stop together: aborted by whichever aborts first, with its reason. */
export function withStop(own: AbortSignal | undefined, stop: AbortSignal): AbortSignal {
  return own === undefined ? stop : AbortSignal.any([own, stop]);
}
