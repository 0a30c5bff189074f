/**
 * A batch's extension codes (SmsUpExtendCode) as its plan and its send's record name them, where a
 * send names its one code: for people checking what goes out (`smsq status`, the plan before an
 * enqueue, `GET /v1/sends/:id`), as a batch's signatures are named by its distinct ones.
 */
import { groupDigits } from '../src/digit-groups.js';

/**
 * How many distinct codes are written out: a batch may give each of thousands of messages its own
 * code (to tell each reply apart), and the record that keeps the summary lives as long as the send.
 */
export const EXTEND_CODES_NAMED = 10;

/**
 * The distinct codes among `codes` (one per message, undefined for none), comma-separated in the
 * order first given, past the first {@link EXTEND_CODES_NAMED} counted (`01,02,...,10 and 90 more`);
 * undefined when no message has one. Messages without a code are not named.
 */
export function batchExtendCodes(codes: Iterable<string | undefined>): string | undefined {
  const distinct = new Set<string>();
  for (const code of codes) if (code !== undefined) distinct.add(code);
  if (distinct.size === 0) return undefined;
  const named = [...distinct].slice(0, EXTEND_CODES_NAMED).join(',');
  const more = distinct.size - EXTEND_CODES_NAMED;
  return more > 0 ? `${named} and ${groupDigits(more)} more` : named;
}
