import { describe, expect, it } from 'vitest';
import { LOOKUP_RESTART_FIRST_MS, LOOKUP_RESTART_MAX_MS, lookupRestartAt, lookupRestartDelayMs } from '../../src/queue/lookup-restart.js';

describe('lookupRestartDelayMs', () => {
  it('doubles from the first wait with each look-up made anew, up to the repair sweep\'s interval', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(lookupRestartDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
    expect(lookupRestartDelayMs(1)).toBe(LOOKUP_RESTART_FIRST_MS);
    expect(lookupRestartDelayMs(10_000)).toBe(LOOKUP_RESTART_MAX_MS);
  });

  it('reads a count below 1 (a job of an earlier version) as the first', () => {
    expect(lookupRestartDelayMs(0)).toBe(LOOKUP_RESTART_FIRST_MS);
  });
});

describe('lookupRestartAt', () => {
  it('is the back-off after now, with no end or before the end given', () => {
    expect(lookupRestartAt(1_000, 1)).toBe(6_000);
    expect(lookupRestartAt(1_000, 2, 11_001)).toBe(11_000);
  });

  it('is nothing when the back-off reaches the end given (a receipt window: no look-up past it)', () => {
    expect(lookupRestartAt(1_000, 2, 11_000)).toBeUndefined();
    expect(lookupRestartAt(1_000, 1, 500)).toBeUndefined();
  });
});
