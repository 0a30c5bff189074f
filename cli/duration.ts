/**
 * Durations as flags take them: whole numbers with a unit, one or more (`500ms`, `30s`, `5m`,
 * `1h30m`). A bare number is not one: seconds or milliseconds would be a guess.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

// `ms` before `m`: `5ms` is five milliseconds, not five minutes and a stray `s`.
const PART = /(\d+)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:ms|s|m|h))+$/;

/** Milliseconds of `text` (`1m30s` → 90000); undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit as Unit];
  return total;
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
