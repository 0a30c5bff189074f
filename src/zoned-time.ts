/**
 * A time written as text with its zone, as a deadline is given (the Node API, a JSON body, a query
 * string, `--deadline`): one reading for every door. ISO 8601's extended form
 * (`2026-12-07T09:00:00+08:00`, `...Z`), its basic offset (`+0800`), and RFC 3339's space for the
 * `T` (`2026-12-07 09:00:00+08:00`) all name one instant; seconds may be left out
 * (`2026-12-07T09:00+08:00`), and a fraction of them given. A time without a zone is not read:
 * it would be taken in whichever zone the process runs in, so its instant depends on the machine.
 */
import { z } from 'zod';

/** date, T (or t, or a space), time, and Z or an offset with or without its colon. */
const ZONED = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(?:([Zz])|([+-]\d{2}):?(\d{2}))$/;

/** The extended form, which checks the calendar (no 30 February) and the clock (no 24:00, no +25:00). */
const EXTENDED = z.iso.datetime({ offset: true });

/** Epoch ms of `text`, a time with its zone in one of the forms above; undefined for anything else. */
export function parseZonedTime(text: string): number | undefined {
  const m = ZONED.exec(text);
  if (!m) return undefined;
  const [, date, hoursMinutes, seconds, utc, offsetHours, offsetMinutes] = m;
  const extended = `${date}T${hoursMinutes}${seconds ?? ':00'}${utc !== undefined ? 'Z' : `${offsetHours}:${offsetMinutes}`}`;
  return EXTENDED.safeParse(extended).success ? Date.parse(extended) : undefined;
}
