/**
 * The one way smsq prints a time: China time with its offset, as Alibaba dates every record and
 * operators read the clock. Tables and text: `2026-12-04 07:42:22 +08:00`; JSON: ISO 8601 with the
 * offset, `2026-12-04T07:42:22.123+08:00` (or `Z`-free UTC would hide the day an operator means).
 * China has no daylight saving, so the offset is fixed.
 */
const OFFSET_MS = 8 * 3_600_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

function parts(ms: number): { date: string; time: string; hm: string } {
  const d = new Date(Math.floor(ms / 1000) * 1000 + OFFSET_MS);
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  return { date: `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`, time: `${hm}:${pad2(d.getUTCSeconds())}`, hm };
}

/** `2026-12-04 07:42:22 +08:00`: a time in tables and text (`-` for none). */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-';
  const p = parts(ms);
  return `${p.date} ${p.time} +08:00`;
}

/** `2026-12-04T07:42:22.123+08:00`: a time in JSON output (milliseconds kept, for durations). */
export function isoTime(ms: number): string {
  const p = parts(ms);
  return `${p.date}T${p.time}.${String(Math.floor(((ms % 1000) + 1000) % 1000)).padStart(3, '0')}+08:00`;
}

/** `07:42`: the China clock time of `ms`, for "until 08:00 China time". */
export function clockTime(ms: number): string {
  return parts(ms).hm;
}
