import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import { RECIPIENT_CHUNKS, RECIPIENT_COLUMNS, type ChunkedRecipients, type ColumnedRecipients } from './recipient-source.js';
import { RecipientRows } from './recipient-rows.js';
import { readError } from './recipient-file-errors.js';
import { HeaderWithoutPhoneError, looksLikeNumber } from './recipient-header.js';
import { BLANK_LINE, PAPA_CONFIG, SEPARATOR_NAMES, separatorOf, type Separator } from './csv-separator.js';
import { headerEncodingHint } from './header-encoding-hint.js';
import type { CampaignRecipient } from './schemas.js';
import { ValidationError } from '../src/errors.js';
import type { FileEncoding } from './encoding-names.js';
import { bomOf, createTextDecoder, settleEncoding, type Rereadable, type TextReading } from './text-encoding.js';
import { groupDigits } from '../src/digit-groups.js';

export { PHONE_COLUMNS } from './recipient-header.js';

/** The recipients a reader yields; it also hands them over chunk by chunk ({@link RECIPIENT_CHUNKS}). */
export type CsvRecipients = AsyncGenerator<CampaignRecipient> & ChunkedRecipients & ColumnedRecipients;

export interface RecipientFileOptions {
  /** The file's encoding; default: recognised from its bytes (BOM, UTF-8, GB18030). */
  encoding?: FileEncoding;
  /** How `encoding` was named: `charset` for an upload's Content-Type, whose fix then names the charset, not `encoding`. */
  encodingNamedBy?: 'setting' | 'charset';
  /** How messages name the file: `file` (default), `(body)`. */
  field?: string;
  /** The name of a caller that takes no workbooks (`send-batch`): a workbook is told to be saved as CSV, not given as one. */
  textOnlyReader?: string;
}

/** Bytes read at a time from a file. */
const READ_SIZE = 1 << 16;
/**
 * Longest line read, in characters; also the longest record (a quoted value may span lines) before
 * its quote is judged never closed. A real row is a number and a few params, far below. The bound
 * is what keeps memory flat whatever one broken line holds: a longer line is rejected and the rest
 * of it dropped as it is read, not gathered.
 */
const MAX_LINE_CHARS = 1 << 16;
const MAX_LINE_SHOWN = groupDigits(MAX_LINE_CHARS);

/**
 * Reads campaign recipients from CSV (RFC 4180, parsed by Papa Parse: quoted fields with commas,
 * quotes and line breaks, CRLF or LF, a BOM), one row at a time. Values are separated by commas,
 * or by the tab or semicolon that separates the header's names when commas do not (see
 * {@link separatorOf}). The first line is a header naming
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
 * been taken, so nothing piles up ahead of the consumer; a line longer than MAX_LINE_CHARS is
 * rejected and the rest of it skipped, not held.
 */
export function readRecipientsCsv(source: string | Buffer | Readable, opts: RecipientFileOptions = {}): CsvRecipients {
  const field = opts.field ?? 'file';
  const rows = new RecipientRows(field);
  const chunks = csvRowChunks(source, { named: opts.encoding, namedBy: opts.encodingNamedBy, field, textOnlyReader: opts.textOnlyReader }, rows);
  async function* each(): AsyncGenerator<CampaignRecipient> {
    for await (const chunk of chunks) yield* chunk;
  }
  return Object.assign(each(), { [RECIPIENT_CHUNKS]: () => chunks, [RECIPIENT_COLUMNS]: () => rows.columns() });
}

/** The rows of each chunk read from `source`, parsed when the chunk is asked for. */
async function* csvRowChunks(source: string | Buffer | Readable, reading: TextReading, rows: RecipientRows): AsyncGenerator<CampaignRecipient[]> {
  const { field } = reading;
  const { input, encoding } = await openText(source, reading);
  rows.encoding = encoding;
  const decoder = createTextDecoder(encoding);
  const records = new CsvRecords(field, rows);
  /** The file's first bytes: a header read in a wrong named encoding is read again in the others (header-encoding-hint.ts). */
  let head: Buffer | undefined;
  try {
    for await (const chunk of input) {
      head ??= chunk;
      records.write(decoder.write(chunk));
      yield records.taken();
    }
    records.end(decoder.end());
    yield records.taken();
  } catch (err) {
    // Only an encoding the caller named can be the wrong one: a recognised one, or a BOM's, is what the bytes are.
    if (err instanceof HeaderWithoutPhoneError && reading.named === encoding && head !== undefined && bomOf(head) === undefined) {
      throw headerEncodingHint(err, head, encoding, reading.namedBy) ?? err;
    }
    throw readError(err, typeof source === 'string' ? source : undefined, field, reading.textOnlyReader);
  }
}

/** The bytes of `source` and their encoding (checked whole for a file or a buffer). */
async function openText(source: string | Buffer | Readable, reading: TextReading): Promise<{ input: AsyncIterable<Buffer>; encoding: FileEncoding }> {
  const { field } = reading;
  if (typeof source === 'string') {
    const file: Rereadable = () => createReadStream(source, { highWaterMark: READ_SIZE });
    try {
      const encoding = await settleEncoding(file, reading);
      return { input: file(), encoding };
    } catch (err) {
      throw readError(err, source, field, reading.textOnlyReader);
    }
  }
  if (Buffer.isBuffer(source)) {
    const whole: Rereadable = () => pieces(source);
    const encoding = await settleEncoding(whole, reading);
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
  const encoding = await settleEncoding(() => pieces(head), reading, !ended);
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

/** How much of a too-long line is kept, for the number shown with its rejection. */
const LONG_LINE_KEPT = 64;

/** A line that could not be read as CSV (a quote out of place or never closed, or too long): rejected alone. */
interface BadLine {
  /** The line, or its start when it is too long. */
  bad: string;
  tooLong?: boolean;
}

/**
 * Papa Parse driven a chunk at a time. Each chunk of text is parsed with the unfinished record
 * of the last one in front of it (`Parser.parse(text, 0, ignoreLastRow)` leaves the last record
 * for the next call, as Papa's own streamer does). csv-parse was the first choice: its CPU for a
 * 1M-row list was most of the campaign's (docs/benchmarks.md).
 *
 * A record with a quote out of place (`"5" screen`: a closing quote followed by more text), or
 * whose quote is never closed (found at the end of the input, or once it holds more than
 * MAX_LINE_CHARS), costs only its first line: that line is rejected with its number and the
 * parsing starts again on the next line. Without it, one inch mark in a product name would read
 * the rest of the list as one value, or merge the lines up to the next quote. A line longer than
 * MAX_LINE_CHARS is rejected alone too, and what is left of it is skipped as it arrives: judged
 * when it is finished, a line as long as two reads was cut at the read and its tail read as a row.
 * Both bounds hold however the text is cut into chunks (a record finished within one chunk is
 * measured too), so a file, an upload and a stream read alike.
 *
 * Line breaks: records end at `\n`, and a `\r` before it is dropped, so CRLF and LF files, and files
 * that mix them, read the same; a file whose first line break is a lone `\r` (old Mac exports) has
 * every `\r` read as `\n`. Lines are counted here: one per record plus the line breaks inside its
 * quoted values (blank lines are records too).
 */
class CsvRecords {
  /** Papa Parse set up with the file's separator, once the header line has been seen. */
  private config: Papa.ParseConfig = PAPA_CONFIG;
  private separator: Separator = ',';
  private parser: Papa.Parser | undefined;
  private nextLine = 1;
  /** Text of the record not finished by the last chunk. */
  private carry = '';
  /** Whether the text so far started (BOM dropped), and which line break it uses. */
  private started = false;
  private breaks: 'lf' | 'cr' | undefined;
  /** Whether the text up to the next line break is the rest of a line rejected as too long. */
  private skipping = false;
  /** Whether the text so far ended in a CR whose line-break style was not known yet. */
  private pendingCr = false;
  /** Records parsed since the last `taken`, as Papa Parse returned them (its arrays kept, not copied). */
  private parsed: (string[] | BadLine)[][] = [];

  constructor(
    private readonly field: string,
    private readonly rows: RecipientRows,
  ) {}

  write(text: string): void {
    this.parse(text, false);
  }

  end(text: string): void {
    this.parse(text, true);
  }

  private parse(chunk: string, last: boolean): void {
    let text = this.carry + this.prepare(chunk, last);
    this.carry = '';
    if (this.skipping) {
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      this.skipping = false;
      text = text.slice(nl + 1);
    }
    // A CR at the end of a chunk may be half of a CRLF: it waits for the next chunk.
    if (!last && this.breaks === 'lf' && text.endsWith('\r')) {
      this.carry = '\r';
      text = text.slice(0, -1);
    }
    const parser = this.parser ?? this.startParser(text, last);
    if (parser === undefined) {
      this.carry = text + this.carry; // the header line is still to come
      return;
    }
    for (;;) {
      if (text.length === 0) return;
      const result = parser.parse(text, 0, !last) as { data: string[][]; errors: Papa.ParseError[]; meta: { cursor: number } };
      const data = result.data;
      let badRow = result.errors.reduce((first, e) => (e.row !== undefined && e.row < data.length && e.row < first ? e.row : first), Infinity);
      // Only text longer than the bound can hold a record that is.
      if (result.meta.cursor > MAX_LINE_CHARS) badRow = firstLongRecord(data, Math.min(badRow, data.length)) ?? badRow;
      if (badRow === Infinity) {
        if (data.length > 0) this.parsed.push(data);
        if (last) return;
        const rest = text.slice(result.meta.cursor);
        if (rest.length <= MAX_LINE_CHARS) {
          this.carry = rest + this.carry;
          return;
        }
        text = this.rejectFirstLine(rest, last);
        continue;
      }
      if (badRow > 0) this.parsed.push(data.slice(0, badRow));
      // Where the bad record starts: after the rows before it (Papa's fast mode, for text without
      // quotes, answers a preview with the cursor one row further).
      const start = badRow === 0 ? 0 : (new Papa.Parser({ ...this.config, preview: badRow, fastMode: false }).parse(text, 0, false) as { meta: { cursor: number } }).meta.cursor;
      const from = text.slice(start);
      if (!last && from.length <= MAX_LINE_CHARS && from.indexOf('\n') < 0) {
        this.carry = from + this.carry; // the rest of its line is still to come
        return;
      }
      text = this.rejectFirstLine(from, last);
    }
  }

  /**
   * The parser, with the separator of the first non-blank line of `text`; undefined while that line
   * is not all there (and not past the longest line read).
   */
  private startParser(text: string, last: boolean): Papa.Parser | undefined {
    for (let at = 0; ; ) {
      const nl = text.indexOf('\n', at);
      if (nl < 0 && !last && text.length - at <= MAX_LINE_CHARS) return undefined;
      const line = text.slice(at, nl < 0 ? text.length : nl);
      if (nl < 0 || !BLANK_LINE.test(line)) {
        const separator = separatorOf(line, MAX_LINE_CHARS);
        this.separator = separator;
        this.config = { ...PAPA_CONFIG, delimiter: separator };
        this.rows.useSeparator(separator, SEPARATOR_NAMES[separator]);
        this.parser = new Papa.Parser(this.config);
        return this.parser;
      }
      at = nl + 1;
    }
  }

  /**
   * Records the first line of `text` as a bad line (too long, or with a quote CSV does not allow);
   * returns the text after it. A too-long line not finished in `text` has its rest skipped.
   */
  private rejectFirstLine(text: string, last: boolean): string {
    const nl = text.indexOf('\n');
    const end = nl < 0 ? text.length : nl;
    if (end > MAX_LINE_CHARS) {
      this.parsed.push([{ bad: text.slice(0, LONG_LINE_KEPT), tooLong: true }]);
      if (nl >= 0) return text.slice(nl + 1);
      this.skipping = !last;
      return '';
    }
    this.parsed.push([{ bad: text.slice(0, end) }]);
    return nl < 0 ? '' : text.slice(nl + 1);
  }

  /** The chunk with the file's BOM dropped and its line breaks read as LF. */
  private prepare(chunk: string, last: boolean): string {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.pendingCr) {
      chunk = `\r${chunk}`;
      this.pendingCr = false;
    }
    if (this.breaks === undefined) {
      const cr = chunk.indexOf('\r');
      const lf = chunk.indexOf('\n');
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (cr < chunk.length - 1) this.breaks = chunk[cr + 1] === '\n' ? 'lf' : 'cr';
        else if (last) this.breaks = 'cr';
        else {
          // A CR at the very end: whether a LF follows is in the next chunk.
          this.pendingCr = true;
          chunk = chunk.slice(0, -1);
        }
      } else if (lf >= 0) this.breaks = 'lf';
    }
    return this.breaks === 'cr' ? chunk.replaceAll('\r', '\n') : chunk;
  }

  /** The recipients of the records parsed from the last chunk. */
  taken(): CampaignRecipient[] {
    const parts = this.parsed;
    this.parsed = [];
    let n = 0;
    for (const part of parts) n += part.length;
    // Allocated at its full size (arrays grown by push cost memory per row); blank rows and the header leave it shorter.
    const out = new Array<CampaignRecipient>(n);
    let count = 0;
    for (const records of parts) {
      for (let r = 0; r < records.length; r++) {
        const record = records[r] as string[] | BadLine;
        const line = this.nextLine;
        if (!Array.isArray(record)) {
          this.nextLine += 1;
          out[count++] = this.malformed(record, line);
          continue;
        }
        const lastCell = record[record.length - 1] as string;
        if (lastCell.endsWith('\r')) record[record.length - 1] = lastCell.slice(0, -1);
        this.nextLine += 1 + lineBreaksIn(record);
        const row = this.rows.row(record, line);
        if (row !== undefined) out[count++] = row;
      }
    }
    out.length = count;
    return out;
  }

  /** A line with a quote out of place or never closed, or too long: rejected, the lines after it read. */
  private malformed(record: BadLine, line: number): CampaignRecipient {
    const why = record.tooLong
      ? `line ${line} is longer than ${MAX_LINE_SHOWN} characters, so it was not read (the rest of it was skipped: a row is a number and a few params, far shorter)`
      : `line ${line} has a quote where CSV does not allow one (a quoted value ends at a ${this.rows.separatorName} or the end of its line; a quote that is never closed would make the rest of the list one value), so the line was not read`;
    const fix = record.tooLong
      ? 'one recipient per line (a line break may be missing), each value under 500 characters'
      : 'quote the whole value and double each quote inside it ("5"" screen"), or drop the quote';
    const phone = (record.bad.split(this.separator)[0] ?? '').replaceAll('"', '').trim().slice(0, 32);
    // Before the header, a line that is not a number is the header: without it no column is known.
    if (this.rows.headerPending && !looksLikeNumber(phone)) {
      throw new ValidationError([
        { field: `${this.field}:${line}`, message: `${why}, and it is the header naming the columns (nothing was enqueued). Fix: the column names on the first line (phone, name, ...), then ${fix}` },
      ]);
    }
    return { phone, line, error: `${why}. Fix: ${record.tooLong ? `give ${fix}` : fix}` };
  }
}

/** The first of `records[0..upTo)` longer than MAX_LINE_CHARS (its values and separators), if any. */
function firstLongRecord(records: readonly string[][], upTo: number): number | undefined {
  for (let r = 0; r < upTo; r++) {
    const cells = records[r] as string[];
    let length = cells.length - 1;
    for (const cell of cells) length += cell.length;
    if (length > MAX_LINE_CHARS) return r;
  }
  return undefined;
}

function lineBreaksIn(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) n++;
  return n;
}
