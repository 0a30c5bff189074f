import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { ValidationError } from '../../src/errors.js';
import { seeded } from '../support/seeded.js';

async function all(text: string) {
  const out = [];
  for await (const r of readRecipientsCsv(Readable.from([text]))) out.push(r);
  return out;
}

describe('CSV recipients', () => {
  it('reads quoted fields with escaped quotes, commas and line breaks', async () => {
    expect(await all('phone,a,b,c\n13800138000,"b,c","d ""e""","line 1\r\nline 2"\n13900139000,x,y,z\n')).toEqual([
      { phone: '13800138000', params: { a: 'b,c', b: 'd "e"', c: 'line 1\r\nline 2' }, line: 2 },
      { phone: '13900139000', params: { a: 'x', b: 'y', c: 'z' }, line: 4 },
    ]);
  });

  it('reads a header with a phone column and per-recipient params', async () => {
    const rows = await all('\uFEFFname,Phone,code\r\nAda,13800138000,1\nBob,13900139000,"2,3"\n');
    expect(rows).toEqual([
      { phone: '13800138000', params: { name: 'Ada', code: '1' }, line: 2 },
      { phone: '13900139000', params: { name: 'Bob', code: '2,3' }, line: 3 },
    ]);
  });

  it('reads a plain list of numbers without a header', async () => {
    expect(await all('13800138000\n\n+8613900139000\n')).toEqual([
      { phone: '13800138000', line: 1 },
      { phone: '+8613900139000', line: 3 },
    ]);
  });

  it('yields unreadable rows with a reason instead of dropping them', async () => {
    const rows = await all('phone,code\n13800138000\n13900139000,1\n');
    expect(rows[0]).toMatchObject({ phone: '13800138000', line: 2, error: expect.stringMatching(/^expected 2 fields \("phone", "code"\), found 1/) });
    // Too few fields: a value missing, not a separator to quote (the fix said "quote values that hold a comma").
    expect(rows[0]!.error).toMatch(/\. Fix: give the row a value for each column \("phone", "code"\): the missing ones at its end, after a comma each; an empty value is two commas side by side$/);
    expect(rows[1]).toEqual({ phone: '13900139000', params: { code: '1' }, line: 3 });
  });

  it('refuses a header without a phone column, naming the fix', async () => {
    await expect(all('name,code\nAda,1\n')).rejects.toSatisfy(
      (e: unknown) => e instanceof ValidationError && e.code === 'SMSQ_INVALID_REQUEST' && /name the number column/.test(e.message),
    );
  });

  it('reads a file: BOM, CRLF, quotes, multi-byte params, no line end after the last row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsq-csv-'));
    try {
      const file = join(dir, 'r.csv');
      writeFileSync(file, '\uFEFFphone,name\r\n13800138000,"会员, 张三"\r\n"13900139000","""李四"""');
      const rows = [];
      for await (const r of readRecipientsCsv(file)) rows.push(r);
      expect(rows).toEqual([
        { phone: '13800138000', params: { name: '会员, 张三' }, line: 2 },
        { phone: '13900139000', params: { name: '"李四"' }, line: 3 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads rows whose bytes are split across chunks anywhere', async () => {
    const bytes = Buffer.from('\uFEFFphone,name\r\n13800138000,会员\r\n13900139000,"a,b"\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const rows = [];
      for await (const r of readRecipientsCsv(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) rows.push(r);
      expect(rows).toEqual([
        { phone: '13800138000', params: { name: '会员' }, line: 2 },
        { phone: '13900139000', params: { name: 'a,b' }, line: 3 },
      ]);
    }
  });

  it('counts lines, blank ones included, in the reasons of unreadable rows; a quote never closed costs its line only', async () => {
    const rows = await all('phone\r\n\r\n13800138000\r\n"138\r\n13900139000\r\n');
    expect(rows[0]).toEqual({ phone: '13800138000', line: 3 });
    expect(rows[1]).toMatchObject({ phone: '138', line: 4, error: expect.stringMatching(/^line 4 has a quote where CSV does not allow one.*Fix: /) });
    expect(rows[2]).toEqual({ phone: '13900139000', line: 5 });
    expect(rows).toHaveLength(3);
  });

  it('says the same of an upload as of a file: "the rest of the list", not "the rest of the (body)" (a new user\'s trial)', async () => {
    const rows: CampaignRecipient[] = [];
    for await (const r of readRecipientsCsv(Readable.from(['phone\n"138\n13900139000\n']), { field: '(body)' })) rows.push(r);
    expect(rows[0]?.error).toMatch(/a quote that is never closed would make the rest of the list one value/);
  });

  it('refuses a file whose header has a quote out of place at its own line, instead of reading the next line as the header', async () => {
    await expect(all('\n"phone" number,name\n13800138000,Ada\n')).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof ValidationError && e.issues[0]?.field === 'file:2' && /^line 2 has a quote where CSV does not allow one.*it is the header naming the columns \(nothing was enqueued\)\. Fix: /.test(e.issues[0].message),
    );
  });

  it('rejects a bad first line that is a number as a row of a list without a header, and reads the rest', async () => {
    expect(await all('"138"00138000\n13900139000\n')).toEqual([
      { phone: '13800138000', line: 1, error: expect.stringMatching(/^line 1 has a quote/) },
      { phone: '13900139000', line: 2 },
    ]);
  });

  it('closes the file when the reader stops early', async () => {
    let closed = false;
    const source = new Readable({ read() {} });
    source.push('phone\n13800138000\n13900139000\n');
    source.on('close', () => (closed = true));
    for await (const r of readRecipientsCsv(source)) {
      expect(r.phone).toBe('13800138000');
      break;
    }
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
  });
  it('rejects a line with a quote out of place and reads every line after it, whatever quotes follow', async () => {
    for (const [name, text] of [
      ['odd quotes, none later', 'phone,note\n13800138000,"5" screen\n13900139000,ok\n13700137000,fine\n'],
      ['odd quotes, a quoted value later', 'phone,note\n13800138000,"5" screen\n13900139000,ok\n13700137000,"a, b"\n'],
      ['paired quotes', 'phone,note\n13800138000,"5" wide "screen"\n13900139000,ok\n13700137000,fine\n'],
    ] as const) {
      for (const cut of [0, 20, 33]) {
        const rows = [];
        const pieces = cut === 0 ? [text] : [text.slice(0, cut), text.slice(cut)];
        for await (const r of readRecipientsCsv(Readable.from(pieces))) rows.push(r);
        expect(rows[0], `${name}, cut ${cut}`).toMatchObject({ phone: '13800138000', line: 2, error: expect.stringMatching(/^line 2 has a quote where CSV does not allow one.*Fix: quote the whole value/) });
        expect(rows[1], `${name}, cut ${cut}`).toEqual({ phone: '13900139000', params: { note: 'ok' }, line: 3 });
        expect(rows[2], `${name}, cut ${cut}`).toMatchObject({ phone: '13700137000', line: 4 });
        expect(rows, `${name}, cut ${cut}`).toHaveLength(3);
      }
    }
  });

  it('reads a file whose lines end with a lone CR (old Mac exports)', async () => {
    expect(await all('phone,name\r13800138000,"a\rb"\r13900139000,c\r')).toEqual([
      { phone: '13800138000', params: { name: 'a\nb' }, line: 2 },
      { phone: '13900139000', params: { name: 'c' }, line: 4 },
    ]);
  });

  it('finds a quote never closed within 64 Ki characters of a stream, and reads every line after it', async () => {
    const tail = Array.from({ length: 20_000 }, (_, i) => `${13900000000 + i}\n`); // 240,000 characters after the quote
    const source = Readable.from(['phone\n13800138000\n"138\n', ...tail]); // many small pieces: only the bound ends the record
    const rows = [];
    for await (const r of readRecipientsCsv(source)) rows.push(r);
    expect(rows[0]).toEqual({ phone: '13800138000', line: 2 });
    expect(rows[1]).toMatchObject({ line: 3, error: expect.stringMatching(/^line 3 has a quote/) });
    expect(rows.slice(2).every((r) => r.error === undefined)).toBe(true);
    expect(rows).toHaveLength(20_002);
    expect(rows.at(-1)).toEqual({ phone: '13900019999', line: 20_003 });
  });

  it('reads a stream whose first line ends in a lone CR at the end of a piece', async () => {
    const rows = [];
    for await (const r of readRecipientsCsv(Readable.from(['phone\r', '13800138000\r13900139000\r']))) rows.push(r);
    expect(rows).toEqual([
      { phone: '13800138000', line: 2 },
      { phone: '13900139000', line: 3 },
    ]);
  });

  it('reads back what an RFC 4180 writer wrote, whatever the values, line ends and chunk cuts (seeded)', async () => {
    const pieces = ['a', 'b', ' ', ',', '"', '\n', '\r\n', '会员', '张三', '5" screen', 'x,y', '""'];
    for (let seed = 1; seed <= 40; seed++) {
      const random = seeded(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
      const value = () => Array.from({ length: Math.floor(random() * 4) }, () => pick(pieces)).join('');
      const quoted = (v: string) => (/[",\r\n]/.test(v) || random() < 0.2 ? `"${v.replaceAll('"', '""')}"` : v);
      const expected: { phone: string; params: Record<string, string>; line: number }[] = [];
      let text = random() < 0.5 ? '\uFEFF' : '';
      let line = 1;
      const end = () => pick(['\n', '\r\n']);
      text += `phone,a,b${end()}`;
      line++;
      for (let r = 0; r < 30; r++) {
        const phone = String(13800000000 + r);
        const a = value();
        const b = value();
        expected.push({ phone, params: { a, b }, line });
        // Values with a line break span more lines; the reader counts them.
        line += 1 + (a.match(/\n/g)?.length ?? 0) + (b.match(/\n/g)?.length ?? 0);
        text += `${quoted(phone)},${quoted(a)},${quoted(b)}${r === 29 && random() < 0.3 ? '' : end()}`;
      }
      const bytes = Buffer.from(text, 'utf8');
      const cuts = Array.from({ length: 5 }, () => Math.floor(random() * bytes.length)).sort((x, y) => x - y);
      const chunks = [0, ...cuts].map((from, i) => bytes.subarray(from, i < cuts.length ? cuts[i] : bytes.length));
      const rows = [];
      for await (const row of readRecipientsCsv(Readable.from(chunks))) rows.push(row);
      expect(rows, `seed ${seed}`).toEqual(expected);
    }
  });
});

describe('a line longer than a line may be', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-csv-long-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The rows of `text` read as each front end hands it over: a file (64 KiB reads), an upload (a buffer), a stream in one piece and in small ones. */
  async function everyWay(text: string): Promise<Record<string, CampaignRecipient[]>> {
    const file = join(dir, 'list.csv');
    writeFileSync(file, text);
    const bytes = Buffer.from(text, 'utf8');
    const small = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
    const sources = { file, buffer: bytes, 'one piece': Readable.from([bytes]), 'small pieces': Readable.from(small) };
    const out: Record<string, CampaignRecipient[]> = {};
    for (const [name, source] of Object.entries(sources)) {
      const rows: CampaignRecipient[] = [];
      for await (const r of readRecipientsCsv(source)) rows.push(r);
      out[name] = rows;
    }
    return out;
  }

  const TOO_LONG = /^line 2 is longer than 65,536 characters, so it was not read.*Fix: /;

  it('a line as long as two reads is rejected once, at its line, and its tail is not read as a recipient (trial repro)', async () => {
    const head = 'phone,name\n';
    const text = `${head}13800138000,${'x'.repeat(131072 - head.length - 12)}13700137000,Bob\n13900139000,Wang\n`;
    for (const [way, rows] of Object.entries(await everyWay(text))) {
      expect(rows, way).toEqual([
        { phone: '13800138000', line: 2, error: expect.stringMatching(TOO_LONG) },
        { phone: '13900139000', params: { name: 'Wang' }, line: 3 },
      ]);
    }
  });

  it('a 2 MB line without quotes is one rejection, not one per read', async () => {
    const text = `phone,name\n13800138000,${'y'.repeat(2_000_000)}\n13900139000,Wang\n13700137000,Li`;
    for (const [way, rows] of Object.entries(await everyWay(text))) {
      expect(rows, way).toEqual([
        { phone: '13800138000', line: 2, error: expect.stringMatching(TOO_LONG) },
        { phone: '13900139000', params: { name: 'Wang' }, line: 3 },
        { phone: '13700137000', params: { name: 'Li' }, line: 4 },
      ]);
    }
  });

  it('a long line with a quote out of place, or one at the end of the file, is one rejection too', async () => {
    for (const text of [
      `phone,name\n13800138000,"5" screen${'z'.repeat(300_000)}\r\n13900139000,Wang\r\n`,
      `phone,name\n13800138000,${'z'.repeat(300_000)}`,
      `phone,name\r\n13800138000,"${'z'.repeat(300_000)}`,
    ]) {
      for (const [way, rows] of Object.entries(await everyWay(text))) {
        expect(rows[0], way).toEqual({ phone: '13800138000', line: 2, error: expect.stringMatching(TOO_LONG) });
        expect(rows.slice(1), way).toEqual(text.includes('Wang') ? [{ phone: '13900139000', params: { name: 'Wang' }, line: 3 }] : []);
      }
    }
  });

  it('judges a line by its length, whatever the cuts between the pieces of a stream', async () => {
    const text = `phone,name\n13800138000,Ada\n13800138001,${'w'.repeat(70_000)}\n13800138002,"a\nb"\n13800138003,Bob\n`;
    const expected = [
      { phone: '13800138000', params: { name: 'Ada' }, line: 2 },
      { phone: '13800138001', line: 3, error: expect.stringMatching(/^line 3 is longer than 65,536 characters/) },
      { phone: '13800138002', params: { name: 'a\nb' }, line: 4 },
      { phone: '13800138003', params: { name: 'Bob' }, line: 6 },
    ];
    for (const cut of [1, 30, 40, 65_000, 65_536, 65_570, 70_030, 70_045, text.length - 3]) {
      const rows = [];
      for await (const r of readRecipientsCsv(Readable.from([text.slice(0, cut), text.slice(cut)]))) rows.push(r);
      expect(rows, `cut at ${cut}`).toEqual(expected);
    }
  });

  it('a quote closed only after 64 Ki characters is judged never closed even when the whole of it came in one piece', async () => {
    const inside = Array.from({ length: 20_000 }, (_, i) => `${13900000000 + i}\n`).join('');
    const text = `phone\n13800138000\n"138\n${inside}13700137000"\n13600136000\n`;
    for (const [way, rows] of Object.entries(await everyWay(text))) {
      expect(rows[0], way).toEqual({ phone: '13800138000', line: 2 });
      expect(rows[1], way).toMatchObject({ line: 3, error: expect.stringMatching(/^line 3 has a quote/) });
      expect(rows[2], way).toEqual({ phone: '13900000000', line: 4 });
      expect(rows.at(-1), way).toEqual({ phone: '13600136000', line: 20_005 });
      expect(rows, way).toHaveLength(20_004);
    }
  });

  it('refuses a file whose first line (its header) is too long, naming the line, before any row', async () => {
    const reading = all(`phone,${'n'.repeat(70_000)}\n13800138000,Ada\n`);
    await expect(reading).rejects.toSatisfy(
      (e: unknown) => e instanceof ValidationError && e.issues[0]?.field === 'file:1' && /^line 1 is longer than 65,536 characters.*Fix: /.test(e.issues[0].message),
    );
  });
});

describe('files separated by semicolons or tabs', () => {
  it('reads a semicolon-separated file (Excel in many European locales), commas in values kept', async () => {
    expect(await all('phone;name;note\r\n13800138000;Li, Wang;a\r\n13900139000;"a;b";"5"" screen"\r\n')).toEqual([
      { phone: '13800138000', params: { name: 'Li, Wang', note: 'a' }, line: 2 },
      { phone: '13900139000', params: { name: 'a;b', note: '5" screen' }, line: 3 },
    ]);
  });

  it("reads Excel's \"Unicode text\" (UTF-16 LE with a BOM, tab-separated) with Chinese params", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('手机号\tname\r\n13800138000\t张三\r\n13900139000\t李四, 会员\r\n', 'utf16le')]);
    const rows = [];
    for await (const r of readRecipientsCsv(bytes)) rows.push(r);
    expect(rows).toEqual([
      { phone: '13800138000', params: { name: '张三' }, line: 2 },
      { phone: '13900139000', params: { name: '李四, 会员' }, line: 3 },
    ]);
  });

  it('takes the separator from the header line, after blank lines, wherever the pieces of a stream are cut', async () => {
    const bytes = Buffer.from('\uFEFF\r\n;;\r\nPhone Number;姓名\r\n13800138000;张三\r\n13900139000;李四,王五\r\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const rows = [];
      for await (const r of readRecipientsCsv(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) rows.push(r);
      expect(rows, `cut at ${cut}`).toEqual([
        { phone: '13800138000', params: { 姓名: '张三' }, line: 4 },
        { phone: '13900139000', params: { 姓名: '李四,王五' }, line: 5 },
      ]);
    }
  });

  it('names the separator it read in the reasons of rows that do not fit', async () => {
    const rows = await all('phone;name\n13800138000;Li;Wang\n13900139000;"5" screen\n');
    expect(rows[0]).toMatchObject({ phone: '13800138000', line: 2, error: expect.stringMatching(/^expected 2 fields \("phone", "name"\), found 3\. Fix: quote values that hold a semicolon \("a;b"\)/) });
    expect(rows[1]).toMatchObject({ phone: '13900139000', line: 3, error: expect.stringMatching(/a quoted value ends at a semicolon or the end of its line/) });
  });

  it('keeps commas the separator when the header names the phone column split at commas, semicolons in values and all', async () => {
    expect(await all('phone,note\n13800138000,a;b\n13900139000,c\td\n')).toEqual([
      { phone: '13800138000', params: { note: 'a;b' }, line: 2 },
      { phone: '13900139000', params: { note: 'c\td' }, line: 3 },
    ]);
  });
});

