import { describe, expect, it } from 'vitest';
import { parseZonedTime } from '../../src/zoned-time.js';
import { wireDeadline } from '../../producers/schemas.js';

const NINE_CHINA = Date.UTC(2026, 11, 7, 1, 0, 0);

describe('parseZonedTime', () => {
  it('reads the extended and basic offsets, Z, and a space (or t) for the T as one instant', () => {
    for (const text of ['2026-12-07T09:00:00+08:00', '2026-12-07T09:00:00+0800', '2026-12-07 09:00:00+08:00', '2026-12-07 09:00:00+0800', '2026-12-07t09:00:00+08:00', '2026-12-07T09:00+08:00', '2026-12-07T01:00:00Z', '2026-12-07T01:00:00z', '2026-12-06T20:00:00-0500']) {
      expect(parseZonedTime(text), text).toBe(NINE_CHINA);
    }
    expect(parseZonedTime('2026-12-07T09:00:00.250+0800')).toBe(NINE_CHINA + 250);
  });

  it('refuses a time without a zone (its instant would be the machine\'s zone), and what is no time', () => {
    for (const text of ['2026-12-07T09:00:00', '2026-12-07 09:00:00', '2026-12-07', '2026-12-07T09:00:00+08', '2026-12-07T09:00:00 08:00', '2026-02-30T09:00:00+0800', '2026-12-07T24:00:00+08:00', '2026-12-07T09:00:00+2500', ' 2026-12-07T09:00:00+08:00', '2026-12-07T09:00:00+08:00x']) {
      expect(parseZonedTime(text), text).toBeUndefined();
    }
  });

  it('is what a JSON body and a query string are read by (the CLI\'s --deadline gives the same text)', () => {
    expect(wireDeadline.parse('2026-12-07 09:00:00+0800')).toBe(NINE_CHINA);
    expect(wireDeadline.safeParse('2026-12-07 09:00:00').success).toBe(false);
  });
});
