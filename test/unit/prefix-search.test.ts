import { describe, expect, it } from 'vitest';
import { lastOfRun } from '../../src/repair/prefix-search.js';

describe('lastOfRun', () => {
  it('finds the last of a run from one known to exist, in round trips that grow with the log of its length', async () => {
    for (const [known, last] of [[0, 0], [0, 1], [0, 7], [16, 16], [16, 17], [16, 720], [1, 1000]] as const) {
      const asked: number[] = [];
      const exists = async (i: number) => {
        asked.push(i);
        return i <= last;
      };
      expect(await lastOfRun(exists, known)).toBe(last);
      expect(asked.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(last + 2)) + 2);
    }
  });
});
