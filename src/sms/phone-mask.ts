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
 * The number smsq's own fixes give as an example (`Fix: pass e.g. [{ phone: '13800138000' }]`):
 * the docs' sandbox number, nobody's phone. Masked, the fix to copy read `138****8000`.
 */
export const EXAMPLE_PHONE = '13800138000';

// What comes before EXAMPLE_PHONE where a fix gives it: "e.g. " and the code around it
// (`e.g. [{ phone: '`, `e.g. { phone: '`, `e.g. phone: '`, `e.g. `).
const EXAMPLE_LEAD = /\be\.g\. (?:\[?\{ )?(?:phone: )?'?$/;

/**
 * Whether the digit run `run`, found at `at` in `text`, is a phone number to mask: not when it is a
 * fix's own example (EXAMPLE_PHONE after "e.g."). A number anyone gave is masked wherever it
 * stands, a fix's example included when it is not EXAMPLE_PHONE, and so is the whole part of a
 * decimal number: a phone cell typed with decimals (13800138042.7) is refused quoting it.
 */
function isPhoneRun(run: string, at: number, text: string): boolean {
  return !(run === EXAMPLE_PHONE && EXAMPLE_LEAD.test(text.slice(Math.max(0, at - 20), at)));
}

const maskRuns = (text: string, runs: RegExp) => text.replace(runs, (run: string, at: number) => (isPhoneRun(run, at, text) ? maskPhone(run) : run));

/**
 * Masks the digit runs of a value that are likely phone numbers, leaving shorter ones (dates, ids):
 * for values of flags that are not about numbers but may carry one (a template param, a path).
 */
export function maskLikelyPhones(text: string): string {
  return maskRuns(text, LIKELY_PHONE);
}

/** Masks every phone-looking digit run inside a free-text string (log messages, refusals). */
export function maskPhonesInText(text: string): string {
  return maskRuns(text, PHONE_IN_TEXT);
}

/** Masks a value found under a phone-carrying key: a number, a comma list, a JSON array or an array. */
export function maskPhoneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => maskPhoneValue(v));
  if (typeof value === 'number') return maskPhone(String(value));
  if (typeof value !== 'string') return value;
  return maskPhonesInText(value);
}
