import { parseCstDateTime } from '../sms/dates.js';

/** How far a pushed time may fall outside its event's bounds and still be taken: clocks differ. */
export const PUSHED_TIME_SKEW_MS = 3_600_000;

/**
 * A time a push states (`report_time`, `send_time`: `yyyy-MM-dd HH:mm:ss`, UTC+8), taken only
 * where it can be the event's own: not before `notBefore` (the attempt was sent then) and not after
 * `now`, give or take {@link PUSHED_TIME_SKEW_MS}. Anything else is undefined (unknown), as a time
 * that does not parse is. A push is whatever it says: a report_time of year 0999 was stored as the
 * recipient's receipt time, and the send's recipients could no longer be read (the ISO time of a
 * three-digit year is not one).
 */
export function pushedTime(text: string | undefined, bounds: { notBefore: number | undefined; now: number }): number | undefined {
  if (!text) return undefined;
  let ms: number;
  try {
    ms = parseCstDateTime(text);
  } catch {
    return undefined;
  }
  if (ms > bounds.now + PUSHED_TIME_SKEW_MS) return undefined;
  if (bounds.notBefore !== undefined && ms < bounds.notBefore - PUSHED_TIME_SKEW_MS) return undefined;
  return ms;
}
