import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { CSV_PARSE_OPTIONS, readRecipientsCsv } from '../../producers/csv-recipients.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { UnquotedRecords } from '../../producers/unquoted-csv.js';
import { seeded } from '../support/seeded.js';

const BREAKS = ['\n', '\r\n', '\r'];
const CELLS = ['13800138000', '+86 139-0013-9000', '', ' ', '会员', '张三 李四', 'a', 'x y', '85291234567', '1', '\t', 'ü'];

/** Random CSV text without a quote: random cells, commas, mixed line breaks, blank lines, a BOM or not, a final break or not. */
function quoteFreeText(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const lines: string[] = [];
  const count = Math.floor(random() * 12);
  for (let i = 0; i < count; i++) {
    const fields = random() < 0.15 ? 0 : 1 + Math.floor(random() * 4);
    lines.push(Array.from({ length: fields }, () => pick(CELLS)).join(','));
  }
  let text = lines.map((line) => line + pick(BREAKS)).join('');
  if (random() < 0.3) text = text.replace(/(\r\n|\r|\n)$/, '');
  return (random() < 0.2 ? '\uFEFF' : '') + text;
}

/** `bytes` cut at random places (inside a multi-byte character or a CRLF too). */
function cut(bytes: Buffer, random: () => number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * 9);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

async function csvParseRecords(pieces: readonly Buffer[]): Promise<string[][]> {
  const parser = parse({ ...CSV_PARSE_OPTIONS });
  const records: string[][] = [];
  for (const piece of pieces) {
    parser.write(piece);
    for (let r = parser.read() as string[] | null; r !== null; r = parser.read() as string[] | null) records.push(r);
  }
  await new Promise<void>((resolve) => parser.end(resolve));
  for (let r = parser.read() as string[] | null; r !== null; r = parser.read() as string[] | null) records.push(r);
  return records;
}

function unquotedRecords(pieces: readonly Buffer[]): string[][] {
  const decoder = new TextDecoder('utf-8');
  const reader = new UnquotedRecords(1 << 16, () => {
    throw new Error('no line is that long here');
  });
  const records: string[][] = [];
  for (const piece of pieces) {
    reader.write(decoder.decode(piece, { stream: true }));
    records.push(...reader.records());
  }
  reader.write(decoder.decode());
  reader.end();
  records.push(...reader.records());
  return records;
}

async function rows(source: Buffer | Readable): Promise<CampaignRecipient[] | string> {
  const out: CampaignRecipient[] = [];
  try {
    for await (const row of readRecipientsCsv(source)) out.push(row);
    return out;
  } catch (err) {
    return String(err);
  }
}

describe('CSV without quotes', () => {
  it('yields the records csv-parse yields, on random text cut anywhere', async () => {
    const random = seeded(2026);
    for (let sample = 0; sample < 600; sample++) {
      const bytes = Buffer.from(quoteFreeText(random), 'utf8');
      const pieces = cut(bytes, random);
      expect(unquotedRecords(pieces), JSON.stringify(bytes.toString('utf8'))).toEqual(await csvParseRecords(pieces));
    }
  });

  it('reads a recipient file to the same rows, lines and refusals as csv-parse', async () => {
    const random = seeded(7);
    const headers = ['phone', 'phone,name', 'name,手机号', '13800138000', 'code,phone,name'];
    for (let sample = 0; sample < 300; sample++) {
      const header = headers[Math.floor(random() * headers.length)] as string;
      const text = `${random() < 0.2 ? '\uFEFF' : ''}${header}${BREAKS[sample % 3]}${quoteFreeText(random).replace(/^\uFEFF/, '')}`;
      const bytes = Buffer.from(text, 'utf8');
      // A buffer without a quote is read without csv-parse; a stream always through it.
      expect(await rows(bytes), JSON.stringify(text)).toEqual(await rows(Readable.from(cut(bytes, random))));
    }
  });

  it('stops at a line longer than a record may be, and says which', async () => {
    const seen: string[][] = [];
    let tooLong = 0;
    const reader = new UnquotedRecords(11, () => tooLong++);
    reader.write('13800138000\n1234567890\n123456789012\n13900139000\n');
    seen.push(...reader.records());
    reader.end();
    seen.push(...reader.records());
    expect(seen).toEqual([['13800138000'], ['1234567890']]);
    expect(tooLong).toBe(1);
    expect(reader.stopped).toBe(true);

    const file = Buffer.from(`phone\n13800138000\n${'1'.repeat(70_000)}\n13900139000\n`);
    expect(await rows(file)).toEqual([
      { phone: '13800138000', line: 2 },
      { phone: '(line 3)', line: 3, error: expect.stringMatching(/^line 3 is longer than 65536 characters, and the rest of the file was not read/) },
    ]);
  });

});
