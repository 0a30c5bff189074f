import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse, type CsvError, type Parser } from 'csv-parse';
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
const MAX_RECORD_BYTES = 1 << 16;

/**
 * Reads campaign recipients from CSV (RFC 4180, parsed by csv-parse: quoted fields with commas,
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
    await records.end(decoder.end());
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

/** A record the parser could not finish (a quote never closed); it ends the file. */
class Unreadable {
  constructor(readonly error: CsvError) {}
}

/**
 * csv-parse driven a chunk at a time: each chunk is written to the parser, and its records are
 * read back synchronously and turned into recipients when the consumer asks for them. csv-parse
 * does not tell the line of each record without an info object per record (which made parsing
 * five times slower), so lines are counted here: one per record plus the line breaks inside its
 * quoted values (blank lines are records too, kept by `skip_empty_lines: false`).
 */
class CsvRecords {
  private readonly parser: Parser;
  private readonly rows: RecipientRows;
  private nextLine = 1;
  private failure: Error | undefined;
  /** The parser met a record it could not finish: the rest of the input is not read. */
  stopped = false;

  constructor(private readonly field: string) {
    this.rows = new RecipientRows(field);
    this.parser = parse({
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'], // files mix them (a header written by one tool, rows by another)
      relax_column_count: true, // a row with too many or too few fields is rejected by RecipientRows, with its line
      relax_quotes: true, // a quote inside an unquoted value (`5" screen`) is a character, as Excel writes it
      skip_empty_lines: false,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_BYTES,
      on_skip: (err) => {
        if (err) this.parser.push(new Unreadable(err));
      },
    });
    this.parser.on('error', (err) => (this.failure = err));
  }

  write(text: Buffer | string): void {
    if (text.length > 0) this.parser.write(text);
    this.throwFailure();
  }

  async end(text: string): Promise<void> {
    if (text.length > 0) this.parser.write(text);
    await new Promise<void>((resolve) => this.parser.end(resolve));
    this.throwFailure();
  }

  /** The recipients of the records parsed so far; read it to its end before the next write. */
  *taken(): Generator<CampaignRecipient> {
    for (let record = this.parser.read() as string[] | Unreadable | null; record !== null; record = this.parser.read() as string[] | Unreadable | null) {
      if (record instanceof Unreadable) {
        this.stopped = true;
        yield this.unreadable(record.error);
        return;
      }
      const line = this.nextLine;
      this.nextLine += 1 + lineBreaksIn(record);
      const row = this.rows.row(record, line);
      if (row !== undefined) yield row;
    }
  }

  private unreadable(err: CsvError): CampaignRecipient {
    const line = this.nextLine;
    const last = (err as CsvError & { lines?: number }).lines ?? line;
    const what = err.code === 'CSV_MAX_RECORD_SIZE' ? `lines ${line}.. form one value over ${MAX_RECORD_BYTES} bytes` : `lines ${line}-${last} were read as one value`;
    return {
      phone: `(line ${line})`,
      line,
      error: `a quoted value that starts on line ${line} is never closed: ${what}, and the rest of the ${this.field} was not read. Fix: close the quote, or double a quote inside a value ("")`,
    };
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure;
  }
}

function lineBreaksIn(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) n++;
  return n;
}
