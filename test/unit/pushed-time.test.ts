import { describe, expect, it } from 'vitest';
import { PUSHED_TIME_SKEW_MS, pushedTime } from '../../src/receipts/pushed-time.js';
import { parseCstDateTime } from '../../src/sms/dates.js';

describe('pushedTime', () => {
  const sent = parseCstDateTime('2026-12-04 10:00:00');
  const now = parseCstDateTime('2026-12-05 10:00:00');
  const bounds = { notBefore: sent, now };

  it('takes a time between the send and now, give or take the clocks\' skew', () => {
    expect(pushedTime('2026-12-04 10:00:03', bounds)).toBe(sent + 3000);
    expect(pushedTime('2026-12-04 09:30:00', bounds)).toBe(sent - 1_800_000);
    expect(pushedTime('2026-12-05 10:30:00', bounds)).toBe(now + 1_800_000);
    expect(pushedTime('2026-12-04 09:00:00', bounds)).toBe(sent - PUSHED_TIME_SKEW_MS);
  });

  it('leaves unknown a time that cannot be the event\'s: before the send, after now, years away, or not a time', () => {
    for (const text of ['2026-12-04 08:59:59', '2026-12-05 11:00:01', '0999-12-31 23:59:59', '9999-12-31 23:59:59', '1970-01-01 08:00:00', '2026-02-30 10:00:00', 'yesterday', '', undefined]) {
      expect(pushedTime(text, bounds), String(text)).toBeUndefined();
    }
  });

  it('without a send time, bounds it by now alone', () => {
    expect(pushedTime('2001-01-01 00:00:00', { notBefore: undefined, now })).toBe(parseCstDateTime('2001-01-01 00:00:00'));
    expect(pushedTime('2026-12-06 10:00:00', { notBefore: undefined, now })).toBeUndefined();
  });
});
