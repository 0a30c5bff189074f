import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { HeaderWithoutPhoneError } from '../../producers/recipient-header.js';
import { excerptOf, maskDigitRuns, quoteExcerpt } from '../../producers/text-excerpt.js';
import type { FileEncoding } from '../../producers/encoding-names.js';

/** `bytes` read in `encoding`, as a wrong name reads a file. */
const misread = (bytes: Buffer, encoding: FileEncoding) => iconv.decode(bytes, encoding);
const LIST = Buffer.from(`phone,name\n${Array.from({ length: 200 }, (_, i) => `${13900000000 + i},N${i % 10}`).join('\n')}\n`);

describe('what an error quotes of a file\'s text', () => {
  it('a UTF-8 list read as UTF-16LE: the characters before its bytes turn into digits, not the 44,676 it was', () => {
    const text = misread(LIST, 'utf-16le');
    expect(quoteExcerpt(text, { readAs: 'utf-16le' })).toBe(`"桰湯ⱥ慮敭…" (${text.length.toLocaleString('en-US')} characters)`);
    // Read as UTF-16BE the same bytes are other characters, cut at the same place.
    expect(excerptOf(misread(LIST, 'utf-16be'), { readAs: 'utf-16be' }).excerpt).toHaveLength(5);
  });

  it('a list of numbers alone read as UTF-16: nothing of it', () => {
    const numbers = Buffer.from(Array.from({ length: 50 }, (_, i) => `${13900000000 + i}\n`).join(''));
    expect(excerptOf(misread(numbers, 'utf-16le'), { readAs: 'utf-16le' })).toEqual({ excerpt: '', cut: true });
  });

  it('UTF-16 text read in the other byte order: its digits, a NUL between each, are hidden digits too', () => {
    const swapped = Buffer.from('phone\n13800138000\n', 'utf16le').swap16();
    const text = misread(swapped, 'utf-16le');
    const { excerpt } = excerptOf(text, { readAs: 'utf-16le' });
    expect(excerpt).toBe(text.slice(0, 'phone\n'.length));
  });

  it('text read right keeps its characters: Chinese, a GB18030 four-byte character, a few digits', () => {
    expect(quoteExcerpt('手机号,姓名,金额2025', { readAs: 'utf-16le' })).toBe('"手机号,姓名,金额2025"');
    expect(quoteExcerpt('手机号,𠀀,名', { readAs: 'gb18030' })).toBe('"手机号,𠀀,名"');
    expect(quoteExcerpt('phone,丹丹丹丹', { readAs: 'utf-16le' })).toBe('"phone,丹丹丹丹"');
  });

  it('bounded at 40 characters, with the whole length; a number cut by the bound is not shown in part', () => {
    expect(quoteExcerpt('x'.repeat(100))).toBe(`"${'x'.repeat(40)}…" (100 characters)`);
    expect(quoteExcerpt(`${'x'.repeat(35)}13800138000`)).toBe(`"${'x'.repeat(35)}…" (46 characters)`);
  });

  it('digit runs masked in any script, with spaces and dashes between', () => {
    expect(maskDigitRuns('a 13800138000 b')).toBe('a 138****8000 b');
    expect(maskDigitRuns('１３８００１３８０００')).toBe('１３８****８０００');
    expect(maskDigitRuns('١٣٨٠٠١٣٨٠٠٠')).toBe('١٣٨****٨٠٠٠');
    expect(maskDigitRuns('138-0013-8000 and 2025-11')).toBe('138****8000 and 2025-11');
    expect(maskDigitRuns('1234567')).toBe('****');
  });

  it('a header naming no phone column: its names quoted 40 characters in all, then the header\'s length', () => {
    expect(new HeaderWithoutPhoneError('file:1', ['name', 'city']).problem).toBe('the header ("name", "city") names no phone column');
    expect(new HeaderWithoutPhoneError('file:1', ['name', 'y'.repeat(100), 'z']).problem).toBe(`the header ("name", "${'y'.repeat(36)}…", 107 characters) names no phone column`);
    expect(new HeaderWithoutPhoneError('file:1', Array.from({ length: 30 }, (_, i) => `c${i}`)).problem).toBe(`the header (${Array.from({ length: 16 }, (_, i) => `"c${i}"`).join(', ')}, "c…", 109 characters) names no phone column`);
  });
});
