import { describe, expect, it } from 'vitest';
import { clockTime, formatTime, isoTime } from '../../src/china-time.js';

describe('china-time', () => {
  const at = Date.parse('2026-12-03T23:42:22.780Z'); // 07:42:22 the next day in China

  it('prints text times in China time with the offset, and ISO 8601 with the offset for JSON', () => {
    expect(formatTime(at)).toBe('2026-12-04 07:42:22 +08:00');
    expect(isoTime(at)).toBe('2026-12-04T07:42:22.780+08:00');
    expect(Date.parse(isoTime(at))).toBe(at);
    expect(clockTime(at)).toBe('07:42');
  });

  it('prints - for no time', () => {
    expect(formatTime(undefined)).toBe('-');
    expect(formatTime(0)).toBe('-');
  });
});
