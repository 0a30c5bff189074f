/**
 * The refusal of a campaign whose list holds no valid recipient, in the shape `send-batch` and
 * POST /v1/batches give a batch without a valid number (producers/entries-refusal.ts): one issue on
 * the list as a whole, then one per refused row at its place, the rest counted. One issue listing
 * every row in its message named no row a script or a person could point at.
 */
import { ValidationError, type FieldIssue } from '../src/errors.js';
import { entriesRefusal } from './entries-refusal.js';
import { groupDigits } from '../src/digit-groups.js';

/**
 * The refusal of a source that yielded no valid recipient (nothing was written): `field` names the
 * source (`recipients` for a list given in the request; `file`, `(body)` for a file), `read` is
 * how many rows it held, `rows` the issues of the first of them ({@link refusedEntryMessage}).
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
  const fix = list ? 'correct the recipients and send the request again' : 'correct the rows and send the file again';
  return entriesRefusal(
    field,
    (below) => `holds no valid recipient: all ${groupDigits(read)} ${list ? 'recipients' : 'rows'} were rejected (nothing was enqueued)${below === undefined ? '' : `; ${below}`}. Fix: ${fix}`,
    read,
    rows,
  );
}
