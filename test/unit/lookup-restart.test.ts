import { describe, expect, it } from 'vitest';
import { LOOKUP_RESTART_FIRST_MS, LOOKUP_RESTART_MAX_MS, lookupRestartDelayMs } from '../../src/queue/lookup-restart.js';

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
