/**
 * The per-line evidence that tells a GBK file from one mixing UTF-8 and GBK lines, with real GBK
 * bytes (iconv-lite), and what the CSV reader makes of such files.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import { LineEncodings } from '../../producers/line-encodings.js';
import { ValidationError } from '../../src/errors.js';

const gbk = (text: string) => iconv.encode(text, 'gbk');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

function tally(bytes: Buffer, cuts: number[] = []): LineEncodings {
  const lines = new LineEncodings();
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    lines.write(bytes.subarray(at, cut));
    at = cut;
  }
  lines.end();
  return lines;
}

/** What one line is taken for: UTF-8 Chinese, not UTF-8, or neither. */
function lineKind(line: Buffer): 'utf8' | 'not-utf8' | undefined {
  const lines = tally(line);
  return lines.utf8.count === 1 ? 'utf8' : lines.notUtf8.count === 1 ? 'not-utf8' : undefined;
}

async function read(bytes: Buffer) {
  const rows = [];
  for await (const row of readRecipientsCsv(bytes)) rows.push(row);
  return rows;
}

async function refusal(bytes: Buffer): Promise<ValidationError> {
  const err = await read(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe('the kind of a line', () => {
  it('UTF-8 Chinese is UTF-8; GBK that happens to be valid UTF-8 is not (it reads as Greek, Cyrillic, Latin)', () => {
    expect(lineKind(utf8('13800138000,张三，会员“金卡”'))).toBe('utf8');
    // Valid UTF-8 as GBK bytes: 郑伟 is "֣ΰ", 叶 "Ҷ", 毛 "ë".
    for (const name of ['郑伟', '叶英', '谢强', '毛']) {
      const bytes = gbk(`13800138000,${name}`);
      expect(bytes.toString('utf8')).not.toContain('\uFFFD');
      expect(lineKind(bytes)).toBeUndefined();
    }
    expect(lineKind(gbk('13800138000,张三'))).toBe('not-utf8');
    expect(lineKind(utf8('13800138000,Zoë'))).toBeUndefined();
    expect(lineKind(utf8('13800138000,Li'))).toBeUndefined();
    // U+FFFD is what an earlier wrong conversion left behind: not text in any encoding.
    expect(lineKind(utf8('13800138000,张\uFFFD'))).toBe('not-utf8');
  });
});

describe('lines counted and numbered as the CSV reader numbers them', () => {
  const file = Buffer.concat([utf8('phone,name\n13800138000,张三\n'), gbk('13800138001,李四\n'), utf8('\n13800138002,王五\n'), gbk('13800138003,赵六\n')]);

  it('wherever the chunks are cut', () => {
    for (let cut = 0; cut <= file.length; cut++) {
      for (const second of [cut, Math.min(file.length, cut + 1), Math.min(file.length, cut + 7)]) {
        const lines = tally(file, [cut, second]);
        expect([lines.utf8, lines.notUtf8]).toEqual([
          { count: 2, first: 2 },
          { count: 2, first: 3 },
        ]);
      }
    }
  });

  it('with CRLF line ends, and with lone CRs (old Mac exports) cut between the CR and what follows', () => {
    for (const eol of ['\r\n', '\r']) {
      const bytes = Buffer.concat([utf8(`phone,name${eol}13800138000,Li${eol}`), gbk(`13800138001,李四${eol}`), utf8(`13800138002,王五${eol}`)]);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const lines = tally(bytes, [cut]);
        expect([lines.notUtf8.first, lines.utf8.first]).toEqual([3, 4]);
      }
    }
  });

  it('a long line is judged whole, a GBK character at its end after 600 KB of UTF-8 included', () => {
    const long = Buffer.concat([utf8('phone,name\n13800138000,'), utf8('张'.repeat(200_000)), gbk('李四\n'), utf8('13800138001,王五\n')]);
    const lines = tally(long, [100_000, 300_000, 500_000]);
    expect([lines.utf8, lines.notUtf8]).toEqual([
      { count: 1, first: 3 },
      { count: 1, first: 2 },
    ]);
  });
});

describe('files read in one encoding', () => {
  it('a GBK file whose names are valid UTF-8 by chance is read as GBK, its names intact', async () => {
    const rows = await read(gbk('phone,name\n13800138000,郑伟\n13800138001,叶英\n13800138002,张三\n'));
    expect(rows.map((r) => r.params?.name)).toEqual(['郑伟', '叶英', '张三']);
  });

  it('a few lines that read as UTF-8 Chinese by chance (杞岪 is "轍@") do not refuse a large GBK file; more do', async () => {
    const body = Array.from({ length: 2000 }, (_, i) => `1380013${String(i).padStart(4, '0')},张三\n`).join('');
    expect(utf8('轍@').equals(gbk('杞岪'))).toBe(true);
    const rows = await read(gbk(`phone,name\n${body}13900139000,杞岪\n`));
    expect(rows.at(-1)?.params?.name).toBe('杞岪');
    const err = await refusal(gbk(`phone,name\n13900139000,杞岪\n13900139001,杞岪\n13900139002,杞岪\n${body}`));
    expect(err.issues[0]?.field).toBe('file:2');
    expect(err.issues[0]?.message).toMatch(/^line 2 is UTF-8 text in a file read as GBK\/GB18030 \(2,?000 lines are GBK, from line 5\)/);
  });

  it('a UTF-8 file with one cut character is refused at its line, not read as GBK', async () => {
    const bytes = Buffer.concat([utf8('phone,name\n13800138000,张三\n13800138001,李'), utf8('四').subarray(0, 2), utf8('\n13800138002,王五\n')]);
    const err = await refusal(bytes);
    expect(err.issues[0]?.field).toBe('file:3');
    expect(err.issues[0]?.message).toMatch(/line 3 holds bytes that are not valid UTF-8, though the file's Chinese text is UTF-8 \(2 lines, from line 2\)/);
  });
});
