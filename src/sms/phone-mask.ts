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

/**
 * Whether a digit run found in text can be a phone number in a form smsq reads or writes. One that
 * starts with 1 is a number only at 11 digits: a mainland mobile, or a +1 number with its code (the
 * one country code that starts with 1); at 10 and 12 it stays masked, as such a number mistyped by
 * a digit. So a byte count or a time in ms is left as it is. A run that starts with any other
 * digit cannot be told from an international number as Dysmsapi takes it (country code and number,
 * no +, 8 to 15 digits), nor from a local landline number (7 or 8): it is masked.
 */
function couldBePhone(run: string): boolean {
  const digits = run.startsWith('+') ? run.slice(1) : run;
  return !digits.startsWith('1') || (digits.length >= 10 && digits.length <= 12);
}

/** Masks every digit run inside a free-text string (log messages, errors) that can be a phone number. */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => (couldBePhone(m) ? maskPhone(m) : m));
}

/**
 * Masks every phone-looking digit run of a value given as phone numbers (under a phone key, a
 * list of recipients): there a run is meant as a number, however far it is mistyped.
 */
export function maskPhoneList(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => maskPhone(m));
}

/** Masks a value found under a phone-carrying key: a number, a comma list, a JSON array or an array. */
export function maskPhoneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => maskPhoneValue(v));
  if (typeof value === 'number') return maskPhone(String(value));
  if (typeof value !== 'string') return value;
  return maskPhoneList(value);
}
