/**
 * Workbooks the reader cannot take whole. Those whose parts the reader holds in memory (the shared-strings table, the styles) are
 * read only up to a size no recipient list comes near: a few MB of upload that inflate to GBs of
 * text (a zip bomb, or a workbook of pasted documents) are refused by name, and the process that
 * reads them (`smsq server` for an upload) does not die of its heap. A 4.4 MB workbook whose
 * shared strings inflate to 4 GB ended `node --max-old-space-size=1024` with "JavaScript heap out
 * of memory"; 221 KB inflating to 200 MB was read at 333 MB of RSS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecipientsXlsx } from '../../producers/xlsx-recipients.js';
import { ValidationError } from '../../src/errors.js';
import { zip } from '../support/zip.js';
import { plainTextRuns } from '../../producers/xlsx-text-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-xlsx-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const xml = (s: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${s}`);

/** A one-sheet workbook (header "phone" as a shared string, one number), in Excel's order of parts, with `parts` replaced (null: left out). */
function workbook(name: string, parts: Record<string, Buffer | null> = {}): string {
  const entries: Record<string, Buffer | null> = {
    '[Content_Types].xml': xml('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'),
    '_rels/.rels': xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    'xl/workbook.xml': xml(`<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`),
    'xl/_rels/workbook.xml.rels': xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
    // Before the shared strings, as Excel writes them.
    'xl/worksheets/sheet1.xml': xml(`<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>13800138000</v></c></row></sheetData></worksheet>`),
    'xl/styles.xml': xml(`<styleSheet ${NS}><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>`),
    'xl/sharedStrings.xml': xml(`<sst ${NS}><si><t>phone</t></si></sst>`),
    'docProps/app.xml': xml('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Excel</Application></Properties>'),
    ...parts,
  };
  const path = join(dir, name);
  writeFileSync(path, zip(Object.entries(entries).filter((e): e is [string, Buffer] => e[1] !== null)));
  return path;
}

async function read(path: string): Promise<unknown> {
  const rows: unknown[] = [];
  try {
    for await (const r of readRecipientsXlsx(path)) rows.push(r);
  } catch (err) {
    return err;
  }
  return rows;
}

describe('workbook parts held in memory', () => {
  it('a workbook of the usual form is read', async () => {
    expect(await read(workbook('plain.xlsx'))).toEqual([{ phone: '13800138000', line: 2 }]);
  });

  it('shared strings that inflate past 128 MiB are refused by name (nothing is yielded); the file was a few hundred KB', async () => {
    const cell = `<si><t>${'A'.repeat(20_000)}</t></si>`;
    const path = workbook('shared-strings.xlsx', { 'xl/sharedStrings.xml': xml(`<sst ${NS}><si><t>phone</t></si>${cell.repeat(7_000)}</sst>`) });
    const err = await read(path);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      { field: 'file', message: expect.stringMatching(/shared-strings\.xlsx" holds more text than any recipient list: its shared strings .* are over 128 MiB .*nothing was enqueued.*Fix: /) },
    ]);
  });

  it('styles that inflate past 32 MiB are refused the same way', async () => {
    const path = workbook('styles.xlsx', { 'xl/styles.xml': xml(`<styleSheet ${NS}><cellXfs>${'<xf numFmtId="0"/>'.repeat(2_000_000)}</cellXfs></styleSheet>`) });
    const err = await read(path);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.message).toMatch(/its styles are over 32 MiB once unpacked.*Fix: /);
  });
});

describe('a workbook whose shared strings are its last part', () => {
  it('is read whole, every time: exceljs read the sheet without them in 19 reads of 20 (unzipper ended its list of parts while the sheet was copied to a temporary file), and its text cells went out as "[object Object]" or were refused', async () => {
    const sheet = `<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2"><v>13800138000</v></c><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>`;
    const path = workbook('shared-strings-last.xlsx', { 'xl/worksheets/sheet1.xml': xml(sheet), 'xl/sharedStrings.xml': xml(`<sst ${NS}><si><t>Li</t></si></sst>`), 'xl/styles.xml': null, 'docProps/app.xml': null });
    for (let i = 0; i < 20; i++) expect(await read(path)).toEqual([{ phone: '13800138000', params: { name: 'Li' }, line: 2 }]);
  });
});

describe('a text cell the workbook does not give', () => {
  it('is refused at its row and column, before anything is yielded (a workbook without its shared strings: damaged)', async () => {
    const sheet = `<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2"><v>13800138000</v></c><c r="B2" t="s"><v>0</v></c></row></sheetData></worksheet>`;
    const path = workbook('no-shared-strings.xlsx', { 'xl/worksheets/sheet1.xml': xml(sheet), 'xl/sharedStrings.xml': null });
    const outcome = await read(path);
    expect(outcome).toBeInstanceOf(ValidationError);
    expect((outcome as ValidationError).issues).toEqual([{ field: 'file:2', message: expect.stringMatching(/^column B holds text the workbook's table of text cells does not give .*nothing was enqueued.*Fix: open it in Excel and save it again/) }]);
  });
});

describe('the first sheet', () => {
  it('is the first tab of the workbook, whatever the order of the sheets in the zip (exceljs took the first sheet it could parse: here the notes after the shared strings, refused for their header)', async () => {
    const list = `<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>13800138000</v></c></row></sheetData></worksheet>`;
    const path = workbook('tabs.xlsx', {
      'xl/workbook.xml': xml(`<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/><sheet name="notes" sheetId="2" r:id="rId3"/></sheets></workbook>`),
      // A target may be absolute (the rest are relative to the workbook part's folder).
      'xl/_rels/workbook.xml.rels': xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="/xl/worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="${REL}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`),
      'xl/worksheets/sheet1.xml': xml(list),
      // After the shared strings, as the last part.
      'xl/worksheets/sheet2.xml': xml(`<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>notes</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>call back on Monday</t></is></c></row></sheetData></worksheet>`),
    });
    expect(await read(path)).toEqual([{ phone: '13800138000', line: 2 }]);
  });
});

describe('the first sheet, when the first tab holds no list', () => {
  const list = `<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>13800138000</v></c></row></sheetData></worksheet>`;
  it('is the first worksheet: a chart sheet listed first was taken as "the first sheet" and the upload refused ("holds no recipient ... Fix: --sheet")', async () => {
    const path = workbook('chart-first.xlsx', {
      'xl/workbook.xml': xml(`<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="Chart1" sheetId="2" r:id="rId3"/><sheet name="List" sheetId="1" r:id="rId1"/></sheets></workbook>`),
      'xl/_rels/workbook.xml.rels': xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="${REL}/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>`),
      'xl/chartsheets/sheet1.xml': xml(`<chartsheet ${NS}><sheetPr/><drawing r:id="rId1" xmlns:r="${REL}"/></chartsheet>`),
      'xl/worksheets/sheet1.xml': xml(list),
    });
    expect(await read(path)).toEqual([{ phone: '13800138000', line: 2 }]);
  });

  it('is the first tab Excel shows: a hidden first tab was read as the list', async () => {
    const path = workbook('hidden-first.xlsx', {
      'xl/workbook.xml': xml(`<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="lookup" sheetId="2" state="hidden" r:id="rId3"/><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>`),
      'xl/_rels/workbook.xml.rels': xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="${REL}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`),
      'xl/worksheets/sheet1.xml': xml(list),
      'xl/worksheets/sheet2.xml': xml(`<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row></sheetData></worksheet>`),
    });
    expect(await read(path)).toEqual([{ phone: '13800138000', line: 2 }]);
    // Named, a hidden sheet is read.
    const named: unknown[] = [];
    const err = await (async () => {
      try {
        for await (const r of readRecipientsXlsx(path, { sheet: 'lookup' })) named.push(r);
      } catch (e) {
        return e;
      }
    })();
    expect((err as ValidationError).issues[0]?.message).toMatch(/^the header \("code"\) names no phone column/);
  });
});

describe('a date cell', () => {
  it('reads as the sheet shows it, without a zone: 2026-12-04, 2026-12-04 10:30 (it went into the message as 2026-12-04T10:30:00.000Z, a UTC time the sheet never meant)', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow(['phone', 'day', 'at']);
    // Excel's dates have no zone: exceljs hands them over as Dates whose UTC fields are what the sheet shows.
    sheet.addRow([13800138000, new Date(Date.UTC(2026, 11, 4)), new Date(Date.UTC(2026, 11, 4, 10, 30))]);
    sheet.addRow([13900139000, new Date(Date.UTC(2026, 0, 9)), new Date(Date.UTC(2026, 0, 9, 8, 5, 7))]);
    for (const cell of ['B2', 'B3']) sheet.getCell(cell).numFmt = 'yyyy/m/d';
    for (const cell of ['C2', 'C3']) sheet.getCell(cell).numFmt = 'yyyy/m/d h:mm';
    const path = join(dir, 'dates.xlsx');
    await book.xlsx.writeFile(path);
    expect(await read(path)).toEqual([
      { phone: '13800138000', params: { day: '2026-12-04', at: '2026-12-04 10:30' }, line: 2 },
      { phone: '13900139000', params: { day: '2026-01-09', at: '2026-01-09 08:05:07' }, line: 3 },
    ]);
  });
});

describe('a number cell with a number format', () => {
  it('reads as the sheet shows it: 50% and ¥9.90, not 0.5 and 9.9 (they went into the messages as stored); the number column keeps its digits whatever its format', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow(['phone', 'discount', 'price', 'count']);
    sheet.addRow([13800138000, 0.5, 9.9, 1234]);
    sheet.addRow([13900139000, 0.125, 1200, 7]);
    for (const cell of ['B2', 'B3']) sheet.getCell(cell).numFmt = '0%';
    for (const cell of ['C2', 'C3']) sheet.getCell(cell).numFmt = '¥#,##0.00';
    // A number column formatted with thousands separators stays the number it is.
    for (const cell of ['A2', 'A3']) sheet.getCell(cell).numFmt = '#,##0';
    const path = join(dir, 'formats.xlsx');
    await book.xlsx.writeFile(path);
    expect(await read(path)).toEqual([
      { phone: '13800138000', params: { discount: '50%', price: '¥9.90', count: '1234' }, line: 2 },
      { phone: '13900139000', params: { discount: '13%', price: '¥1,200.00', count: '7' }, line: 3 },
    ]);
  });
});

describe('formula and error cells', () => {
  /** A sheet of `phone,name` (shared strings) and rows of `<c>` XML for column B, each after a number in A. */
  function sheetOf(name: string, cells: string[], header = '<c r="B1" t="s"><v>1</v></c>'): string {
    const rows = cells.map((c, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${13800138000 + i}</v></c>${c.replaceAll('@', `B${i + 2}`)}</row>`).join('');
    return workbook(name, {
      'xl/worksheets/sheet1.xml': xml(`<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>${header}</row>${rows}</sheetData></worksheet>`),
      'xl/sharedStrings.xml': xml(`<sst ${NS}><si><t>phone</t></si><si><t>name</t></si></sst>`),
    });
  }

  it('a formula reads as its stored value, 0 and "" too (exceljs\'s row values drop a falsy result: they read "[object Object]"); a shared formula\'s other cells the same', async () => {
    const path = sheetOf('formula-values.xlsx', [
      '<c r="@"><f>1-1</f><v>0</v></c>',
      '<c r="@" t="str"><f>""</f><v></v></c>',
      '<c r="@" t="str"><f t="shared" ref="B4:B5" si="0">A4&amp;"x"</f><v>Li</v></c>',
      '<c r="@" t="str"><f t="shared" si="0"/><v>Wang</v></c>',
      '<c r="@" t="inlineStr"><is><t>Zhao</t></is></c>',
    ]);
    expect(await read(path)).toEqual([
      { phone: '13800138000', params: { name: '0' }, line: 2 },
      { phone: '13800138001', params: { name: '' }, line: 3 },
      { phone: '13800138002', params: { name: 'Li' }, line: 4 },
      { phone: '13800138003', params: { name: 'Wang' }, line: 5 },
      { phone: '13800138004', params: { name: 'Zhao' }, line: 6 },
    ]);
  });

  it('a row whose cell is an error value, a formula without a stored value or with an error for one is rejected naming the column; in the header such a cell refuses the file', async () => {
    const path = sheetOf('formula-faults.xlsx', [
      '<c r="@"><f>A2&amp;"x"</f></c>',
      '<c r="@" t="str"><f t="shared" ref="B3:B4" si="0">A3&amp;"x"</f></c>',
      '<c r="@" t="str"><f t="shared" si="0"/></c>',
      '<c r="@" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
      '<c r="@" t="e"><v>#REF!</v></c>',
    ]);
    const rows = (await read(path)) as { phone: string; line: number; error?: string }[];
    expect(rows.map((r) => [r.line, r.error?.replace(/\. Fix: .*/, '')])).toEqual([
      [2, expect.stringMatching(/^column B \("name"\) holds a formula with no stored value/)],
      [3, expect.stringMatching(/^column B \("name"\) holds a formula with no stored value/)],
      [4, expect.stringMatching(/^column B \("name"\) holds a formula with no stored value/)],
      [5, expect.stringMatching(/^column B \("name"\) holds a formula whose result is an error value/)],
      [6, 'column B ("name") holds the error value #REF!, not text: the message would show "#REF!"'],
    ]);
    const header = await read(sheetOf('header-fault.xlsx', ['<c r="@" t="s"><v>1</v></c>'], '<c r="B1" t="e"><v>#NAME?</v></c>'));
    expect(header).toBeInstanceOf(ValidationError);
    expect((header as ValidationError).issues).toEqual([{ field: 'file:1', message: expect.stringMatching(/^column B of the first row holds the error value #NAME\?.*\(nothing was enqueued\)\. Fix: /) }]);
  });

  it('a formula\'s number under a date format reads as a date cell does; a phone cell with decimals is not a whole number', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow(['phone', 'day']);
    sheet.addRow([13800138000, { formula: 'DATE(2026,12,4)', result: new Date(Date.UTC(2026, 11, 4)) }]);
    sheet.addRow([{ formula: '13800138001.5', result: 13800138001.5 }, 'x']);
    sheet.getCell('B2').numFmt = 'yyyy/m/d';
    const path = join(dir, 'formula-date.xlsx');
    await book.xlsx.writeFile(path);
    expect(await read(path)).toEqual([
      { phone: '13800138000', params: { day: '2026-12-04' }, line: 2 },
      { phone: '13800138001.5', line: 3, error: expect.stringMatching(/^column A \("phone"\) holds a number with decimals, not a whole number/) },
    ]);
  });
});

describe('text cells of more than one run', () => {
  it('a sheet\'s own rich text reads whole, and a phonetic guide (Japanese Excel\'s furigana) is not the text: they read "修" and the guide', async () => {
    const path = workbook('runs.xlsx', {
      'xl/worksheets/sheet1.xml': xml(
        `<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
          '<row r="2"><c r="A2"><v>13800138000</v></c><c r="B2" t="inlineStr"><is><r><rPr><b/></rPr><t>欧阳</t></r><r><t xml:space="preserve">修 </t></r></is></c></row>' +
          '<row r="3"><c r="A3"><v>13800138001</v></c><c r="B3" t="inlineStr"><is><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh></is></c></row>' +
          '<row r="4"><c r="A4"><v>13800138002</v></c><c r="B4" t="s"><v>2</v></c></row>' +
          '<row r="5"><c r="A5"><v>13800138003</v></c><c r="B5" t="inlineStr"><is><t>张三</t></is></c></row></sheetData></worksheet>',
      ),
      'xl/sharedStrings.xml': xml(`<sst ${NS}><si><t>phone</t></si><si><t>name</t></si><si><t>佐藤</t><rPh sb="0" eb="2"><t>サトウ</t></rPh><phoneticPr fontId="1"/></si></sst>`),
    });
    expect(await read(path)).toEqual([
      { phone: '13800138000', params: { name: '欧阳修 ' }, line: 2 },
      { phone: '13800138001', params: { name: '山田' }, line: 3 },
      { phone: '13800138002', params: { name: '佐藤' }, line: 4 },
      { phone: '13800138003', params: { name: '张三' }, line: 5 },
    ]);
  });

  it('the rewrite holds whatever the chunks the part arrives in, and passes every other byte as it is', async () => {
    const xmlText = '<row><c t="inlineStr"><is><r><t>欧阳</t></r><r><t>修</t></r></is></c><c><v>1</v></c></row><si><t>佐藤</t><rPh sb="0"><t>サトウ</t></rPh></si><i>x</i>';
    const bytes = Buffer.from(xmlText);
    for (const size of [1, 2, 3, 4, 5, 7, 64]) {
      const source = Readable.from((function* () {
        for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
      })());
      const out: Buffer[] = [];
      for await (const chunk of plainTextRuns(source)) out.push(chunk as Buffer);
      expect(Buffer.concat(out).toString(), `pieces of ${size}`).toBe('<row><c t="inlineStr"><is><t xml:space="preserve">欧阳修</t></is></c><c><v>1</v></c></row><si><t>佐藤</t></si><i>x</i>');
    }
  });
});

describe('a workbook whose sheet list comes after its sheets', () => {
  it('is read, its sheets by their names (exceljs parsed a sheet before the list that names it: "Cannot read properties of undefined (reading \'sheets\')", 1 run in 8-24 of a test whose writer orders its parts as it goes)', async () => {
    const parts: [string, Buffer][] = [
      ['[Content_Types].xml', xml('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')],
      ['_rels/.rels', xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`)],
      ['xl/_rels/workbook.xml.rels', xml(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)],
      ['xl/sharedStrings.xml', xml(`<sst ${NS}><si><t>phone</t></si></sst>`)],
      ['xl/styles.xml', xml(`<styleSheet ${NS}><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>`)],
      ['xl/worksheets/sheet1.xml', xml(`<worksheet ${NS}><sheetData></sheetData></worksheet>`)],
      ['xl/worksheets/sheet2.xml', xml(`<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>13800138000</v></c></row></sheetData></worksheet>`)],
      ['xl/workbook.xml', xml(`<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="Jan" sheetId="1" r:id="rId1"/><sheet name="名单" sheetId="2" r:id="rId2"/></sheets></workbook>`)],
    ];
    const path = join(dir, 'list-last.xlsx');
    writeFileSync(path, zip(parts));
    const rows: unknown[] = [];
    for await (const r of readRecipientsXlsx(path, { sheet: '名单' })) rows.push(r);
    expect(rows).toEqual([{ phone: '13800138000', line: 2 }]);
  });
});
