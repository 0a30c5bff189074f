import { describe, expect, it } from 'vitest';
import { NumberRow, RecipientRows } from '../../producers/recipient-rows.js';

describe('RecipientRows', () => {
  // Made by a constructor, not an object literal: V8 could move a literal's million objects to the old generation (recipient-rows.ts).
  it('makes a row of a number alone a NumberRow, with or without a header', () => {
    const headed = new RecipientRows('file');
    expect(headed.row(['phone'], 1)).toBeUndefined();
    const row = headed.row([' 13800000000 '], 2);
    expect(row).toBeInstanceOf(NumberRow);
    expect(row).toEqual(new NumberRow('13800000000', 2));
    expect({ ...row }).toEqual({ phone: '13800000000', line: 2 });

    const bare = new RecipientRows('file');
    const first = bare.row(['13800000001'], 1);
    expect(first).toBeInstanceOf(NumberRow);
    expect({ ...first }).toEqual({ phone: '13800000001', line: 1 });
  });

  it('refuses a header column named __proto__ by name, as a JSON body refuses the key (it was dropped without a word)', () => {
    expect(() => new RecipientRows('file').row(['phone', 'name', '__proto__'], 1)).toThrow(/file:1.*column 3 of the header, "__proto__", is refused/s);
  });

  it('keeps a row with params, or one that cannot be read, a plain recipient', () => {
    const rows = new RecipientRows('file');
    rows.row(['phone', 'name'], 1);
    const withParams = rows.row(['13800000002', '会员'], 2);
    expect(withParams).not.toBeInstanceOf(NumberRow);
    expect(withParams).toEqual({ phone: '13800000002', params: { name: '会员' }, line: 2 });
    const short = rows.row(['13800000003'], 3);
    expect(short).not.toBeInstanceOf(NumberRow);
    expect(short?.error).toMatch(/expected 2 fields/);
  });
});
