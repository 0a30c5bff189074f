/**
 * A normalised phone number as an integer. normalizePhone yields 8–15 digits without a leading
 * zero, so every such number is below 10^15 and exact in a float64: sets and packed logs of
 * numbers store it in 8 bytes or fewer instead of a string.
 */

/** Largest number of digits a value keeps exactly (E.164 numbers have at most 15). */
export const MAX_VALUE_DIGITS = 15;

/** The value of 1–15 decimal digits without a leading zero; 0 for any other string. */
export function phoneValue(phone: string): number {
  const n = phone.length;
  if (n === 0 || n > MAX_VALUE_DIGITS || phone.charCodeAt(0) === 48) return 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = phone.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return 0;
    v = v * 10 + d;
  }
  return v;
}
