import { describe, expect, it } from 'vitest';
import { noRecipientError } from '../../producers/campaign-refusal.js';
import { refusedEntryMessage } from '../../producers/entries-refusal.js';
import { firstOfThemBelow } from '../../src/sms/phone-list.js';

describe('the refusal of a campaign list without a valid recipient', () => {
  it('names the list, then the rows it was given; more rows than those are counted as a batch counts them', () => {
    const rows = [
      { field: 'file:2', message: refusedEntryMessage('12345', 'too short', 'phone') },
      { field: 'file:3', message: refusedEntryMessage('13800138000', 'expected 2 fields') },
    ];
    expect(noRecipientError('file', 1_234, rows).issues).toEqual([
      { field: 'file', message: 'holds no valid recipient: all 1,234 rows were rejected (nothing was enqueued); the first 2 of them below, and 1,232 more. Fix: correct the rows and send the file again' },
      { field: 'file:2', message: 'column "phone": 12345: too short' },
      { field: 'file:3', message: '138****8000: expected 2 fields' },
    ]);
    // Every row named: nothing counted.
    expect(noRecipientError('recipients', 1, rows.slice(0, 1)).issues[0]?.message).toBe(
      'holds no valid recipient: all 1 recipients were rejected (nothing was enqueued). Fix: correct the recipients and send the request again',
    );
  });

  it('a list with no row at all is said to hold none, as before', () => {
    expect(noRecipientError('(body)', 0, []).issues).toEqual([
      { field: '(body)', message: expect.stringMatching(/^holds no recipient: it is empty or has only a header \(nothing was enqueued\)\. Fix: /) },
    ]);
  });

  it('a row without a number says so, rather than an empty name', () => {
    expect(refusedEntryMessage('', 'is empty', '手机号')).toBe('column "手机号": (empty): is empty');
  });

  it('counts what a refusal does not name', () => {
    expect(firstOfThemBelow(3, 3)).toBeUndefined();
    expect(firstOfThemBelow(3, 10_003)).toBe('the first 3 of them below, and 10,000 more');
  });
});
