/**
 * Masks a phone number for logs: the first three and last four digits stay, the middle becomes
 * `****` (`13800138000` → `138****8000`). Short values are masked whole.
 */
export function maskPhone(phone: string): string {
  const s = String(phone);
  if (s.length < 8) return '****';
  return `${s.slice(0, 3)}****${s.slice(-4)}`;
}

// Runs of 7–15 digits, optionally with a leading +; phone-like tokens inside free text.
const PHONE_IN_TEXT = /(?<![\w^])\+?\d{7,15}(?!\w)/g;

// Digit runs that are phone numbers rather than dates or ids: 10–15 digits (a mainland mobile has
// 11), or 7–15 after a + or 00. A yyyyMMdd date or an 8-digit work order id stays as typed.
const LIKELY_PHONE = /(?<![\w^])(?:\+\d{7,15}|00\d{7,13}|\d{10,15})(?!\w)/g;

/**
 * Masks the digit runs of a value that are likely phone numbers, leaving shorter ones (dates, ids):
 * for values of flags that are not about numbers but may carry one (a template param, a path).
 */
export function maskLikelyPhones(text: string): string {
  return text.replace(LIKELY_PHONE, (m) => maskPhone(m));
}

/** Masks every phone-looking digit run inside a free-text string (log messages). */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => maskPhone(m));
}

/** Masks a value found under a phone-carrying key: a number, a comma list, a JSON array or an array. */
export function maskPhoneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => maskPhoneValue(v));
  if (typeof value === 'number') return maskPhone(String(value));
  if (typeof value !== 'string') return value;
  return maskPhonesInText(value);
}
