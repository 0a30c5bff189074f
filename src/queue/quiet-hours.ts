/**
 * Quiet hours for marketing: no marketing SMS inside a daily window in China Standard Time
 * (default 21:00–08:00). Transactional kinds ignore it.
 */
export interface QuietHours {
  /** Minutes after midnight (CST) when the quiet window starts. */
  startMinute: number;
  /** Minutes after midnight (CST) when it ends; may be before start (the window spans midnight). */
  endMinute: number;
}

export const DEFAULT_QUIET_HOURS: QuietHours = Object.freeze({ startMinute: 21 * 60, endMinute: 8 * 60 });

const CST_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

/** Parses `HH:MM-HH:MM`; returns undefined for `off`. Throws RangeError naming the problem (not the value: the caller names it). */
export function parseQuietHours(spec: string): QuietHours | undefined {
  if (spec.trim().toLowerCase() === 'off') return undefined;
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(spec.trim());
  if (!m) throw new RangeError('is not a window HH:MM-HH:MM (00:00 to 23:59)');
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Number(m[3]) * 60 + Number(m[4]);
  if (startMinute === endMinute) throw new RangeError('starts and ends at the same time');
  return { startMinute, endMinute };
}

/**
 * If `now` falls inside the quiet window, the instant it ends; otherwise 0.
 */
export function quietUntil(now: number, q: QuietHours | undefined): number {
  if (!q) return 0;
  const local = now + CST_OFFSET_MS;
  const dayStart = local - (local % DAY_MS);
  const minute = Math.floor((local - dayStart) / MIN_MS);
  const spansMidnight = q.startMinute > q.endMinute;
  const inside = spansMidnight ? minute >= q.startMinute || minute < q.endMinute : minute >= q.startMinute && minute < q.endMinute;
  if (!inside) return 0;
  // The end today if it is still ahead, else the end tomorrow.
  let end = dayStart + q.endMinute * MIN_MS;
  if (end <= local) end += DAY_MS;
  return end - CST_OFFSET_MS;
}

/** Minutes after midnight as `HH:MM`. */
const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** The window as it is configured: `21:00-08:00`. */
export function quietHoursText(q: QuietHours): string {
  return `${hhmm(q.startMinute)}-${hhmm(q.endMinute)}`;
}
