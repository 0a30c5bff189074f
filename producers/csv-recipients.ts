import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import { RECIPIENT_CHUNKS, type ChunkedRecipients } from './recipient-source.js';
import { RecipientRows } from './recipient-rows.js';
import { readError } from './recipient-file-errors.js';
import type { CampaignRecipient } from './schemas.js';
import { createTextDecoder, settleEncoding, type FileEncoding, type Rereadable } from './text-encoding.js';

export { PHONE_COLUMNS } from './recipient-header.js';

/** The recipients a reader yields; it also hands them over chunk by chunk ({@link RECIPIENT_CHUNKS}). */
export type CsvRecipients = AsyncGenerator<CampaignRecipient> & ChunkedRecipients;

export interface RecipientFileOptions {
  /** The file's encoding; default: recognised from its bytes (BOM, UTF-8, GB18030). */
  encoding?: FileEncoding;
  /** How messages name the file: `file` (default), `(body)`. */
  field?: string;
}

/** Bytes read at a time from a file. */
const READ_SIZE = 1 << 16;
/**
 * Longest record the parser holds. A quote that is never closed makes the rest of the file one
 * value; this bounds the memory it takes (a real row is a number and a few params, far below).
 */
const MAX_RECORD_CHARS = 1 << 16;

/**
 * Reads campaign recipients from CSV (RFC 4180, parsed by Papa Parse: quoted fields with commas,
 * quotes and line breaks, CRLF or LF, a BOM), one row at a time. The first line is a header naming
 * the number column (`phone`, `mobile`, `手机号`, ... see PHONE_COLUMNS) and, optionally,
 * per-recipient template params (each other column is a `${var}`). A file without a header is a
 * plain list of numbers, one per line.
 *
 * The encoding (UTF-8, UTF-16 with a BOM, GB18030/GBK) is recognised, or taken from `encoding`.
 * A file or buffer is checked whole before its first row is read, so bytes that are not valid in
 * its encoding refuse it with the line and the fix, before anything is enqueued; a stream is judged
 * by its first chunk, and a later row with bad bytes is rejected with its line.
 * Rows that cannot be read are yielded with `error` (they are counted as rejected, not dropped).
 * Throws ValidationError, before yielding anything, for a missing or unreadable file, bytes that
 * are not valid, or a header that names no number column.
 *
 * Memory: the file is read 64 KiB at a time and its rows are parsed when the previous ones have
 * been taken, so nothing piles up ahead of the consumer.
 */
export function readRecipientsCsv(source: string | Buffer | Readable, opts: RecipientFileOptions = {}): CsvRecipients {
  const chunks = csvRowChunks(source, opts);
  async function* rows(): AsyncGenerator<CampaignRecipient> {
    for await (const chunk of chunks) yield* chunk;
  }
  return Object.assign(rows(), { [RECIPIENT_CHUNKS]: () => chunks });
}

/** The rows of each chunk read from `source`, parsed as they are iterated. */
async function* csvRowChunks(source: string | Buffer | Readable, opts: RecipientFileOptions): AsyncGenerator<Iterable<CampaignRecipient>> {
  const field = opts.field ?? 'file';
  const { input, encoding } = await openText(source, opts.encoding, field);
  const decoder = createTextDecoder(encoding);
  const records = new CsvRecords(field);
  try {
    for await (const chunk of input) {
      records.write(decoder.write(chunk));
      yield records.taken();
      if (records.stopped) return;
    }
    records.end(decoder.end());
    yield records.taken();
  } catch (err) {
    throw readError(err, typeof source === 'string' ? source : undefined, field);
  }
}

/** The bytes of `source` and their encoding (checked whole for a file or a buffer). */
async function openText(source: string | Buffer | Readable, named: FileEncoding | undefined, field: string): Promise<{ input: AsyncIterable<Buffer>; encoding: FileEncoding }> {
  if (typeof source === 'string') {
    const file: Rereadable = () => createReadStream(source, { highWaterMark: READ_SIZE });
    try {
      const encoding = await settleEncoding(file, named, field);
      return { input: file(), encoding };
    } catch (err) {
      throw readError(err, source, field);
    }
  }
  if (Buffer.isBuffer(source)) {
    const whole: Rereadable = () => pieces(source);
    const encoding = await settleEncoding(whole, named, field);
    return { input: whole(), encoding };
  }
  // A stream is read once: its encoding is judged from its first chunk (and more, until a BOM can
  // be seen), without waiting for more that may be slow to come.
  const stream = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const taken: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < 4) {
    const next = await stream.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = toBuffer(next.value);
    taken.push(chunk);
    headBytes += chunk.length;
  }
  const head = Buffer.concat(taken);
  const encoding = await settleEncoding(() => pieces(head), named, field, !ended);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (ended) return;
      for (let next = await stream.next(); !next.done; next = await stream.next()) yield toBuffer(next.value);
    } finally {
      await stream.return?.();
    }
  }
  return { input: rest(), encoding };
}

/** A buffer in pieces of the size a file is read in (so a large upload is parsed a piece at a time). */
async function* pieces(buffer: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < buffer.length; at += READ_SIZE) yield buffer.subarray(at, at + READ_SIZE);
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/**
 * Papa Parse driven a chunk at a time. Each chunk of text is parsed with the unfinished record
 * of the last one in front of it (`Parser.parse(text, 0, ignoreLastRow)` leaves the last record
 * for the next call, as Papa's own streamer does), so a record longer than MAX_RECORD_CHARS (a
 * quote never closed) is found before it takes the memory of the whole file. csv-parse was the
 * first choice: its CPU for a 1M-row list was most of the campaign's (docs/benchmarks.md).
 *
 * Line breaks: records end at `\n`, and a `\r` before it is dropped, so CRLF and LF files, and files
 * that mix them, read the same; a file whose first line break is a lone `\r` (old Mac exports) has
 * every `\r` read as `\n`. Lines are counted here: one per record plus the line breaks inside its
 * quoted values (blank lines are records too).
 */
class CsvRecords {
  private readonly parser = new Papa.Parser({ delimiter: ',', newline: '\n', quoteChar: '"' });
  private readonly rows: RecipientRows;
  private nextLine = 1;
  /** Text of the record not finished by the last chunk. */
  private carry = '';
  /** Whether the text so far started (BOM dropped), and which line break it uses. */
  private started = false;
  private breaks: 'lf' | 'cr' | undefined;
  private parsed: readonly string[][] = [];
  private errorRows = new Set<number>();
  private unfinished: { line: number; lines: number; tooLong: boolean } | undefined;
  /** The parser met a record it could not finish: the rest of the input is not read. */
  stopped = false;

  constructor(private readonly field: string) {
    this.rows = new RecipientRows(field);
  }

  write(text: string): void {
    this.parse(text, false);
  }

  end(text: string): void {
    this.parse(text, true);
  }

  private parse(chunk: string, last: boolean): void {
    let text = this.carry + this.prepare(chunk);
    this.carry = '';
    if (text.length === 0) {
      this.parsed = [];
      return;
    }
    // A CR at the end of a chunk may be half of a CRLF: it waits for the next chunk.
    if (!last && this.breaks === 'lf' && text.endsWith('\r')) {
      this.carry = '\r';
      text = text.slice(0, -1);
    }
    const result = this.parser.parse(text, 0, !last) as { data: string[][]; errors: Papa.ParseError[]; meta: { cursor: number } };
    this.parsed = result.data;
    this.errorRows = new Set();
    for (const e of result.errors) {
      if (e.row === undefined || e.row >= result.data.length) continue;
      if (e.code === 'MissingQuotes') this.unfinished = { line: 0, lines: 0, tooLong: false };
      else this.errorRows.add(e.row);
    }
    if (!last) {
      this.carry = text.slice(result.meta.cursor) + this.carry;
      if (this.carry.length > MAX_RECORD_CHARS) this.unfinished = { line: 0, lines: 0, tooLong: true };
    }
  }

  /** The chunk with the file's BOM dropped and its line breaks read as LF. */
  private prepare(chunk: string): string {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.breaks === undefined) {
      const cr = chunk.indexOf('\r');
      const lf = chunk.indexOf('\n');
      if (cr >= 0 && (lf < 0 || cr < lf) && (cr < chunk.length - 1 || lf >= 0)) this.breaks = chunk[cr + 1] === '\n' ? 'lf' : 'cr';
      else if (lf >= 0) this.breaks = 'lf';
    }
    return this.breaks === 'cr' ? chunk.replaceAll('\r', '\n') : chunk;
  }

  /** The recipients of the records parsed from the last chunk; read it to its end before the next write. */
  *taken(): Generator<CampaignRecipient> {
    const records = this.parsed;
    this.parsed = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as string[];
      const lastCell = record[record.length - 1] as string;
      if (lastCell.endsWith('\r')) record[record.length - 1] = lastCell.slice(0, -1);
      const line = this.nextLine;
      const breaks = lineBreaksIn(record);
      this.nextLine += 1 + breaks;
      if (this.unfinished !== undefined && i === records.length - 1 && !this.unfinished.tooLong) {
        this.stopped = true;
        yield this.unreadable(line, line + breaks, false);
        return;
      }
      if (this.errorRows.has(i)) {
        yield this.malformed(record, line, breaks);
        continue;
      }
      const row = this.rows.row(record, line);
      if (row !== undefined) yield row;
    }
    if (this.unfinished?.tooLong) {
      this.stopped = true;
      yield this.unreadable(this.nextLine, this.nextLine, true);
    }
  }

  /** A record with a quote in the wrong place (`"a"b`): rejected, with the lines it took. */
  private malformed(record: readonly string[], line: number, breaks: number): CampaignRecipient {
    const lines = breaks === 0 ? `line ${line}` : `lines ${line}-${line + breaks}`;
    return {
      phone: (record[0] ?? '').trim().slice(0, 32),
      line,
      error: `a quote in ${lines} is not where CSV allows one (a quoted value must end at a comma or the line's end), so ${breaks === 0 ? 'the row' : 'these lines'} could not be read. Fix: quote the whole value and double each quote inside it ("5"" screen")`,
    };
  }

  private unreadable(line: number, last: number, tooLong: boolean): CampaignRecipient {
    const what = tooLong ? `lines ${line}.. form one value over ${MAX_RECORD_CHARS} characters` : `lines ${line}-${last} were read as one value`;
    return {
      phone: `(line ${line})`,
      line,
      error: `a quoted value that starts on line ${line} is never closed: ${what}, and the rest of the ${this.field} was not read. Fix: close the quote, or double a quote inside a value ("")`,
    };
  }
}

function lineBreaksIn(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) n++;
  return n;
}
