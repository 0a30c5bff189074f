import { z } from 'zod';
import { groupDigits } from '../digit-groups.js';
import { fieldIssuesFromZod, ValidationError } from '../errors.js';

/**
 * Text a report may leave out. Null reads as absent: a push carries the reports of every system of
 * the account, and one that writes `"err_msg": null` must not cost the others theirs.
 */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/**
 * Alibaba's pushed SmsReport: a JSON array; times `yyyy-MM-dd HH:mm:ss` in UTC+8. Fields beyond
 * these are ignored (Alibaba adds some over time).
 */
export const SmsReport = z.object({
  phone_number: z.string().min(1),
  send_time: optionalText,
  report_time: optionalText,
  success: z.boolean(),
  err_code: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  err_msg: optionalText,
  sms_size: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => v ?? undefined),
  // Alibaba's BizId (`402617584525830937^0`): stored on the chunk when a report settles a lost answer,
  // whose record cannot hold a `|`, a line break or any other control character. One that is not a
  // BizId is left out, not the push refused: Alibaba drops a push refused three times, and with it
  // every other report it carried.
  biz_id: z
    .string()
    .regex(/^[\x21-\x7b\x7d\x7e]{1,64}$/)
    .optional()
    .catch(undefined),
  out_id: optionalText,
});
export type SmsReport = z.infer<typeof SmsReport>;

/** A pushed SmsUp (a reply from a handset). */
export const SmsUp = z.object({
  phone_number: z.string().min(1),
  content: z.string(),
  send_time: optionalText,
  dest_code: optionalText,
  sequence_id: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => v ?? undefined),
  sign_name: optionalText,
});
export type SmsUp = z.infer<typeof SmsUp>;

/** The items of a push that could be read, and those set aside (each with the fields at fault). */
export interface ParsedPush<T> {
  items: T[];
  /** Items that are not a report (or reply) at all: not applied, counted and logged by the ingest. */
  malformed: { index: number; fields: string[] }[];
}

/** The most items one push is read with: Alibaba pushes far fewer at a time (docs/receipts-and-controls.md). */
const MAX_PUSH_ITEMS = 10_000;

/** What a push larger than any of Alibaba's (in bytes or items) is told to check first. */
export const NOT_ALIBABAS_PUSH = "Alibaba pushes reports in small batches, far below it: check that what posts here is Alibaba's push (its URL set in the console)";

/** The refusal of a push longer than {@link MAX_PUSH_ITEMS}: the limit, that none of it was applied, and what to check. */
function tooManyItems(length: number | undefined, item: string): string {
  const held = length === undefined ? 'holds more items' : `holds ${groupDigits(length)} items`;
  return (
    `${held}, over the ${groupDigits(MAX_PUSH_ITEMS)} ${item} items a push may hold; none of them was applied. ` +
    `Fix: ${NOT_ALIBABAS_PUSH}; a sender of its own splits them into pushes of at most ` +
    groupDigits(MAX_PUSH_ITEMS)
  );
}

/**
 * A push is refused whole (400, nothing applied) only when it is not a JSON array at all (or
 * longer than any push: {@link MAX_PUSH_ITEMS}). One item that does not read is set aside, not the push refused: Alibaba
 * pushes a refused push again three times, then drops it with every genuine report it carried.
 */
function parsePush<T>(schema: z.ZodType<T>, body: unknown, what: string, item: string): ParsedPush<T> {
  const r = z
    .array(z.unknown(), { message: `must be a JSON array of ${what}` })
    // Its own words: zod's were the array's type message, which told a push of 12,000 reports it was none.
    .max(MAX_PUSH_ITEMS, { error: (issue) => tooManyItems(Array.isArray(issue.input) ? issue.input.length : undefined, item) })
    .safeParse(body);
  // `(body)`, as every refusal names the body it was sent.
  if (!r.success) throw new ValidationError(fieldIssuesFromZod(r.error.issues, '(body)'));
  const parsed: ParsedPush<T> = { items: [], malformed: [] };
  r.data.forEach((item, index) => {
    const one = schema.safeParse(item);
    if (one.success) parsed.items.push(one.data);
    else parsed.malformed.push({ index, fields: [...new Set(fieldIssuesFromZod(one.error.issues, `(body)[${index}]`).map((i) => i.field))] });
  });
  return parsed;
}

/** Reads a push of SmsReports: a body that is no array is refused whole; an item that does not read is set aside. */
export function parseSmsReports(body: unknown): ParsedPush<SmsReport> {
  return parsePush(SmsReport, body, 'SmsReport objects', 'SmsReport');
}

export function parseSmsUps(body: unknown): ParsedPush<SmsUp> {
  return parsePush(SmsUp, body, 'SmsUp objects', 'SmsUp');
}

/**
 * Replies that opt a number out of marketing (compared as {@link replyWord} reads them), unless
 * SMSQ_OPT_OUT_WORDS says otherwise. `R`: Alibaba's marketing templates end "拒收请回复R" (reply R
 * to refuse), so it is the word most recipients are told to send.
 */
export const DEFAULT_OPT_OUT_KEYWORDS = ['TD', 'T', 'R', '退订'] as const;

/**
 * A reply as the word it says: full-width forms made plain (NFKC: `ＴＤ` is `TD`), spaces,
 * punctuation and symbols left out (`退订。`, `T D`, `【退订】`), upper case. Phones type replies
 * so: compared as written, such a reply left the number on the marketing list it asked to leave.
 */
function replyWord(text: string): string {
  return text.normalize('NFKC').replace(/[\s\p{P}\p{S}]/gu, '').toUpperCase();
}

/** Whether `word` can ever match a reply: one of punctuation and spaces alone reads as nothing. */
export function isReplyWord(word: string): boolean {
  return replyWord(word) !== '';
}

export function isOptOut(content: string, keywords: readonly string[] = DEFAULT_OPT_OUT_KEYWORDS): boolean {
  const said = replyWord(content);
  return said !== '' && keywords.some((k) => replyWord(k) === said);
}

/** OutIds are parsed in one place (src/queue/out-id.ts). */
export { parseOutId } from '../queue/out-id.js';
