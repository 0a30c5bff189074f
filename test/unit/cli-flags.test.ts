import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageError } from '../../cli/errors.js';
import { choiceIntFlag, dateFlag, displayName, enumFlag, intFlag, isCalendarDate, pagingFlags, parseFlags, phoneFlag, switchFlag } from '../../cli/flags.js';

function usageLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected a UsageError');
}

describe('cli flags', () => {
  const schema = z.object({ ...pagingFlags(20), date: dateFlag('--date', '20260326'), json: switchFlag });

  it('parses strings into typed values with defaults', () => {
    expect(parseFlags(schema, { date: '20260326' })).toEqual({ page: 1, pageSize: 20, date: '20260326', json: false });
    expect(parseFlags(schema, { date: '20260326', page: '3', pageSize: '50', json: true })).toEqual({ page: 3, pageSize: 50, date: '20260326', json: true });
  });

  it('names the flag, the value and the fix in one line per bad flag', () => {
    expect(usageLines(() => parseFlags(schema, { date: '20260326', pageSize: '60' }))).toEqual([
      '--page-size "60" must be a whole number from 1 to 50. Fix: --page-size 20',
    ]);
    expect(usageLines(() => parseFlags(schema, { date: '2026-03-26', page: 'x' }))).toEqual([
      '--page "x" must be a whole number from 1 to 1000000. Fix: --page 1',
      '--date "2026-03-26" must be a real date written yyyyMMdd. Fix: --date 20260326',
    ]);
    expect(usageLines(() => parseFlags(schema, {}))).toEqual(['--date is required. Fix: --date 20260326']);
  });

  it('gives a real day written another way back as yyyyMMdd, not the example (--date 2026-12-01 was told "Fix: --date <today>")', () => {
    expect(usageLines(() => parseFlags(schema, { date: '2025-12-01' }))).toEqual(['--date "2025-12-01" must be a real date written yyyyMMdd. Fix: --date 20251201']);
    expect(usageLines(() => parseFlags(schema, { date: '2025/1/9' }))).toEqual(['--date "2025/1/9" must be a real date written yyyyMMdd. Fix: --date 20250109']);
    expect(usageLines(() => parseFlags(schema, { date: '2025-02-30' }))).toEqual(['--date "2025-02-30" must be a real date written yyyyMMdd. Fix: --date 20260326']);
  });

  it('shows positional arguments in capitals', () => {
    expect(displayName('groupId', ['groupId'])).toBe('GROUP_ID');
    expect(displayName('signName')).toBe('--sign-name');
    const s = z.object({ groupId: intFlag(1, 10, 'smsq qualification 5') });
    expect(usageLines(() => parseFlags(s, { groupId: 'abc' }, ['groupId']))[0]).toMatch(/^GROUP_ID "abc" must be/);
  });

  it('accepts only the listed numbers for choices', () => {
    const s = z.object({ globe: choiceIntFlag([1, 2] as const, '--globe 1') });
    expect(parseFlags(s, { globe: '2' })).toEqual({ globe: 2 });
    expect(usageLines(() => parseFlags(s, { globe: '3' }))).toEqual(['--globe "3" must be one of 1, 2. Fix: --globe 1']);
  });

  it('takes a word of a fixed set in any case and gives it back as listed (--kind Verification was refused, --state pass taken)', () => {
    const s = z.object({ kind: enumFlag(['verification', 'marketing'], '--kind marketing').optional(), state: enumFlag(['PASS', 'NOT_PASS'], '--state PASS').optional() });
    expect(parseFlags(s, { kind: ' Verification ', state: 'not_pass' })).toEqual({ kind: 'verification', state: 'NOT_PASS' });
    expect(parseFlags(s, {})).toEqual({});
    expect(usageLines(() => parseFlags(s, { kind: 'promo' }))).toEqual(['--kind "promo" must be one of verification, marketing. Fix: --kind marketing']);
    const until = z.object({ until: enumFlag(['sent', 'final'], '--until sent', 'must be sent or final') });
    expect(usageLines(() => parseFlags(until, { until: 'done' }))).toEqual(['--until "done" must be sent or final. Fix: --until sent']);
  });

  it('checks calendar dates', () => {
    expect(isCalendarDate('20240229')).toBe(true);
    expect(isCalendarDate('20230229')).toBe(false);
    expect(isCalendarDate('20261301')).toBe(false);
  });

  it('normalises phone numbers with the shared rules', () => {
    const s = z.object({ phone: phoneFlag('--phone 13800138000') });
    expect(parseFlags(s, { phone: '+8613800138000' })).toEqual({ phone: '13800138000' });
    expect(parseFlags(s, { phone: '+852 9123 4567' })).toEqual({ phone: '85291234567' });
    expect(usageLines(() => parseFlags(s, { phone: '1380013800' }))).toEqual(['--phone "138****3800" is not a usable number: a mainland mobile number has 11 digits, got 10: check it for a missing or extra digit. Fix: --phone 13800138000']);
  });
});
