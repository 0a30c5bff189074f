import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupDigits } from '../../src/digit-groups.js';

describe('groupDigits', () => {
  it('writes whole numbers as toLocaleString("en-US") does', () => {
    const values = [0, 1, 12, 999, 1000, 9999, 10_000, 65_536, 100_000, 999_999, 1_000_000, 1_234_567, 12_000_006, -1, -1000, -1_234_567, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (let seed = 1, i = 0; i < 200; i++) {
      seed = (seed * 48_271) % 2_147_483_647;
      values.push(seed % 10 ** (1 + (i % 12)));
    }
    for (const n of values) expect(groupDigits(n), String(n)).toBe(n.toLocaleString('en-US'));
  });

  it('leaves what is not a whole number to toLocaleString', () => {
    for (const n of [1234.5678, -0, Number.MAX_SAFE_INTEGER + 2, Infinity, Number.NaN]) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
  });
});

describe('the CSV reader', () => {
  afterEach(() => vi.restoreAllMocks());

  // Its first call sets up ICU's number formatting: ~8 MB of resident memory for the producer (docs/benchmarks.md, "Session 22").
  it('formats no number with toLocaleString when it is loaded', async () => {
    vi.resetModules();
    const toLocaleString = vi.spyOn(Number.prototype, 'toLocaleString');
    await import('../../producers/csv-recipients.js');
    expect(toLocaleString).not.toHaveBeenCalled();
  });
});
