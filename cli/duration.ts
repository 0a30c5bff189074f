/**
 * Durations as flags take them: whole numbers with a unit, one or more, each unit once and
 * largest first (`500ms`, `30s`, `5m`, `1h30m`). A bare number is not one: seconds or
 * milliseconds would be a guess.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

// `ms` before `m`: `5ms` is five milliseconds, not five minutes and a stray `s`.
const PART = /(\d+)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:ms|s|m|h))+$/;

/** Milliseconds of `text` (`1m30s` → 90000); undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text) || unitOrderFault(text) !== undefined) return undefined;
  return sumOf(text);
}

function sumOf(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit as Unit];
  return total;
}

/**
 * Why `text`, whole numbers with units, is still no duration: a unit given twice (`1h1h`) or after a
 * smaller one (`30s1h`), which were read as their sum, where a typo is as likely; with `meant`, that
 * sum, for the fix to offer. Undefined for any other text.
 */
export function unitOrderFault(text: string): { problem: string; meant: number } | undefined {
  if (!WHOLE.test(text)) return undefined;
  let previous: Unit | undefined;
  const seen = new Set<Unit>();
  for (const [, , name] of text.matchAll(PART)) {
    const unit = name as Unit;
    if (seen.has(unit)) return { problem: `${unit} is given twice`, meant: sumOf(text) };
    if (previous !== undefined && UNIT_MS[unit] > UNIT_MS[previous]) return { problem: `${unit} comes after ${previous}`, meant: sumOf(text) };
    seen.add(unit);
    previous = unit;
  }
  return undefined;
}

/** `ms` written as a flag would take it, largest units first: 90000 → `1m30s`, 1500 → `1s500ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  return text;
}
