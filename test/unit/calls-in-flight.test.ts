import { describe, expect, it } from 'vitest';
import { createCallsInFlight, withStop } from '../../producers/calls-in-flight.js';

/** A promise settled from outside. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether `p` has settled once pending callbacks have run. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  return settled;
}

describe('createCallsInFlight', () => {
  it('is idle at once with no call under way', async () => {
    const calls = createCallsInFlight();
    expect(calls.count()).toBe(0);
    expect(await isSettled(calls.idle())).toBe(true);
  });

  it('is idle only once every call tracked has settled, resolved or rejected', async () => {
    const calls = createCallsInFlight();
    const a = deferred<string>();
    const b = deferred<string>();
    const tracked = calls.track(a.promise);
    const failing = calls.track(b.promise);
    expect(calls.count()).toBe(2);
    const idle = calls.idle();
    a.resolve('sent');
    expect(await tracked).toBe('sent');
    expect(await isSettled(idle)).toBe(false);
    b.reject(new Error('refused'));
    // The call's own rejection reaches its caller, unchanged.
    await expect(failing).rejects.toThrow('refused');
    expect(await isSettled(idle)).toBe(true);
    expect(calls.count()).toBe(0);
  });

  it('stop() aborts its signal once, with the first reason', () => {
    const calls = createCallsInFlight();
    expect(calls.signal.aborted).toBe(false);
    calls.stop('producer closed after its 100 ms grace');
    calls.stop('another reason');
    expect(calls.signal.aborted).toBe(true);
    expect(calls.signal.reason).toBe('producer closed after its 100 ms grace');
  });
});

describe('withStop', () => {
  it('is the stop alone without a signal of the caller', () => {
    const stop = new AbortController();
    expect(withStop(undefined, stop.signal)).toBe(stop.signal);
  });

  it('aborts with whichever aborts first, and its reason', () => {
    const own = new AbortController();
    const stop = new AbortController();
    const both = withStop(own.signal, stop.signal);
    expect(both.aborted).toBe(false);
    own.abort('SIGINT');
    stop.abort('producer closed');
    expect(both.aborted).toBe(true);
    expect(both.reason).toBe('SIGINT');

    const later = withStop(new AbortController().signal, stop.signal);
    expect(later.reason).toBe('producer closed');
  });
});
