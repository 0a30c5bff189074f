/**
 * China Standard Time (UTC+8, no daylight saving) helpers. Alibaba dates every record in CST:
 * `SendDate` filters, statistics days, SmsReport times and the per-number flow-control days.
 */

const CST_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Whole CST days since the epoch; the unit of `SendDate` and of daily limits. */
export function cstDayIndex(ms: number): number {
  return Math.floor((ms + CST_OFFSET_MS) / DAY_MS);
}

/** `yyyyMMdd` of the CST day containing `ms`. */
export function formatCstDay(ms: number): string {
  const d = new Date(ms + CST_OFFSET_MS);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`;
}

/** `yyyyMMdd` of a CST day index. */
export function formatCstDayIndex(day: number): string {
  return formatCstDay(day * DAY_MS - CST_OFFSET_MS);
}

/** `yyyy-MM-dd HH:mm:ss` in CST, the format of SendDate/ReceiveDate and SmsReport times. */
export function formatCstDateTime(ms: number): string {
  const d = new Date(ms + CST_OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
  );
}

const DAY_PATTERN = /^(\d{4})(\d{2})(\d{2})$/;

/** Parses `yyyyMMdd` into a CST day index; `undefined` when it is not a real calendar date. */
export function parseCstDay(text: string): number | undefined {
  const m = DAY_PATTERN.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return utc / DAY_MS;
}
