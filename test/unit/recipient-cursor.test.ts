import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { decodeRecipientCursor, encodeRecipientCursor, FIRST_RECIPIENT, type RecipientPosition } from '../../src/queue/recipient-cursor.js';

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('no error thrown');
};
const forge = (tuple: unknown) => Buffer.from(JSON.stringify(tuple)).toString('base64url');

describe('recipient cursors', () => {
  it('round-trip every kind of position, as URL-safe text without the phone numbers', () => {
    const positions: RecipientPosition[] = [FIRST_RECIPIENT, { phase: 'chunks', chunk: 812, offset: 999 }, { phase: 'unchunked', skip: 0 }, { phase: 'unchunked', skip: 12_345 }];
    for (const p of positions) {
      const cursor = encodeRecipientCursor('sm1a2b3c', p);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeRecipientCursor('sm1a2b3c', cursor)).toEqual(p);
    }
  });

  it('refuse another send\'s cursor, text that is not a cursor, and forged positions, naming the field and the fix', () => {
    const cursor = encodeRecipientCursor('sendA', { phase: 'chunks', chunk: 3, offset: 1 });
    expect(issuesOf(() => decodeRecipientCursor('sendB', cursor, 'query.cursor'))).toEqual([
      { field: 'query.cursor', message: 'belongs to another send. Fix: pass the `next` value of the previous page unchanged, or leave query.cursor out to start at the first recipient' },
    ]);
    const bad = ['', 'not a cursor', '!!!', forge({ v: 1 }), forge([2, 'sendA', 'c', 0, 0]), forge([1, 'sendA', 'c', -1, 0]), forge([1, 'sendA', 'c', 1.5, 0]), forge([1, 'sendA', 'c', 0]), forge([1, 'sendA', 'u', '13800138000']), forge([1, 'sendA', 'x', 0]), 'A'.repeat(401)];
    for (const text of bad) {
      expect(issuesOf(() => decodeRecipientCursor('sendA', text)), text).toEqual([{ field: 'cursor', message: expect.stringMatching(/^is not a recipient cursor\. Fix: /) }]);
    }
  });
});
