/**
 * zod building blocks for CLI flags. Commander hands every value over as a string (or `true` for a
 * bare switch, `undefined` when absent); these schemas turn them into typed values, and
 * {@link parseFlags} turns the first problem with each flag into one line that names the flag and
 * the fix.
 */
import { z } from 'zod';
import { normalizePhone } from '../src/sms/phone.js';
import { maskNumberList, quoteForError } from '../src/sms/phone-list.js';
import { invisibleInName } from '../src/sms/template-rules.js';
import { isListenHost } from '../src/listen-host.js';
import { formatDuration, parseDuration, unitOrderFault } from './duration.js';
import { UsageError, type FlagIssue } from './errors.js';
import { notASendId, SEND_ID_PATTERN } from '../src/send-id-shape.js';
import { ValidationError } from '../src/errors.js';

/** Flags whose values are phone numbers (by their keys: `phones` for --phones): quoted masked in errors. */
export const PHONE_FLAGS: ReadonlySet<string> = new Set(['phone', 'phones']);

const required = (fix: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `is required. Fix: ${fix}` : `must be text. Fix: ${fix}`;

/** A whole number in `[min, max]`, given as a decimal string. */
export function intFlag(min: number, max: number, fix: string) {
  return z
    .string({ error: required(fix) })
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}. Fix: ${fix}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be a whole number from ${min} to ${max}. Fix: ${fix}` })
        .max(max, { message: `must be a whole number from ${min} to ${max}. Fix: ${fix}` }),
    );
}

/** True when `yyyyMMdd` names a real calendar day. */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** `typed` as yyyyMMdd when it is a real day written another common way (2026-12-01, 2026/12/1, 2026.12.01). */
function asCompactDate(typed: string): string | undefined {
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(typed);
  const compact = m ? `${m[1]}${(m[2] as string).padStart(2, '0')}${(m[3] as string).padStart(2, '0')}` : undefined;
  return compact !== undefined && isCalendarDate(compact) ? compact : undefined;
}

/**
 * A `yyyyMMdd` date (China Standard Time on the API side; only the shape is checked here). `flag`
 * and `example` make the fix (`--start 20261206`); a real day written another way is given back
 * as yyyyMMdd instead of the example (`--start 2026-12-01`: Fix: --start 20261201). `note` follows.
 */
export function dateFlag(flag: string, example: string, note = '') {
  const fix = `${flag} ${example}${note}`;
  return z
    .string({ error: required(fix) })
    .trim()
    .superRefine((typed, ctx) => {
      if (isCalendarDate(typed)) return;
      ctx.addIssue({ code: 'custom', message: `must be a real date written yyyyMMdd. Fix: ${flag} ${asCompactDate(typed) ?? example}${note}` });
    });
}

/**
 * A deadline as the request takes it: an ISO time with a zone, or epoch milliseconds (digits, which
 * a flag can only give as text; the request's schema checks either).
 */
export function deadlineFlag() {
  // Digits are epoch milliseconds; past what a number holds exactly they stay text, so that the
  // refusal quotes them as typed, not rounded.
  return textFlag('--deadline yyyy-MM-ddT20:00:00+08:00 (a date and time with its zone)', 64).transform((v) => (/^\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v));
}

/** A duration (`30s`, `5m`, `1h30m`; see cli/duration.ts) in `[minMs, maxMs]`, as milliseconds. */
export function durationFlag(minMs: number, maxMs: number, fix: string) {
  const range = `must be a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}: whole numbers with a unit (ms, s, m, h). Fix: ${fix}`;
  return z
    .string({ error: required(fix) })
    .trim()
    .transform((s, ctx) => {
      const fault = unitOrderFault(s);
      if (fault !== undefined && fault.meant >= minMs && fault.meant <= maxMs) {
        ctx.addIssue({ code: 'custom', message: `must give each unit once, largest first: ${fault.problem}. Fix: ${fix.split(' ')[0]} ${formatDuration(fault.meant)}` });
        return z.NEVER;
      }
      const ms = parseDuration(s);
      if (ms === undefined || ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: range });
        return z.NEVER;
      }
      return ms;
    });
}

/** Non-empty text, at most `max` characters. */
export function textFlag(fix: string, max = 200) {
  return z
    .string({ error: required(fix) })
    .trim()
    .min(1, { message: `must not be empty. Fix: ${fix}` })
    .max(max, { message: `must be at most ${max} characters. Fix: ${fix}` });
}

/**
 * A name looked up at the account (a signature, a qualification's group, company or legal person):
 * non-empty text holding no invisible or control character, refused by code point as `send
 * --sign` refuses one. Looked up, a name with one was a name nobody has ("Nothing sent", no
 * records), and `smsq sign` echoed the character raw to the terminal.
 */
export function nameFlag(fix: string, max: number) {
  return textFlag(fix, max).superRefine((name, ctx) => {
    const shown = invisibleInName(name);
    if (shown) ctx.addIssue({ code: 'custom', message: `holds an invisible or control character (${shown}), which no name has: it comes with a name pasted from elsewhere. Fix: type it again (${fix})` });
  });
}

/**
 * Checks a `--cursor` value with `decode` (a cursor reader of src/queue, which refuses with a
 * {@link ValidationError} on the field it is given) and adds its refusal as the flag's issue at
 * `path`: a bad cursor is a bad flag (SMSQ_BAD_FLAG, its value quoted as every flag's is), not a
 * refused request, whose words ("nothing was enqueued") do not fit a listing.
 */
export function checkCursorFlag(ctx: z.RefinementCtx, decode: (field: string) => unknown, path: PropertyKey[] = []): void {
  try {
    decode('--cursor');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    for (const issue of err.issues) ctx.addIssue({ code: 'custom', message: issue.message, path });
  }
}

/** A send id, as a look-up takes it (REST's path too): a space in it, or `!`, is no send's. */
export function sendIdFlag(fix: string) {
  return textFlag(fix, 64).superRefine((value, ctx) => {
    if (SEND_ID_PATTERN.test(value)) return;
    // A BizId with its `^0` is no send id by its shape: say what it is and what finds it.
    ctx.addIssue({ code: 'custom', message: notASendId(value, fix, 'cli') });
  });
}

/** An address to listen on: an IP address or a host name (as SMSQ_SERVER_HOST takes it). */
export function hostFlag(fix: string) {
  return textFlag(fix, 255).refine(isListenHost, { message: `must be a host name or IP address. Fix: ${fix}` });
}

/** One of a fixed set of numbers, given as a string. */
export function choiceIntFlag<const T extends readonly number[]>(values: T, fix: string) {
  const allowed = values.join(', ');
  return z
    .string({ error: required(fix) })
    .trim()
    .refine((s) => /^\d+$/.test(s) && values.includes(Number(s)), { message: `must be one of ${allowed}. Fix: ${fix}` })
    .transform((s) => Number(s) as T[number]);
}

/**
 * One of a fixed set of words, in any case (`--kind Verification`, `--state pass`), given back as
 * listed: `--state pass` was taken and `--kind Verification` refused. `message` says what is
 * allowed (default: `must be one of a, b, c`); `fix` follows it.
 */
export function enumFlag<const T extends readonly [string, ...string[]]>(values: T, fix: string, message = `must be one of ${values.join(', ')}`) {
  const byLowerCase = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z
    .string({ error: required(fix) })
    .trim()
    .transform((s) => byLowerCase.get(s.toLowerCase()) ?? s)
    .pipe(z.enum(values, { message: `${message}. Fix: ${fix}` }));
}

/** A yes or no given as a value (`--use-by-self true`): true, false, yes or no, in any case. */
export function yesNoFlag(fix: string) {
  const words = new Map([['true', true], ['yes', true], ['false', false], ['no', false]]);
  return z
    .string({ error: required(fix) })
    .trim()
    .transform((s, ctx) => {
      const value = words.get(s.toLowerCase());
      if (value !== undefined) return value;
      ctx.addIssue({ code: 'custom', message: `must be true or false (yes or no). Fix: ${fix}` });
      return z.NEVER;
    });
}

/** `--json` and other bare switches. */
export const switchFlag = z.boolean().optional().default(false);

/** Options every list command shares: `--page`, `--page-size` (1–50), `--all`. */
export function pagingFlags(defaultPageSize = 20) {
  return {
    page: intFlag(1, 1_000_000, '--page 1').optional().default(1),
    pageSize: intFlag(1, 50, `--page-size ${defaultPageSize}`).optional().default(defaultPageSize),
  };
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * How a key of the parsed object is shown to the user: options as `--page-size`, positional
 * arguments (listed in `argNames`) as `NAME`.
 */
export function displayName(key: string, argNames: readonly string[] = []): string {
  return argNames.includes(key) ? kebab(key).replace(/-/g, '_').toUpperCase() : `--${kebab(key)}`;
}

/**
 * Parses raw flag values with `schema`. Throws a {@link UsageError} whose message has one line per
 * bad flag: `--page-size "60" must be a whole number from 1 to 50. Fix: --page-size 50`, and whose
 * issues are those lines by flag, with the fix apart (for `--json`).
 */
export function parseFlags<S extends z.ZodType>(schema: S, raw: Record<string, unknown>, argNames: readonly string[] = []): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const seen = new Set<string>();
  const issues: FlagIssue[] = [];
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? '');
    if (seen.has(key)) continue;
    seen.add(key);
    const name = key ? displayName(key, argNames) : 'the command line';
    const value = raw[key];
    // Quoted cut short, numbers masked: a flag may carry phone numbers, thousands of them.
    const shown = typeof value === 'string' ? `${PHONE_FLAGS.has(key) ? quoteForError(maskNumberList(value), { phones: true }) : quoteForError(value)} ` : '';
    const fix = /\. Fix: (.*)$/s.exec(issue.message)?.[1];
    issues.push({ field: name, message: `${shown}${issue.message}`, ...(fix === undefined ? {} : { fix }) });
  }
  throw new UsageError(issues.map((i) => `${i.field} ${i.message}`).join('\n'), { issues });
}

/**
 * One phone number, normalised by the shared rules of `src/sms/phone.ts`; the reason when it is not
 * one. Several numbers in it are told `oneNumber` (what the command does with one) and to run it
 * once per number: the shared reason's advice (one number per entry) fits a list, which such a
 * flag is not.
 */
export function phoneFlag(fix: string, oneNumber = 'this flag takes one number') {
  return z
    .string({ error: required(fix) })
    .trim()
    .transform((s, ctx) => {
      const r = normalizePhone(s);
      if (!r.ok) {
        const message = r.numbers === undefined ? `is not a usable number: ${r.reason}. Fix: ${fix}` : `holds ${r.numbers} numbers: ${oneNumber}. Fix: run it once per number, e.g. ${fix}`;
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return r.phone;
    });
}
