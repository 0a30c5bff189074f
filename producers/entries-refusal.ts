/**
 * The shape of every "nothing to send" refusal that names entries: one issue on the request or
 * list as a whole, then the first refused entries each at its place (`phones[3]`,
 * `messages[3].phone`, `recipients[3].phone`, `file:12`), as many as NUMBERS_SHOWN_IN_ERRORS
 * (src/sms/phone-list.ts), the rest counted in the whole's message. A batch without a valid number
 * (producers/plan.ts) and a campaign without a valid recipient (producers/campaign-refusal.ts) word
 * their own lines; one shape keeps them counting and placing alike.
 */
import { ValidationError, type FieldIssue } from '../src/errors.js';
import { describeNumbers, firstOfThemBelow, NUMBERS_SHOWN_IN_ERRORS } from '../src/sms/phone-list.js';
import { quoteExcerpt } from './text-excerpt.js';

/**
 * `entries`: the refused entries in order, each issue's field its place; `refused`: how many were
 * refused in all; `whole`: the message on `field`, given how the entries not named are counted
 * (undefined when every one is named).
 */
export function entriesRefusal(field: string, whole: (below: string | undefined) => string, refused: number, entries: readonly FieldIssue[]): ValidationError {
  const shown = entries.slice(0, NUMBERS_SHOWN_IN_ERRORS);
  return new ValidationError([{ field, message: whole(firstOfThemBelow(shown.length, refused)) }, ...shown]);
}

/**
 * A refused entry's issue text: its number masked as numbers are in every refusal (as typed when
 * too short for one; `(empty)` when blank), then why. `column`: the file's number column (as its
 * header spells it), named when the number is what was refused, as send-batch names a CSV's
 * `column "phone"`.
 */
export function refusedEntryMessage(input: string, reason: string, column?: string): string {
  const number = describeNumbers([input]) || '(empty)';
  return `${column === undefined ? '' : `column ${quoteExcerpt(column)}: `}${number}: ${reason}`;
}
