/**
 * The refusal of a campaign whose list holds no valid recipient, in the shape `send-batch` and
 * POST /v1/batches give a batch without a valid number (producers/plan.ts): one issue on the list
 * as a whole, then one per refused row at its place, as many as a batch's refusal names
 * (NUMBERS_SHOWN_IN_ERRORS, src/sms/phone-list.ts), the rest counted. One issue listing every row
 * in its message named no row a script or a person could point at.
 */
import { ValidationError, type FieldIssue } from '../src/errors.js';
import { describeNumbers, firstOfThemBelow } from '../src/sms/phone-list.js';
import { groupDigits } from '../src/digit-groups.js';

/**
 * A refused row's issue text: its number masked as numbers are in every refusal (as typed when
 * too short for one), then why. `column`: the file's number column (as its header spells it),
 * named when the number is what was refused, as send-batch names a CSV's `column "phone"`.
 */
export function refusedRowMessage(input: string, reason: string, column?: string): string {
  const number = describeNumbers([input]) || '(empty)';
  return `${column === undefined ? '' : `column "${column}": `}${number}: ${reason}`;
}

/**
 * The refusal of a source that yielded no valid recipient (nothing was written): `field` names the
 * source (`recipients` for a list given in the request; `file`, `(body)` for a file), `read` is
 * how many rows it held, `rows` the issues of the first of them ({@link refusedRowMessage}).
 */
export function noRecipientError(field: string, read: number, rows: readonly FieldIssue[]): ValidationError {
  const list = field === 'recipients';
  if (read === 0) {
    return new ValidationError([
      {
        field,
        message: list
          ? 'holds no recipient (nothing was enqueued). Fix: give at least one {"phone": "..."}'
          : 'holds no recipient: it is empty or has only a header (nothing was enqueued). Fix: one row per recipient under a header naming the phone column (phone, mobile, 手机号, ...)',
      },
    ]);
  }
  const below = firstOfThemBelow(rows.length, read);
  const fix = list ? 'correct the recipients and send the request again' : 'correct the rows and send the file again';
  return new ValidationError([
    {
      field,
      message: `holds no valid recipient: all ${groupDigits(read)} ${list ? 'recipients' : 'rows'} were rejected (nothing was enqueued)${below === undefined ? '' : `; ${below}`}. Fix: ${fix}`,
    },
    ...rows,
  ]);
}
