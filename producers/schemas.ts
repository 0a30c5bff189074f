import { z } from 'zod';
import { forbiddenCallbackReason, ipOfHost, isForbiddenCallbackAddress } from '../src/callback-address.js';
import { MESSAGE_KINDS } from '../src/queue/kinds.js';
import { mention } from '../src/setting-mention.js';
import { firstCodePoint, halfCharacter, invisibleInName, LONE_SURROGATE } from '../src/sms/template-rules.js';
import { EXTEND_CODE } from '../src/sms/extend-code.js';
import { isoTime } from '../src/china-time.js';
import { parseZonedTime } from '../src/zoned-time.js';
import { NULL_GIVEN, ValidationError } from '../src/errors.js';

/**
 * A param's fix in its own name, the value quoted (`{"name":"5"}` for `name: 5`): every param was
 * told `{"code":"123456"}`, a param it did not have.
 */
function quotedParam(name: PropertyKey | undefined, value: unknown): string {
  const text = typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : '...';
  return JSON.stringify({ [typeof name === 'string' ? name : 'code']: text });
}

const stringParams = z.record(
  z.string(),
  z.string({ error: (issue) => `template parameter values must be strings. Fix: quote the value, e.g. ${quotedParam(issue.path?.at(-1), issue.input)}` }).superRefine((value, ctx) => {
    // Here, not only against the template's rules: a send without an account check has none.
    const half = firstCodePoint(value, LONE_SURROGATE);
    if (half) ctx.addIssue({ code: 'custom', message: `${halfCharacter(half)}. Fix: send the value in whole characters (in UTF-8)` });
  }),
  { message: 'must be an object of string values. Fix: write it as a JSON object of strings, e.g. {"code":"123456"}' },
);

/** A phone number longer than any (32 characters): one entry holding several, or not a number. */
export const PHONE_TOO_LONG = 'is too long to be a phone number. Fix: one number per entry, e.g. 138-0013-8000';
/** A batch's messages, for the fix of a list that is none or is empty (in groups: error text masks a run of digits as a phone number). */
const BATCH_EXAMPLE = '[{"phone":"138-0013-8000","signName":"...","templateParam":{...}}]';
/** A batch's `messages` that is no list of messages (the Node API, a JSON body, `smsq send-batch`'s file). */
export const MESSAGES_NOT_A_LIST = `must be a list of {phone, signName, templateParam, smsUpExtendCode}. Fix: e.g. ${BATCH_EXAMPLE}`;
/** A batch's `messages` that is empty. */
export const NO_MESSAGE = `needs at least one message. Fix: e.g. ${BATCH_EXAMPLE}`;

export const IdempotencyKey = z
  .string()
  // An empty key is only that: the checks after it would add nothing but noise.
  .min(1, { message: 'must not be empty. Fix: a key such as order-1001-shipped, or leave it out', abort: true })
  .max(128, { message: 'must be at most 128 characters. Fix: a shorter key, e.g. a hash of what makes the request unique' })
  .regex(/^[A-Za-z0-9._~-]+$/, { message: 'may contain only letters, digits and . _ ~ -. Fix: e.g. order-1001-shipped' });

// A signature shows as 【name】 in every message, and Dysmsapi adds the brackets itself: given with
// them, it is a name the account does not have (SignatureNotFound, with no word of why).

const signName = z
  .string()
  .trim()
  .superRefine((name, ctx) => {
    // The characters a template param may not hold, and every control character.
    const shown = invisibleInName(name);
    // Refused here, not by the account look-up (a GetSmsSign, to be told SignatureNotFound).
    if (shown) ctx.addIssue({ code: 'custom', message: `holds an invisible or control character (${shown}), which no signature has: it comes with a name pasted from elsewhere. Fix: type the name again (\`smsq signs\` lists them)` });
    // Its look-up threw in the SDK and was skipped as Dysmsapi not answering; enqueued, each
    // SendSms threw the same before it was sent, was taken for an unknown outcome and sent again.
    const half = firstCodePoint(name, LONE_SURROGATE);
    if (half) ctx.addIssue({ code: 'custom', message: `${halfCharacter(half)}. Fix: type the name again (\`smsq signs\` lists them)` });
  })
  .min(1, { message: 'is required: the approved signature to send with. Fix: the name of an approved signature (`smsq signs` lists them)' })
  .max(100, { message: 'must be at most 100 characters: no signature is longer. Fix: the name of an approved signature (`smsq signs` lists them)' })
  .refine((name) => !/^[【[].*[】\]]$/.test(name), { message: 'is written with its brackets: a message shows the signature as 【name】, and Dysmsapi adds them. Fix: the name alone (smsq signs lists them)' });
const templateCode = z
  .string()
  .trim()
  .regex(/^SMS_\d+$/, { message: 'must look like SMS_123456789. Fix: the code of an approved template (see `smsq templates`)' });
/** A send's name for people (the campaigns page, `smsq sends`): an empty one names nothing. */
const sendName = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty. Fix: leave name out, or give the send a name' })
  .max(200, { message: 'must be at most 200 characters. Fix: a shorter name' })
  .superRefine((name, ctx) => {
    const shown = invisibleInName(name);
    // Shown on the campaigns page and by `smsq sends`: an escape sequence would drive the terminal,
    // and a bidi control (U+202E) or an invisible character would show another name than it is.
    if (shown) ctx.addIssue({ code: 'custom', message: `holds an invisible or control character (${shown}). Fix: a name of printable characters, typed rather than pasted` });
  });
/** A kind that is not one: in another case, the one meant; otherwise which is for what. */
function kindRefusal(input: unknown): string {
  const meant = typeof input === 'string' ? MESSAGE_KINDS.find((k) => k === input.trim().toLowerCase()) : undefined;
  const fix = meant
    ? `${mention('kind', meant)} (kinds are lower case)`
    : 'verification for codes, notification for what a user expects (an order shipped), marketing for promotions (held in the quiet hours, skips opted-out numbers)';
  return `must be one of ${MESSAGE_KINDS.join(', ')}. Fix: ${fix}`;
}
const kind = z.enum(MESSAGE_KINDS, { error: (issue) => kindRefusal(issue.input) });
/** The formats a deadline may take, for refusals. */
// The form, not a date to copy: any date written here is in the past some day.
export const DEADLINE_FORMATS = 'an ISO 8601 time with a zone (yyyy-MM-ddTHH:mm:ss+08:00, +0800 or ...Z; a space for the T) or epoch milliseconds';
/** What a value of the wrong type is, for a refusal. */
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
/**
 * The example a deadline's refusal gives until the door that knows the time dates it
 * ({@link withDatedDeadlineExample}): a schema has no clock, and "today's date and 20:00" was told
 * at 23:24, a time already gone.
 */
const UNDATED_EXAMPLE = 'a day to come at 20:00 China time, as yyyy-MM-ddT20:00:00+08:00';
/**
 * A time and a zone with a space where the zone's sign goes: in a query string an unencoded `+`
 * reads as a space, so `?deadline=2027-01-01T00:00:00+08:00` arrives as `...00:00 08:00`.
 */
const LOST_PLUS = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$/;
function deadlineRefusal(shown: string, forms: string, value?: unknown): string {
  const lost = typeof value === 'string' ? LOST_PLUS.exec(value.trim()) : null;
  if (lost) {
    const [, time, zone] = lost;
    // Its fix was the very form that had been sent: the + it wrote is what the query string lost.
    return `must be ${forms}, got ${shown}: a space where the zone's + goes, as a + in a query string reads as a space. Fix: ${time}+${zone}, its + percent-encoded as %2B in a query string (${time}%2B${zone})`;
  }
  return `must be ${forms}, got ${shown}. Fix: e.g. ${UNDATED_EXAMPLE}`;
}

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** 20:00 China time next to come after `now`: today's, or tomorrow's once today's has passed; for a fix to copy. */
export function deadlineExample(now: number): string {
  const todayAt20 = Math.floor((now + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS + 20 * 3_600_000 - CHINA_OFFSET_MS;
  const at = todayAt20 > now ? todayAt20 : todayAt20 + DAY_MS;
  return `${isoTime(at).slice(0, 19)}+08:00 (${at === todayAt20 ? 'today' : 'tomorrow'} at 20:00 China time)`;
}

/** `err` with the example of a deadline's refusal dated at `now` (the caller's clock); any other error as it is. */
export function withDatedDeadlineExample(err: unknown, now: number): unknown {
  if (!(err instanceof ValidationError) || !err.issues.some((i) => i.message.includes(UNDATED_EXAMPLE))) return err;
  return new ValidationError(err.issues.map((i) => ({ field: i.field, message: i.message.replace(UNDATED_EXAMPLE, deadlineExample(now)) })));
}
/** The last time a Date holds (ms): 8.64e15, in the year 275760. */
const LAST_DATE_MS = 8.64e15;
/** A string or epoch ms to epoch ms, or an issue naming the accepted forms (`forms`). */
function deadlineMs(v: string | number, forms: string, ctx: z.RefinementCtx): number {
  // Epoch ms as a string too: a query string has no numbers, and the CLI's --deadline takes both.
  const ms = typeof v === 'number' ? v : /^\d{1,16}$/.test(v.trim()) ? Number(v.trim()) : undefined;
  // Past LAST_DATE_MS a Date is invalid: the refusal that compares it with the retention printed "NaN-NaN-NaN".
  // 0 or before is a time in the past, refused as that by the plan (not as a value of the wrong form).
  const at = ms !== undefined ? (Number.isSafeInteger(ms) && Math.abs(ms) <= LAST_DATE_MS ? ms : undefined) : parseZonedTime(v as string);
  if (at !== undefined) return at;
  ctx.addIssue({ code: 'custom', message: deadlineRefusal(JSON.stringify(v), forms, v) });
  return z.NEVER;
}
/**
 * An ISO 8601 time with a zone (or epoch ms): chunks not sent by then are `expired`, not sent late.
 * Parsed to epoch ms; one message with the accepted formats for anything else (a time without a
 * zone would be read in whichever zone the server runs in, so it is refused). What JSON can carry:
 * the HTTP API's form.
 */
export const wireDeadline = z.union([z.string(), z.number()], { error: (issue) => deadlineRefusal(typeOf(issue.input), DEADLINE_FORMATS) }).transform((v, ctx) => deadlineMs(v, DEADLINE_FORMATS, ctx));
/** The Node API's deadline: a Date too (the natural JS type for a time). */
const DEADLINE_FORMATS_IN_NODE = `a Date, ${DEADLINE_FORMATS}`;
const deadline = z
  .union([z.string(), z.number(), z.custom<Date>((v) => v instanceof Date)], { error: (issue) => deadlineRefusal(typeOf(issue.input), DEADLINE_FORMATS_IN_NODE) })
  .transform((v, ctx) => {
    if (!(v instanceof Date)) return deadlineMs(v, DEADLINE_FORMATS_IN_NODE, ctx);
    const ms = v.getTime();
    // new Date(0) is a time like any other: the plan refuses it as in the past.
    if (!Number.isNaN(ms)) return ms;
    ctx.addIssue({ code: 'custom', message: deadlineRefusal(Number.isNaN(ms) ? 'an Invalid Date' : v.toISOString(), DEADLINE_FORMATS_IN_NODE) });
    return z.NEVER;
  });
const callbackUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL that receives the final state. Fix: the URL of your receiver, e.g. https://example.com/smsq/callback' })
  // Its own message: the URL's above would be said of every issue, a URL too long included.
  .max(2048, { message: 'must be at most 2048 characters. Fix: a shorter URL for your receiver (an id in its path, not the data)' })
  .superRefine((url, ctx) => {
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'carries a user or password: callbacks are signed (X-Smsq-Signature, SMSQ_CALLBACK_SECRET), not sent with credentials. Fix: the URL without user:pass@' });
    } else {
      // A name is not resolved here: the workers check every address it resolves to as they connect.
      const address = ipOfHost(parsed.hostname);
      if (address !== undefined && isForbiddenCallbackAddress(address)) {
        ctx.addIssue({ code: 'custom', message: `points at ${forbiddenCallbackReason(parsed.hostname)}: the workers would POST there. Fix: the URL of your receiver` });
      }
    }
  });

/**
 * SmsUpExtendCode: digits Dysmsapi appends to the sender number, so that replies (SmsUp) to
 * different sends can be told apart. smsq takes 1-12 ({@link EXTEND_CODE}, the rule the emulator's
 * isv.EXTEND_CODE_ERROR tests); the account's own limit may be lower (Alibaba answers isv.EXTEND_CODE_ERROR then). A
 * string: as a JSON number `01` would lose its leading zero and be another code. Never trimmed, at
 * any door (the CLI's flag included): a code is digits and nothing else, and one with spaces around
 * its digits is refused with the digits alone as its fix, rather than taken as a guess.
 */
export const smsUpExtendCode = z
  .string({ error: (issue) => (issue.input === null ? `must be a string of 1-12 digits, got null: ${NULL_GIVEN}` : `must be a string of 1-12 digits, got ${typeOf(issue.input)}: a number loses its leading zeros. Fix: quote it, e.g. "01"`) })
  .regex(EXTEND_CODE, { error: (issue) => extendCodeRefusal(String(issue.input)) });

/** Why `code` is not an extension code, and the fix. */
function extendCodeRefusal(code: string): string {
  const digits = code.trim();
  // Said as such: the spaces of " 07" do not show in a refusal that only says "digits only".
  if (digits !== code && EXTEND_CODE.test(digits)) return `has spaces around its digits; an extension code is digits only, and is never trimmed. Fix: "${digits}", without the spaces`;
  return 'must be 1-12 digits (an extension code appended to the sender number). Fix: digits only, e.g. 01, or leave it out';
}

/** The kind of a send or batch that names none and whose template says nothing (see the producer's kindAndRules). */
export const DEFAULT_SEND_KIND = 'notification';

/**
 * One signature + template + params to any number of numbers. The request schemas are strict: a
 * field they do not have is refused by name (the producer suggests the field meant), not dropped,
 * because a misspelt `idempotency_key` dropped made a retry send twice.
 */
export const SendRequest = z.strictObject({
  phones: z
    .array(z.string().max(32, { message: PHONE_TOO_LONG }), { message: `must be a list of phone numbers. Fix: ${mention('phones', ['138-0013-8000'])}, one number per entry` })
    // The example in groups: error text masks a run of digits as a phone number.
    .min(1, { message: 'needs at least one phone number. Fix: give one, e.g. 138-0013-8000' }),
  signName,
  templateCode,
  templateParam: stringParams.optional(),
  smsUpExtendCode: smsUpExtendCode.optional(),
  kind: kind.optional().meta({ description: "Default: the template's kind when the account is checked (verification for a verification template, marketing for a marketing one), else notification" }),
  idempotencyKey: IdempotencyKey.optional(),
  name: sendName.optional(),
  callbackUrl: callbackUrl.optional(),
  deadline: deadline.optional(),
});
export type SendRequest = z.input<typeof SendRequest>;

/** Personalised messages: each number with its own signature and params, one template. */
export const SendBatchRequest = z.strictObject({
  templateCode,
  messages: z
    .array(
      z.strictObject({
        phone: z.string().max(32, { message: PHONE_TOO_LONG }),
        signName,
        templateParam: stringParams.optional(),
        /** This message's SmsUpExtendCode (SendBatchSms's SmsUpExtendCodeJson holds one per number). */
        smsUpExtendCode: smsUpExtendCode.optional(),
      }),
      { message: MESSAGES_NOT_A_LIST },
    )
    .min(1, { message: NO_MESSAGE }),
  kind: kind.optional().meta({ description: "Default: the template's kind when the account is checked (verification for a verification template, marketing for a marketing one), else notification" }),
  idempotencyKey: IdempotencyKey.optional(),
  name: sendName.optional(),
  callbackUrl: callbackUrl.optional(),
  deadline: deadline.optional(),
});
export type SendBatchRequest = z.input<typeof SendBatchRequest>;

/** A campaign's shared settings; recipients are streamed separately. */
export const CampaignRequest = z.strictObject({
  signName,
  templateCode,
  /** Shared params; per-recipient params override them. */
  templateParam: stringParams.optional(),
  /** One SmsUpExtendCode for every recipient: replies to this campaign told from replies to other sends. */
  smsUpExtendCode: smsUpExtendCode.optional(),
  kind: kind.default('marketing'),
  name: sendName.optional(),
  idempotencyKey: IdempotencyKey.optional(),
  callbackUrl: callbackUrl.optional(),
  deadline: deadline.optional(),
});
export type CampaignRequest = z.input<typeof CampaignRequest>;

/** One recipient of a campaign. */
export interface CampaignRecipient {
  phone: string;
  params?: Record<string, string>;
  /** The line (CSV) or row (workbook) it was read from, named in the reason when it is rejected. */
  line?: number;
  /** Set when the row could not be read; the row is counted as rejected with this reason. */
  error?: string;
}
