/**
 * Workbooks whose parts the reader holds in memory (the shared-strings table, the styles) are
 * read only up to a size no recipient list comes near: a few MB of upload that inflate to GBs of
 * text (a zip bomb, or a workbook of pasted documents) are refused by name, and the process that
 * reads them (`smsq server` for an upload) does not die of its heap. A 4.4 MB workbook whose
 * shared strings inflate to 4 GB ended `node --max-old-space-size=1024` with "JavaScript heap out
 * of memory"; 221 KB inflating to 200 MB was read at 333 MB of RSS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecipientsXlsx } from '../../producers/xlsx-recipients.js';
import { ValidationError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-xlsx-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip of `entries` (deflated), in the order given: what Excel writes, byte for byte in form. */
function zip(entries: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const packed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(8, 8);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(packed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc32(data), 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    parts.push(header, nameBytes, packed);
    central.push(entry, nameBytes);
    offset += header.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const xml = (s: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${s}`);

/** A one-sheet workbook (header "phone" as a shared string, one number), in Excel's order of parts, with `parts` replaced. */
function workbook(name: string, parts: Record<string, Buffer> = {}): string {
  const entries: Record<string, Buffer> = {
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
  writeFileSync(path, zip(Object.entries(entries)));
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
      { field: 'file', message: expect.stringMatching(/shared-strings\.xlsx holds more text than any recipient list: its shared strings .* are over 128 MiB .*nothing was enqueued.*Fix: /) },
    ]);
  });

  it('styles that inflate past 32 MiB are refused the same way', async () => {
    const path = workbook('styles.xlsx', { 'xl/styles.xml': xml(`<styleSheet ${NS}><cellXfs>${'<xf numFmtId="0"/>'.repeat(2_000_000)}</cellXfs></styleSheet>`) });
    const err = await read(path);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.message).toMatch(/its styles are over 32 MiB once unpacked.*Fix: /);
  });
});
