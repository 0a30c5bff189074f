import { codePointOf, INVISIBLE } from './code-points.js';
import { maskPhone } from './phone-mask.js';
/**
 * Phone number rules for Dysmsapi. Mainland China numbers are sent as the bare 11 digits
 * (`13800138000`); international and Hong Kong / Macao / Taiwan numbers as country code + number without
 * `+` (`85291234567`).
 *
 * A bare 11-digit number starting with `1` and a second digit 3–9 is read as mainland, even though
 * the same digits could be a US/Canada number with its country code: write those as `+1...` or
 * `001...`, which always mean international. On the wire the two are one string again: which
 * templates may carry such a +1 number is src/sms/phone-region.ts's business.
 */

export type PhoneRegion = 'mainland' | 'international';

export type NormalizedPhone =
  | { ok: true; phone: string; region: PhoneRegion }
  /** `numbers`: the entry holds that many numbers (a list where one was expected); the reason says to give one per entry, in no surface's terms. */
  | { ok: false; input: string; reason: string; numbers?: number };

export interface NormalizedPhoneList {
  /** Normalised numbers, duplicates removed, in first-seen order. */
  valid: string[];
  invalid: { input: string; reason: string }[];
  /** How many entries were dropped as repeats of an earlier valid number (after normalisation). */
  duplicates: number;
}

/** A bare mainland mobile number: 11 digits, `1` then 3–9. {@link normalizePhone} returns such a string unchanged. */
export const MAINLAND = /^1[3-9]\d{9}$/;
// Spaces, dashes, dots and parentheses people use to group digits.
/** What a number may be written with between its digits (dropped before it is read). */
export const SEPARATORS = /[\s\-().\u00a0\u3000]/g;
const MIN_E164 = 8;
const MAX_E164 = 15;

function fail(input: string, reason: string, numbers?: number): NormalizedPhone {
  return numbers === undefined ? { ok: false, input, reason } : { ok: false, input, reason, numbers };
}

function mainlandFrom(input: string, national: string, prefix: string): NormalizedPhone {
  if (MAINLAND.test(national)) return { ok: true, phone: national, region: 'mainland' };
  if (!/^1/.test(national)) {
    return fail(input, `a mainland number after ${prefix} must start with 1 (mobile numbers only), got "${maskPhone(national)}": give the person's mobile number`);
  }
  if (national.length !== 11) {
    return fail(input, `a mainland number after ${prefix} must have 11 digits, got ${national.length}: check it for a missing or extra digit`);
  }
  const hint = prefix === 'the start' ? ' (a US/Canada number needs its +1 written out)' : '';
  return fail(input, `a mainland mobile number's second digit must be 3–9, got "${national.slice(0, 2)}..."${hint}: check the number`);
}

/**
 * Normalises one phone number to what Dysmsapi expects, or says what is wrong with it.
 *
 * Accepted: `13800138000`, `+86 138-0013-8000`, `008613800138000`, `8613800138000` (mainland);
 * `+852 9123 4567`, `0085291234567`, `85291234567` (international, country code + number).
 */
export function normalizePhone(raw: string): NormalizedPhone {
  const input = String(raw);
  // A bare mainland mobile is what nearly every recipient is: returned as it is, as below.
  if (MAINLAND.test(input)) return { ok: true, phone: input, region: 'mainland' };
  // NFKC: full-width digits and ＋ (a Chinese input method's) are the ASCII ones. Both checks are
  // skipped by the plain numbers of a million-row campaign.
  const text = NOT_ASCII.test(input) ? input.normalize('NFKC') : input;
  // Two numbers hold 16 digits or more, or a separator no single number has.
  const several = SEPARATOR_NOT_IN_A_NUMBER.test(text) || SIXTEEN_DIGITS.test(text) ? severalNumbers(text, input) : undefined;
  if (several) return fail(input, several.reason, several.numbers);
  // Copy-paste residue around a number (a zero-width space from a web page, a BOM or a bidi mark
  // from a spreadsheet cell) is trimmed as white space is: none of it shows, nor changes the number.
  const trimmed = NOT_ASCII.test(text) ? text.replace(AROUND, '') : text.trim();
  const spreadsheet = spreadsheetForm(trimmed);
  if (spreadsheet) return fail(input, spreadsheet);
  const s = trimmed.replace(SEPARATORS, '');
  if (s === '') return fail(input, 'is empty: give a mobile number, e.g. 138-0013-8000 or +852 9123 4567');

  let digits: string;
  let explicitInternational: boolean;
  if (s.startsWith('+')) {
    digits = s.slice(1);
    explicitInternational = true;
  } else if (s.startsWith('00')) {
    digits = s.slice(2);
    explicitInternational = true;
  } else {
    digits = s;
    explicitInternational = false;
  }

  const bad = /[^\d]/u.exec(digits)?.[0];
  if (bad !== undefined) {
    // Quoted, an invisible character was `contains ""`: named, it can be found and deleted.
    const shown = INVISIBLE.test(bad) ? `the invisible character ${codePointOf(bad)} (it comes with a number copied from a web page or a spreadsheet)` : `"${bad}"`;
    return fail(input, `contains ${shown}: use digits only, with an optional leading + or 00 for the country code`);
  }
  if (digits === '') return fail(input, 'has no digits after the + or 00: write the number after its country code');

  if (explicitInternational) {
    if (digits.startsWith('0')) return fail(input, 'country codes never start with 0: remove the extra 0 after + or 00');
    if (digits.startsWith('86')) return mainlandFrom(input, digits.slice(2), '+86');
    if (digits.startsWith('1') && digits.length !== 11) {
      return fail(input, `a +1 (US/Canada) number has 10 digits after the 1, got ${digits.length - 1}: check it for a missing or extra digit`);
    }
    return international(input, digits);
  }

  // No + or 00: a bare mainland number, 86 + a mainland number, or country code + number.
  if (digits.startsWith('0')) {
    // 0 then an area code is a mainland landline (010 Beijing, 021 Shanghai, 0755 Shenzhen): no SMS reaches one.
    if (/^0[1-9]\d{8,10}$/.test(digits) && !MAINLAND.test(digits.slice(1))) return fail(input, 'looks like a mainland landline (0 and an area code): SMS go to mobile numbers only. Fix: the person\'s mobile number');
    return fail(input, 'starts with 0: drop the trunk prefix 0, or write the country code with + or 00 (e.g. +852 9123 4567)');
  }
  if (digits.length === 11 && digits.startsWith('1')) return mainlandFrom(input, digits, 'the start');
  if (digits.length === 13 && digits.startsWith('86')) return mainlandFrom(input, digits.slice(2), '86');
  if (digits.startsWith('1')) {
    // Country codes starting with 1 are all +1 (11 digits in all), so any other length is a mistyped mainland number.
    return fail(input, `a mainland mobile number has 11 digits, got ${digits.length}: check it for a missing or extra digit`);
  }
  if (digits.startsWith('86')) {
    return fail(input, `86 + a mainland mobile number has 13 digits, got ${digits.length}: check the number`);
  }
  return international(input, digits);
}

/** White space and format characters (zero-width, bidi marks, BOM) at either end of an entry. */
const AROUND = /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu;

// What people put between numbers in one entry: spaces, ; , ，；、 and |.
const BETWEEN_NUMBERS = /[\s;,，；、|]+/;
const SEPARATOR_NOT_IN_A_NUMBER = /[;,，；、|]/;
const SIXTEEN_DIGITS = /(?:\d\D*){16}/;
/** A character outside ASCII: text that NFKC may change (full-width forms). */
// eslint-disable-next-line no-control-regex -- the ASCII range, controls included
export const NOT_ASCII = /[^\u0000-\u007f]/;

/**
 * Why one entry that holds several numbers is refused, or undefined. Its separator used to be
 * reported as a bad character ("contains ;") or its digits counted together ("got 22").
 */
function severalNumbers(text: string, input: string): { reason: string; numbers: number } | undefined {
  const parts = text.trim().split(BETWEEN_NUMBERS).filter(Boolean);
  if (parts.length < 2 || !parts.every((p) => normalizePhone(p).ok)) return undefined;
  // As it was typed: NFKC made a full-width ， a comma.
  const between = BETWEEN_NUMBERS.exec(input.trim())?.[0] ?? ' ';
  const shown = /^\s+$/.test(between) ? 'spaces' : `"${between.trim()}"`;
  // No surface's spelling here (this module serves them all): a caller that knows the field adds it (producers/plan.ts).
  return { reason: `holds ${parts.length} numbers, with ${shown} between them: give one number per entry`, numbers: parts.length };
}

/**
 * What a spreadsheet did to a number typed into a number cell, or undefined: Excel shows an
 * 11-digit number as 1.38001E+10 (and saves it so in CSV), and some sheets store 13800138000.0.
 * These read as a bad character ("contains E") or a wrong length ("got 12").
 */
function spreadsheetForm(text: string): string | undefined {
  if (/^\d(?:\.\d+)?E\+?\d+$/i.test(text)) {
    return 'is in scientific notation, as a spreadsheet shows a long number in a number cell (its last digits are lost): format the phone column as text, type the numbers again, and save';
  }
  if (/^\+?\d{7,15}\.0+$/.test(text)) return 'ends in ".0", as a spreadsheet stores a number cell: format the phone column as text, or write the number without ".0"';
  return undefined;
}

function international(input: string, digits: string): NormalizedPhone {
  if (digits.length < MIN_E164) {
    return fail(input, `too short for an international number (${digits.length} digits; country code + number is ${MIN_E164}–${MAX_E164}): check it for missing digits`);
  }
  if (digits.length > MAX_E164) {
    return fail(input, `too long (${digits.length} digits; country code + number is at most ${MAX_E164}): check it for extra digits, or two numbers run together`);
  }
  return { ok: true, phone: digits, region: 'international' };
}

/** Normalises a list: valid numbers deduplicated in first-seen order, invalid ones with their reasons. */
export function normalizePhones(list: readonly string[]): NormalizedPhoneList {
  const seen = new Set<string>();
  const valid: string[] = [];
  const invalid: { input: string; reason: string }[] = [];
  let duplicates = 0;
  for (const raw of list) {
    const r = normalizePhone(raw);
    if (!r.ok) {
      invalid.push({ input: r.input, reason: r.reason });
    } else if (seen.has(r.phone)) {
      duplicates++;
    } else {
      seen.add(r.phone);
      valid.push(r.phone);
    }
  }
  return { valid, invalid, duplicates };
}
