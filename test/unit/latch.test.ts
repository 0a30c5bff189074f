import { describe, expect, it } from 'vitest';
import { createLatch } from '../../src/latch.js';

describe('latch', () => {
  it('lets waiters pass while open, holds them from close to the next open, and one close is one hold', async () => {
    const latch = createLatch();
    expect(latch.wait()).toBeUndefined();
    latch.close();
    const first = latch.wait();
    latch.close(); // closing again holds on the same promise
    expect(latch.wait()).toBe(first);
    expect(latch.closed).toBe(true);
    let passed = false;
    void first?.then(() => (passed = true));
    await Promise.resolve();
    expect(passed).toBe(false);
    latch.open();
    await first;
    expect(passed).toBe(true);
    expect(latch.closed).toBe(false);
    expect(latch.wait()).toBeUndefined();
    latch.close();
    expect(latch.wait()).not.toBe(first);
  });
});
