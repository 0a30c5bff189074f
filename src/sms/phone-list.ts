import { showInvisible } from './code-points.js';
import { maskLikelyPhones, maskPhone, maskPhonesInText } from './phone-mask.js';
import { SEPARATORS } from './phone.js';
import { backtickFreeJson } from './backtick-free-json.js';

/** How many numbers an error message shows (masked) before it counts the rest instead. */
export const NUMBERS_SHOWN_IN_ERRORS = 3;

/**
 * One entry masked as {@link maskPhone} masks a number, unless it holds several numbers (with `;`
 * or `/` between them): then each of them, its separators dropped first so that no part of a
 * number goes unmasked (`13800138000;13900139000` → `138****8000;139****9000`, not one made-up number).
 */
function maskEntry(entry: string): string {
  // Too few digits for any phone number (`12345`, `abc`): shown as typed, as the rejected table
  // and text masking (7 digits and more) show it; masked whole, it was `****` and could not be found.
  if (!holdsNumber(entry)) return showInvisible(backtickFreeJson(entry.length > ENTRY_SHOWN ? `${entry.slice(0, ENTRY_SHOWN)}…` : entry).slice(1, -1));
  // Shown after masking: an invisible character kept among the four last digits showed as nothing.
  return showInvisible(maskNumbers(entry));
}

function holdsNumber(entry: string): boolean {
  return (entry.match(/\d/g) ?? []).length >= MIN_PHONE_DIGITS;
}

function maskNumbers(entry: string): string {
  const bare = entry.replace(SEPARATORS, '');
  return (bare.match(/\d{7,}/g) ?? []).length >= 2 ? maskPhonesInText(bare) : maskPhone(entry);
}

/**
 * A flag's comma list of numbers with each entry masked as the send refusals mask it
 * ({@link describeNumbers}), for quoting: text masking left `1380013800x` whole (its digits run
 * into a letter).
 */
export function maskNumberList(value: string): string {
  return value
    .split(',')
    .map((entry) => (holdsNumber(entry) ? maskNumbers(entry.trim()) : entry))
    .join(',');
}

/** The fewest digits of any number masking hides (as {@link maskPhonesInText} finds them). */
const MIN_PHONE_DIGITS = 7;
/** The longest entry without a number shown whole. */
const ENTRY_SHOWN = 20;

/**
 * A short, masked description of numbers for an error message: the first few masked, the rest
 * counted (`138****8000, 139****0139 and 9,998 more`). An error with ten thousand numbers in it
 * helps nobody and puts every number in whatever log keeps the error.
 */
export function describeNumbers(inputs: readonly string[], shown = NUMBERS_SHOWN_IN_ERRORS): string {
  const head = inputs.slice(0, shown).map((p) => maskEntry(String(p).trim()));
  const rest = inputs.length - head.length;
  return rest > 0 ? `${head.join(', ')} and ${rest.toLocaleString('en-US')} more` : head.join(', ');
}

/**
 * How a refusal that names the first of its entries each in an issue of its own counts the rest:
 * `the first 3 of them below, and 9,997 more`; undefined when every entry is named.
 */
export function firstOfThemBelow(shown: number, total: number): string | undefined {
  const more = total - shown;
  return more > 0 ? `the first ${shown} of them below, and ${more.toLocaleString('en-US')} more` : undefined;
}

/**
 * A value the user typed, as an error may quote it: phone-looking runs masked when it carries
 * numbers (`phones`), and cut to `maxChars` with the full length said (a `--phones` list of 10,000
 * numbers is 120 KB).
 */
export function quoteForError(value: string, { phones = false, maxChars = 60 }: { phones?: boolean; maxChars?: number } = {}): string {
  // A value that is not a list of numbers may still hold one (a param, a path): those are masked.
  const masked = phones ? maskPhonesInText(value) : maskLikelyPhones(value);
  if (masked.length <= maxChars) return backtickFreeJson(masked);
  return `${backtickFreeJson(`${masked.slice(0, maxChars)}…`)} (${value.length.toLocaleString('en-US')} characters)`;
}

/** The way to send to more numbers than one request should carry. */
export const LONG_LIST_HINT = 'for long lists use a campaign: `smsq campaign --file recipients.csv` (or POST /v1/campaigns with text/csv)';
