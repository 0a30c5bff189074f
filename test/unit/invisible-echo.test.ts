/**
 * A refused number is echoed back with its invisible characters written as code points: shown as
 * they are, `1380013800` and a zero-width space read as ten digits followed by nothing, and
 * masked (`138****800` and the same character) the refusal named a character nobody could see.
 */
import { describe, expect, it } from 'vitest';
import { renderRejected } from '../../cli/pipeline.js';
import { codePointOf, showInvisible } from '../../src/sms/code-points.js';
import { describeNumbers } from '../../src/sms/phone-list.js';

describe('showInvisible', () => {
  it('writes each invisible character as its code point, as reasons name it, and leaves the rest as typed', () => {
    expect(showInvisible('1380013800\u200b')).toBe('1380013800<U+200B>');
    expect(showInvisible('\ufeff138\u00a00013\u20608000\u3000')).toBe('<U+FEFF>138<U+00A0>0013<U+2060>8000<U+3000>');
    // The code point is the one a reason names (codePointOf), without its name.
    expect(codePointOf('\u200b')).toBe('U+200B ZERO WIDTH SPACE');
    // A plain space shows, and groups a number as people write it; tabs and line breaks do not show.
    expect(showInvisible('138 0013 8000')).toBe('138 0013 8000');
    expect(showInvisible('138\t8000\n')).toBe('138<U+0009>8000<U+000A>');
    expect(showInvisible('13800138000')).toBe('13800138000');
  });
});

describe('a refused number with an invisible character', () => {
  it('masked in a refusal, it shows the character after the masked digits', () => {
    expect(describeNumbers(['1380013800\u200b'])).toBe('138****800<U+200B>');
    expect(describeNumbers(['12\u200b3'])).toBe('12<U+200B>3');
  });

  it('in the CLI\'s rejected table, it shows the character', () => {
    const table = renderRejected([{ input: '1380013800\u200b', reason: 'a mainland mobile number has 11 digits, got 10' }], 1);
    expect(table).toContain('1380013800<U+200B>');
    expect(table).not.toContain('\u200b');
  });
});
