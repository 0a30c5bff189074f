import { describe, expect, it } from 'vitest';
import { DEFAULT_QUIET_HOURS, parseQuietHours, quietUntil } from '../../src/queue/quiet-hours.js';

const cst = (iso: string) => Date.parse(`${iso}+08:00`);

describe('quiet hours (China time)', () => {
  it('is quiet from 21:00 to 08:00 by default, across midnight', () => {
    expect(quietUntil(cst('2026-03-26T20:59:59'), DEFAULT_QUIET_HOURS)).toBe(0);
    expect(quietUntil(cst('2026-03-26T21:00:00'), DEFAULT_QUIET_HOURS)).toBe(cst('2026-03-27T08:00:00'));
    expect(quietUntil(cst('2026-03-27T03:10:00'), DEFAULT_QUIET_HOURS)).toBe(cst('2026-03-27T08:00:00'));
    expect(quietUntil(cst('2026-03-27T08:00:00'), DEFAULT_QUIET_HOURS)).toBe(0);
  });

  it('parses windows within a day and "off"', () => {
    const lunch = parseQuietHours('12:00-13:30')!;
    expect(quietUntil(cst('2026-03-26T12:45:00'), lunch)).toBe(cst('2026-03-26T13:30:00'));
    expect(quietUntil(cst('2026-03-26T13:30:00'), lunch)).toBe(0);
    expect(parseQuietHours('off')).toBeUndefined();
    expect(() => parseQuietHours('9pm-8am')).toThrow(RangeError);
    expect(() => parseQuietHours('08:00-08:00')).toThrow(RangeError);
  });
});
