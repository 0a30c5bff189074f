/**
 * The header row of a recipient file (CSV or workbook): which column holds the numbers, under the
 * names people give it, Chinese included; every other column is a per-recipient template param.
 */
import { ValidationError } from '../src/errors.js';
import { looseName } from '../src/sms/template.js';
import type { FileEncoding } from './encoding-names.js';
import { EXCERPT_CHARS, excerptOf, quoteExcerpt } from './text-excerpt.js';
import { quoted } from '../src/setting-mention.js';

/**
 * Header names accepted for the number column. Matched without regard to case, spaces, `_` and
 * `-` (so `Phone Number`, `phone_number` and `PHONE-NUMBER` are one name).
 */
export const PHONE_COLUMNS = [
  'phone',
  'phone_number',
  'phonenumber',
  'mobile',
  'mobile_number',
  'mobile_phone',
  'cellphone',
  'cell',
  'tel',
  'telephone',
  'number',
  'msisdn',
  '手机',
  '手机号',
  '手机号码',
  '电话',
  '电话号码',
  '联系电话',
  '联系方式',
  '移动电话',
  '号码',
];

const PHONE_KEYS = new Set(PHONE_COLUMNS.map(looseName));

/** A header read from a file: where the numbers are and the param names of the other columns. */
export interface RecipientHeader {
  phoneAt: number;
  /** One per column; the number column's entry is unused. */
  names: string[];
}

/** A line that is a phone number, not a header (a list without a header). */
const NUMBER_LIKE = /^[+\d][\d\s()-]*$/;

/** Whether `cell` is written as a phone number (so a row, not a header). */
export function looksLikeNumber(cell: string): boolean {
  return NUMBER_LIKE.test(cell);
}

/** Whether one of `cells` names the number column. */
export function namesPhoneColumn(cells: readonly string[]): boolean {
  return phoneColumnIn(cells) !== undefined;
}

/** The first of `cells` that names the number column, trimmed; undefined when none does. */
export function phoneColumnIn(cells: readonly string[]): string | undefined {
  return cells.map((c) => c.trim()).find((c) => PHONE_KEYS.has(looseName(c)));
}

/**
 * The names of a header, quoted for an error: {@link EXCERPT_CHARS} characters of them in all, so a
 * file read in a wrong encoding, whose "header" may be the whole file, is not quoted back whole.
 */
export function quotedNames(names: readonly string[], readAs?: FileEncoding): string {
  const shown: string[] = [];
  let left = EXCERPT_CHARS;
  for (const name of names) {
    if (left <= 0) {
      shown.push('…');
      break;
    }
    const { excerpt, cut } = excerptOf(name, { readAs, maxChars: left });
    shown.push(quoted(cut ? `${excerpt}…` : excerpt));
    if (cut) break;
    left -= [...name].length;
  }
  const length = names.reduce((n, name) => n + name.length, names.length - 1);
  return shown.length < names.length || shown.at(-1)?.endsWith('…"') ? `${shown.join(', ')}, ${length.toLocaleString('en-US')} characters` : shown.join(', ');
}

/**
 * A first row that names no phone column: a refusal like any other, which a workbook's reader
 * tells apart to point at its other sheets (the row is often a note, the list on the next sheet).
 */
export class HeaderWithoutPhoneError extends ValidationError {
  /** What is wrong, without the fix. */
  readonly problem: string;
  /** The fix, without "Fix: ". */
  readonly fix: string;
  /** @param readAs the encoding the row was read in, when it was text: the quote stops where its bytes hide digits. */
  constructor(field: string, names: readonly string[], readAs?: FileEncoding) {
    const problem = `the header (${quotedNames(names, readAs)}) names no phone column`;
    const fix = `name the number column one of ${PHONE_COLUMNS.join(', ')} (other columns are template params), or give one number per line without a header`;
    super([{ field, message: `${problem}. Fix: ${fix}` }]);
    this.problem = problem;
    this.fix = fix;
  }
}

/**
 * Reads the header row (cells already split). Returns undefined when the row is a phone number
 * instead: the file is a list of numbers without a header. Throws ValidationError naming the
 * accepted names when no column holds numbers, or a name appears twice.
 * `field` names the row in messages (`file:1`); `readAs`, the encoding a text file was read in.
 */
export function readRecipientHeader(cells: readonly string[], field: string, readAs?: FileEncoding): RecipientHeader | undefined {
  const names = cells.map((c) => c.trim());
  const phoneAt = names.findIndex((c) => PHONE_KEYS.has(looseName(c)));
  if (phoneAt < 0) {
    if (names.length === 1 && NUMBER_LIKE.test(names[0] as string)) return undefined;
    throw new HeaderWithoutPhoneError(field, names, readAs);
  }
  const empty = names.findIndex((n, i) => n === '' && i !== phoneAt);
  if (empty >= 0) {
    throw new ValidationError([{ field, message: `column ${empty + 1} of the header has no name. Fix: name it after the template variable it fills, or delete the column` }]);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ValidationError([{ field, message: `column ${quoteExcerpt(dup)} appears twice in the header. Fix: rename or delete one of them` }]);
  // As a JSON body refuses the key (server/json-body.ts): a param of that name would set the row's
  // prototype, not a value, and the column would be dropped without a word.
  const proto = names.findIndex((n, i) => n === '__proto__' && i !== phoneAt);
  if (proto >= 0) {
    throw new ValidationError([{ field, message: `column ${proto + 1} of the header, "__proto__", is refused: a name that reaches an object's prototype, which no template variable is. Fix: rename it after the template variable it fills, or delete the column` }]);
  }
  return { phoneAt, names };
}
