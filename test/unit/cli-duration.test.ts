import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../../cli/duration.js';
import { UsageError } from '../../cli/errors.js';
import { durationFlag, parseFlags } from '../../cli/flags.js';

describe('durations (--timeout)', () => {
  it('reads whole numbers with a unit, one or more, largest first', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('5ms')).toBe(5);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('0s')).toBe(0);
  });

  it('refuses a bare number (seconds or milliseconds would be a guess), fractions, other units and words', () => {
    for (const text of ['30', '1.5m', '2d', 'soon', '', 's', '5 m', '-5s', '5mm', '5m5']) expect(parseDuration(text), text).toBeUndefined();
  });

  it('refuses a unit given twice or after a smaller one (1h1h and 30s1h were read as 2h and 1h0m30s), naming which, with the fix', () => {
    for (const text of ['1h1h', '30s1h', '1m1h', '5ms1s', '1h30m30m']) expect(parseDuration(text), text).toBeUndefined();
    const schema = z.object({ timeout: durationFlag(1000, 86_400_000, '--timeout 30s').optional() });
    expect(() => parseFlags(schema, { timeout: '1h1h' })).toThrow('--timeout "1h1h" must give each unit once, largest first: h is given twice. Fix: --timeout 2h');
    expect(() => parseFlags(schema, { timeout: '30s1h' })).toThrow('--timeout "30s1h" must give each unit once, largest first: h comes after s. Fix: --timeout 1h30s');
  });

  it('writes durations as it reads them', () => {
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(86_400_000)).toBe('24h');
    expect(formatDuration(1500)).toBe('1s500ms');
    for (const ms of [1, 999, 61_001, 5_400_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('as a flag: milliseconds within the range, or one line naming the range and the fix', () => {
    const schema = z.object({ timeout: durationFlag(1000, 86_400_000, '--timeout 30s').optional() });
    expect(parseFlags(schema, { timeout: '2m' })).toEqual({ timeout: 120_000 });
    expect(parseFlags(schema, {})).toEqual({});
    for (const bad of ['500ms', '25h', '30']) {
      expect(() => parseFlags(schema, { timeout: bad })).toThrow(UsageError);
      expect(() => parseFlags(schema, { timeout: bad })).toThrow(`--timeout "${bad}" must be a duration from 1s to 24h: whole numbers with a unit (ms, s, m, h). Fix: --timeout 30s`);
    }
  });
});
