/**
 * China Standard Time (UTC+8, no daylight saving) helpers. Dysmsapi's `SendDate`, receipt times and
 * flow-control windows are all in CST, whatever zone this server runs in; every function takes
 * milliseconds since the epoch and never reads the local zone.
 */

export const CST_OFFSET_MS = 8 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The CST calendar fields of an instant (a Date shifted by +8 h, read with UTC getters). */
function cst(ms: number): Date {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(ms)}`);
  return new Date(ms + CST_OFFSET_MS);
}

/** `yyyyMMdd` in CST: the `SendDate` of QuerySendDetails. */
export function cstDate(ms: number): string {
  const d = cst(ms);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

/** `yyyy-MM-dd HH:mm:ss` in CST: the format of receipt times. */
export function cstDateTime(ms: number): string {
  const d = cst(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const DATE = /^(\d{4})(\d{2})(\d{2})$/;

function fromFields(s: string, y: number, mo: number, d: number, h: number, mi: number, se: number): number {
  const ms = Date.UTC(y, mo - 1, d, h, mi, se) - CST_OFFSET_MS;
  // Date.UTC rolls over (Feb 30 → Mar 2); refuse instead of guessing.
  const back = cst(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw new RangeError(`not a valid date/time: "${s}"`);
  }
  return ms;
}

/** Parses `yyyy-MM-dd HH:mm:ss` (CST) into ms since the epoch; throws `RangeError` naming the input otherwise. */
export function parseCstDateTime(s: string): number {
  const m = DATE_TIME.exec(s.trim());
  if (!m) throw new RangeError(`expected "yyyy-MM-dd HH:mm:ss" (UTC+8), got "${s}"`);
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return fromFields(s, y, mo, d, h, mi, se);
}

/** Parses `yyyyMMdd` (CST) into the ms of that day's 00:00:00 CST; throws `RangeError` otherwise. */
export function parseCstDate(s: string): number {
  const m = DATE.exec(s.trim());
  if (!m) throw new RangeError(`expected "yyyyMMdd" (UTC+8), got "${s}"`);
  const [, y, mo, d] = m.map(Number) as [number, number, number, number];
  return fromFields(s, y, mo, d, 0, 0, 0);
}

/**
 * The CST dates (`yyyyMMdd`, ascending, no repeats) a send at `ms` can be filed under, allowing the
 * clocks (ours and Alibaba's) to differ by up to `marginMs`: one date normally, two near midnight CST.
 */
export function sendDatesAround(ms: number, marginMs: number): string[] {
  return sendDatesBetween(ms, ms, marginMs);
}

/**
 * The CST dates (`yyyyMMdd`, ascending, no repeats) a send made between `fromMs` and `toMs` (in
 * either order) can be filed under, allowing `marginMs` of clock difference at each end: every
 * date between included.
 */
export function sendDatesBetween(fromMs: number, toMs: number, marginMs: number): string[] {
  if (!(marginMs >= 0)) throw new RangeError(`marginMs must be >= 0, got ${String(marginMs)}`);
  const first = cstDate(Math.min(fromMs, toMs) - marginMs);
  const last = cstDate(Math.max(fromMs, toMs) + marginMs);
  const out = [first];
  // Walk day by day so even a margin over 12 h lists every date in between.
  for (let t = parseCstDate(first) + DAY_MS; cstDate(t) <= last; t += DAY_MS) out.push(cstDate(t));
  return out;
}

/**
 * The dates to ask QuerySendDetails for a send at `ms`, in the order to ask them: the send's own CST
 * date first (Alibaba files it there unless the clocks differ across midnight), then the others
 * {@link sendDatesAround} allows. In ascending order, a send just after midnight would cost a
 * look-up of the day before, and find nothing, for every recipient.
 */
export function sendDatesOwnFirst(ms: number, marginMs: number): string[] {
  const own = cstDate(ms);
  return [own, ...sendDatesAround(ms, marginMs).filter((d) => d !== own)];
}

/** How many days back QuerySendDetails answers for: `SendDate` within the last 30 days (CST). */
export const DETAILS_DAYS = 30;

/** QuerySendDetails records near midnight may carry either date: look this far either side. */
export const MIDNIGHT_MARGIN_MS = 10 * 60_000;

/**
 * The SendDates a reconcile look-up of an attempt started at `sentAt` asks, one job each
 * (`dateIndex`, in this order): its own day (and the one beside it near midnight) or, when earlier
 * attempts of the chunk are in doubt since `inDoubtSince` (an adoption's `priorSentAt`), every day
 * from then, no further back than the {@link DETAILS_DAYS} QuerySendDetails answers for. The
 * look-up asks them (reconcile-processor.ts); the repair sweep and `status` look for its jobs at as
 * many dates (src/repair/chunk-jobs.ts).
 */
export function reconcileSendDates(sentAt: number, inDoubtSince?: number): string[] {
  const since = inDoubtSince === undefined ? sentAt : Math.max(inDoubtSince, sentAt - DETAILS_DAYS * DAY_MS);
  return sendDatesBetween(since, sentAt, MIDNIGHT_MARGIN_MS);
}

/** The CST dates (`yyyyMMdd`) QuerySendDetails can be asked for at `nowMs`: today and the {@link DETAILS_DAYS} days before. */
export function detailsDateRange(nowMs: number): { earliest: string; latest: string } {
  return { earliest: cstDate(nowMs - DETAILS_DAYS * DAY_MS), latest: cstDate(nowMs) };
}
