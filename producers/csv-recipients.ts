import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ValidationError } from '../src/errors.js';
import { LineSplitter } from './csv-lines.js';
import { RECIPIENT_CHUNKS, type ChunkedRecipients } from './recipient-source.js';
import type { CampaignRecipient } from './schemas.js';

/** Header names accepted for the number column (case-insensitive). */
export const PHONE_COLUMNS = ['phone', 'phone_number', 'phonenumber', 'mobile', 'number', 'tel'];

/** Splits one CSV line (RFC 4180 quotes, `""` escapes). Fast path for lines without quotes. */
export function splitCsvLine(line: string): string[] | undefined {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
    } else if (ch === '"') {
      if (field.length > 0) return undefined; // a quote in the middle of an unquoted field
      quoted = true;
    } else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) return undefined; // unterminated quote (multi-line fields are not supported)
  out.push(field);
  return out;
}

/**
 * Turns CSV lines into recipients, one line at a time: the first non-blank line is the header
 * (or, when it is a number, the first row of a header-less list).
 */
class CsvRows {
  private header: string[] | undefined;
  private phoneAt = 0;
  private lineNo = 0;

  /** The recipient on `raw`, or undefined for the header and blank lines. Throws on a bad header. */
  row(raw: string): CampaignRecipient | undefined {
    this.lineNo++;
    const line = this.lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') return undefined;
    let header = this.header;
    if (header === undefined) {
      header = this.readHeader(line);
      if (header !== undefined) return undefined;
      header = this.header = ['phone'];
    }
    // A list of numbers alone, the common case: no need to split the line.
    if (header.length === 1 && !line.includes(',') && !line.includes('"')) return { phone: line.trim() };
    const cells = splitCsvLine(line);
    if (!cells) return { phone: line.slice(0, 32), error: `line ${this.lineNo}: unterminated or misplaced quote` };
    if (cells.length !== header.length) {
      return { phone: (cells[this.phoneAt] ?? line).slice(0, 32), error: `line ${this.lineNo}: expected ${header.length} fields, found ${cells.length}` };
    }
    const phone = (cells[this.phoneAt] as string).trim();
    if (header.length === 1) return { phone };
    const params: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) if (i !== this.phoneAt) params[header[i] as string] = cells[i] as string;
    return { phone, params };
  }

  /** Reads a header line; undefined when the line is a number instead (a list without a header). */
  private readHeader(line: string): string[] | undefined {
    const cells = splitCsvLine(line)?.map((c) => c.trim());
    if (!cells) throw new ValidationError([{ field: 'file:1', message: 'the header line has an unterminated quote' }]);
    const lower = cells.map((c) => c.toLowerCase());
    const idx = lower.findIndex((c) => PHONE_COLUMNS.includes(c));
    if (idx >= 0) {
      const dup = cells.find((c, i) => cells.indexOf(c) !== i);
      if (dup) throw new ValidationError([{ field: 'file:1', message: `column "${dup}" appears twice in the header` }]);
      this.header = cells;
      this.phoneAt = idx;
      return cells;
    }
    if (cells.length === 1 && /^[+\d][\d\s()-]*$/.test(cells[0] ?? '')) return undefined;
    throw new ValidationError([
      {
        field: 'file:1',
        message: `no phone column in the header (${cells.join(',')}). Fix: name the number column one of ${PHONE_COLUMNS.join(', ')}, or give one number per line without a header`,
      },
    ]);
  }
}

/** The recipients a CSV reader yields; it also hands them over chunk by chunk ({@link RECIPIENT_CHUNKS}). */
export type CsvRecipients = AsyncGenerator<CampaignRecipient> & ChunkedRecipients;

/**
 * Reads campaign recipients from CSV, one row at a time. The first line is a header naming the
 * number column (`phone`, `mobile`, ...) and, optionally, per-recipient template params (each
 * other column is a `${var}`). A file without a header is a plain list of numbers, one per line.
 * Rows that cannot be read are yielded with `error` (they are counted as rejected, not dropped).
 * Throws ValidationError before yielding anything if the header is unusable.
 *
 * Memory: the file is read 64 KiB at a time and each line is decoded only when its row is asked
 * for ({@link LineSplitter}), so nothing piles up ahead of the consumer.
 */
export function readRecipientsCsv(source: string | Readable): CsvRecipients {
  const chunks = csvRowChunks(source);
  async function* rows(): AsyncGenerator<CampaignRecipient> {
    for await (const chunk of chunks) yield* chunk;
  }
  return Object.assign(rows(), { [RECIPIENT_CHUNKS]: () => chunks });
}

/** The rows of each chunk read from `source`, parsed as they are iterated. */
async function* csvRowChunks(source: string | Readable): AsyncGenerator<Iterable<CampaignRecipient>> {
  const input: AsyncIterable<Buffer | string> = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 16 }) : source;
  const lines = new LineSplitter();
  const rows = new CsvRows();
  for await (const chunk of input) {
    lines.push(chunk);
    yield rowsOf(lines, rows);
  }
  const last = lines.end();
  const row = last === undefined ? undefined : rows.row(last);
  if (row !== undefined) yield [row];
}

function* rowsOf(lines: LineSplitter, rows: CsvRows): Generator<CampaignRecipient> {
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    const row = rows.row(line);
    if (row !== undefined) yield row;
  }
}
