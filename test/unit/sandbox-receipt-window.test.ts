import { describe, expect, it } from 'vitest';
import { sandboxReceiptWindowMs } from '../../cli/commands/sandbox-run.js';

describe('sandboxReceiptWindowMs', () => {
  it('leaves every recipient time to be looked up twice over at the cap, and two minutes for a busy machine (a fixed 30 s expired most of a large --recipients run)', () => {
    // The default run: 2,000 recipients at the default 4,500 calls a second.
    expect(sandboxReceiptWindowMs(2000, 4500)).toBe(120_000 + 889);
    // A million look-ups take 222 s at 4,500 a second: the window covers them twice.
    const million = sandboxReceiptWindowMs(1_000_000, 4500);
    expect(million).toBeGreaterThan(2 * (1_000_000 / 4500) * 1000);
    // A lower cap is a longer window.
    expect(sandboxReceiptWindowMs(2000, 10)).toBe(120_000 + 400_000);
  });
});
