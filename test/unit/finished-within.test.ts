import { describe, expect, it } from 'vitest';
import { finishedWithin } from '../../src/finished-within.js';

const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('finishedWithin', () => {
  it('is true for work done in time, false when the time passes first, and the work\'s failure when it fails first', async () => {
    expect(await finishedWithin(after(5), 500)).toBe(true);
    expect(await finishedWithin(after(500), 20)).toBe(false);
    await expect(finishedWithin(Promise.reject(new Error('closing failed')), 500)).rejects.toThrow('closing failed');
  });
});
