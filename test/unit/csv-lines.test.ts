import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../producers/csv-lines.js';

/** Every line of `chunks` fed one after another to a LineSplitter. */
function linesOf(chunks: readonly (Buffer | string)[]): string[] {
  const s = new LineSplitter();
  const out: string[] = [];
  for (const c of chunks) {
    s.push(c);
    for (let line = s.next(); line !== undefined; line = s.next()) out.push(line);
  }
  const last = s.end();
  if (last !== undefined) out.push(last);
  return out;
}

/** What readline (crlfDelay: Infinity) makes of `text`: `\n`, `\r\n` and a lone `\r` end lines. */
function expected(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

describe('LineSplitter', () => {
  it('splits on LF, CRLF and a lone CR, keeping empty lines', () => {
    expect(linesOf(['a\nb\r\nc\rd\n\ne'])).toEqual(['a', 'b', 'c', 'd', '', 'e']);
  });

  it('yields a last line without a line end, and nothing for a final line end', () => {
    expect(linesOf(['a\nb'])).toEqual(['a', 'b']);
    expect(linesOf(['a\nb\n'])).toEqual(['a', 'b']);
    expect(linesOf(['a\r\n'])).toEqual(['a']);
    expect(linesOf([''])).toEqual([]);
    expect(linesOf([])).toEqual([]);
  });

  it('keeps a CRLF split across two chunks as one line end', () => {
    expect(linesOf(['a\r', '\nb\r', '\n'])).toEqual(['a', 'b']);
    expect(linesOf(['a\r', 'b'])).toEqual(['a', 'b']);
    expect(linesOf(['a\r', '', '\nb'])).toEqual(['a', 'b']);
  });

  it('joins a line spread over several chunks', () => {
    expect(linesOf(['13', '80013', '8000\n1390', '0139000'])).toEqual(['13800138000', '13900139000']);
  });

  it('decodes multi-byte UTF-8 split across chunks intact', () => {
    const bytes = Buffer.from('\uFEFFphone,name\n13800138000,会员😀\n', 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(linesOf([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['\uFEFFphone,name', '13800138000,会员😀']);
    }
  });

  it('agrees with a line split of the whole text at every pair of cut points', () => {
    const text = 'phone,name\r\n138,"a\rb"\n\n139,会员\r\r\n140';
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(linesOf([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(expected(text));
      }
    }
  });

  it('takes text chunks too', () => {
    expect(linesOf(['会员\n', '13800138000'])).toEqual(['会员', '13800138000']);
  });

  it('refuses a chunk while lines of the previous one are unread', () => {
    const s = new LineSplitter();
    s.push('a\nb\n');
    expect(s.next()).toBe('a');
    expect(() => s.push('c\n')).toThrow(/before the previous chunk was read/);
  });
});
