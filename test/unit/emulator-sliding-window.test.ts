import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../src/emulator/sliding-window.js';

describe('emulator sliding-window account cap', () => {
  it('admits up to the limit in any 1000 ms and refuses the next', () => {
    const w = new SlidingWindowLimiter(3);
    expect([w.tryAcquire(0), w.tryAcquire(10), w.tryAcquire(20)]).toEqual([true, true, true]);
    expect(w.tryAcquire(999)).toBe(false);
    expect(w.retryAfterMs(999)).toBe(1);
    // The call at t=0 leaves the window at t=1000, making room for exactly one.
    expect(w.tryAcquire(1000)).toBe(true);
    expect(w.tryAcquire(1000)).toBe(false);
    expect(w.tryAcquire(1010)).toBe(true);
  });

  it('does not count refused calls, so a hammering client gets in once the window slides', () => {
    const w = new SlidingWindowLimiter(2);
    w.tryAcquire(0);
    w.tryAcquire(0);
    for (let t = 1; t < 1000; t++) expect(w.tryAcquire(t)).toBe(false);
    expect(w.tryAcquire(1000)).toBe(true);
  });

  it('never lets more than the limit into any sliding second under a steady overload', () => {
    const limit = 50;
    const w = new SlidingWindowLimiter(limit);
    const admitted: number[] = [];
    for (let t = 0; t < 5000; t++) for (let k = 0; k < 3; k++) if (w.tryAcquire(t)) admitted.push(t);
    let maxInWindow = 0;
    let lo = 0;
    for (let hi = 0; hi < admitted.length; hi++) {
      while ((admitted[hi] as number) - (admitted[lo] as number) >= 1000) lo++;
      maxInWindow = Math.max(maxInWindow, hi - lo + 1);
    }
    expect(maxInWindow).toBe(limit);
    expect(admitted.length).toBe(limit * 5);
  });

  it('0 turns the cap off; setLimit and reset start afresh', () => {
    const w = new SlidingWindowLimiter(0);
    for (let i = 0; i < 10_000; i++) expect(w.tryAcquire(0)).toBe(true);
    w.setLimit(1);
    expect(w.tryAcquire(5)).toBe(true);
    expect(w.tryAcquire(6)).toBe(false);
    w.reset();
    expect(w.tryAcquire(7)).toBe(true);
  });
});
