import { describe, expect, it } from 'vitest';
import { cstDate, cstDateTime, parseCstDate, parseCstDateTime, sendDatesAround, sendDatesOwnFirst } from '../../src/sms/dates.js';

// 2026-03-25 16:00:00 UTC = 2026-03-26 00:00:00 CST.
const MIDNIGHT_CST = Date.UTC(2026, 2, 25, 16, 0, 0);

describe('CST formatting', () => {
  it('formats in UTC+8 whatever the server zone', () => {
    expect(cstDate(MIDNIGHT_CST)).toBe('20260326');
    expect(cstDate(MIDNIGHT_CST - 1)).toBe('20260325');
    expect(cstDateTime(MIDNIGHT_CST)).toBe('2026-03-26 00:00:00');
    expect(cstDateTime(MIDNIGHT_CST - 1000)).toBe('2026-03-25 23:59:59');
    expect(cstDateTime(Date.UTC(2025, 11, 31, 16, 0, 0))).toBe('2026-01-01 00:00:00');
  });
  it('refuses non-finite times', () => {
    expect(() => cstDate(Number.NaN)).toThrow(RangeError);
  });
});

describe('parsing', () => {
  it('round-trips date-times', () => {
    expect(parseCstDateTime('2026-03-26 00:00:00')).toBe(MIDNIGHT_CST);
    expect(parseCstDateTime('2026-03-26T08:30:15')).toBe(MIDNIGHT_CST + (8 * 3600 + 30 * 60 + 15) * 1000);
    const t = Date.UTC(2026, 6, 1, 3, 4, 5);
    expect(parseCstDateTime(cstDateTime(t))).toBe(t);
    expect(parseCstDate('20260326')).toBe(MIDNIGHT_CST);
  });
  it('refuses malformed or impossible values', () => {
    for (const s of ['2026-02-30 00:00:00', '2026-03-26 24:00:00', '2026-03-26 10:60:00', '2026/03/26 00:00:00', '', '2026-03-26']) {
      expect(() => parseCstDateTime(s), s).toThrow(RangeError);
    }
    expect(() => parseCstDate('20261301')).toThrow(RangeError);
    expect(() => parseCstDate('2026-03-26')).toThrow(RangeError);
  });
});

describe('sendDatesAround', () => {
  it('gives one date away from midnight', () => {
    expect(sendDatesAround(MIDNIGHT_CST + 6 * 3600_000, 5 * 60_000)).toEqual(['20260326']);
  });
  it('gives both dates near midnight, in order', () => {
    expect(sendDatesAround(MIDNIGHT_CST - 60_000, 5 * 60_000)).toEqual(['20260325', '20260326']);
    expect(sendDatesAround(MIDNIGHT_CST + 60_000, 5 * 60_000)).toEqual(['20260325', '20260326']);
    expect(sendDatesAround(MIDNIGHT_CST, 0)).toEqual(['20260326']);
  });
  it('lists every date for wide margins and refuses negative ones', () => {
    expect(sendDatesAround(MIDNIGHT_CST, 36 * 3600_000)).toEqual(['20260324', '20260325', '20260326', '20260327']);
    expect(() => sendDatesAround(MIDNIGHT_CST, -1)).toThrow(RangeError);
  });
});

describe('sendDatesOwnFirst', () => {
  it("asks the send's own CST date first, then the other one near midnight", () => {
    expect(sendDatesOwnFirst(MIDNIGHT_CST + 60_000, 5 * 60_000)).toEqual(['20260326', '20260325']);
    expect(sendDatesOwnFirst(MIDNIGHT_CST - 60_000, 5 * 60_000)).toEqual(['20260325', '20260326']);
    expect(sendDatesOwnFirst(MIDNIGHT_CST, 0)).toEqual(['20260326']);
    expect(sendDatesOwnFirst(MIDNIGHT_CST + 6 * 3600_000, 5 * 60_000)).toEqual(['20260326']);
  });
});
