/**
 * Phone number rules as Dysmsapi applies them: mainland numbers are 11 digits starting with 1,
 * optionally prefixed by `+86`, `0086` or `86`; international and HK/Macao/Taiwan numbers are the
 * country code followed by the number, digits only, no `+`.
 */

export interface ParsedPhone {
  /** The number as records and QuerySendDetails use it: bare 11 digits for mainland numbers. */
  normalized: string;
  /** `true` for mainland China numbers (IsGlobe 1), `false` for the rest (IsGlobe 2). */
  mainland: boolean;
}

const MAINLAND = /^(?:\+86|0086|86)?(1\d{10})$/;
// Country code + number, 7..15 digits. Country code 1 (North America) numbers are 11 digits starting
// with 1, which Dysmsapi reads as mainland; 86 is mainland only: neither starts an international number.
const INTERNATIONAL = /^(?!86)[2-9]\d{6,14}$/;

/** Classifies a number; `undefined` when Dysmsapi would answer `isv.MOBILE_NUMBER_ILLEGAL`. */
export function parsePhone(raw: string): ParsedPhone | undefined {
  const m = MAINLAND.exec(raw);
  if (m) return { normalized: m[1] as string, mainland: true };
  if (INTERNATIONAL.test(raw)) return { normalized: raw, mainland: false };
  return undefined;
}

/** The normalized form of a number, or the input unchanged when it is not a valid number. */
export function normalizePhone(raw: string): string {
  return parsePhone(raw)?.normalized ?? raw;
}
