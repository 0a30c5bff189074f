import { z } from 'zod';
import { fieldIssuesFromZod, ValidationError } from '../errors.js';

/**
 * Alibaba's pushed SmsReport: a JSON array; times `yyyy-MM-dd HH:mm:ss` in UTC+8. Fields beyond
 * these are ignored (Alibaba adds some over time).
 */
export const SmsReport = z.object({
  phone_number: z.string().min(1),
  send_time: z.string().optional(),
  report_time: z.string().optional(),
  success: z.boolean(),
  err_code: z.string().optional().default(''),
  err_msg: z.string().optional(),
  sms_size: z.union([z.string(), z.number()]).optional(),
  // Alibaba's BizId (`402617584525830937^0`): stored on the chunk when a report settles a lost answer,
  // whose record cannot hold a `|`, a line break or any other control character. One that is not a
  // BizId is left out, not the push refused: Alibaba drops a push refused three times, and with it
  // every other report it carried.
  biz_id: z
    .string()
    .regex(/^[\x21-\x7b\x7d\x7e]{1,64}$/)
    .optional()
    .catch(undefined),
  out_id: z.string().optional(),
});
export type SmsReport = z.infer<typeof SmsReport>;

/** A pushed SmsUp (a reply from a handset). */
export const SmsUp = z.object({
  phone_number: z.string().min(1),
  content: z.string(),
  send_time: z.string().optional(),
  dest_code: z.string().optional(),
  sequence_id: z.union([z.string(), z.number()]).optional(),
  sign_name: z.string().optional(),
});
export type SmsUp = z.infer<typeof SmsUp>;

function parseArray<T>(schema: z.ZodType<T>, body: unknown, what: string): T[] {
  const r = z.array(schema, { message: `must be a JSON array of ${what}` }).max(10_000).safeParse(body);
  // `(body)`, as every refusal names the body it was sent (`(body)[0].phone_number`).
  if (!r.success) throw new ValidationError(fieldIssuesFromZod(r.error.issues, '(body)'));
  return r.data;
}

/** Validates a whole push before anything is applied: a malformed body changes nothing. */
export function parseSmsReports(body: unknown): SmsReport[] {
  return parseArray(SmsReport, body, 'SmsReport objects');
}

export function parseSmsUps(body: unknown): SmsUp[] {
  return parseArray(SmsUp, body, 'SmsUp objects');
}

/** Replies that opt a number out of marketing (compared as {@link replyWord} reads them). */
export const DEFAULT_OPT_OUT_KEYWORDS = ['TD', 'T', '退订'] as const;

/**
 * A reply as the word it says: full-width forms made plain (NFKC: `ＴＤ` is `TD`), spaces,
 * punctuation and symbols left out (`退订。`, `T D`, `【退订】`), upper case. Phones type replies
 * so: compared as written, such a reply left the number on the marketing list it asked to leave.
 */
function replyWord(text: string): string {
  return text.normalize('NFKC').replace(/[\s\p{P}\p{S}]/gu, '').toUpperCase();
}

export function isOptOut(content: string, keywords: readonly string[] = DEFAULT_OPT_OUT_KEYWORDS): boolean {
  const said = replyWord(content);
  return said !== '' && keywords.some((k) => replyWord(k) === said);
}

/** OutIds are parsed in one place (src/queue/out-id.ts). */
export { parseOutId } from '../queue/out-id.js';
