/**
 * How the text encoding a recipient file comes in (encoding-names.ts) is recognised, and how its
 * bytes are turned into UTF-8 for the CSV parser. A CSV saved by Excel in China is GBK (code page 936) unless
 * the user picked "CSV UTF-8"; Excel's "Unicode text" is UTF-16 LE with a BOM. Decoding such a file
 * as UTF-8 turns every Chinese param into U+FFFD, which is what handsets then show: so a file's
 * encoding is recognised (or named) before its first row is read, and bytes that are not valid in
 * it are refused rather than stored.
 */
import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import iconv from 'iconv-lite';
import { ValidationError } from '../src/errors.js';
import { mention } from '../src/setting-mention.js';
import { beginsWith, notTextSignature, UTF16_NUL_DENSITY, utf16ByNuls } from './file-signature.js';
import { LineEncodings } from './line-encodings.js';
import { Gb2312Share } from './gb2312-share.js';
import { ENCODING_FIX, type FileEncoding } from './encoding-names.js';

const BOMS: { bytes: number[]; encoding: FileEncoding }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

/** The encoding a byte-order mark at the start of `head` declares, with the mark's length. */
export function bomOf(head: Uint8Array): { encoding: FileEncoding; length: number } | undefined {
  for (const bom of BOMS) if (beginsWith(head, bom.bytes)) return { encoding: bom.encoding, length: bom.bytes.length };
  return undefined;
}

/**
 * Checks that bytes are valid in `encoding`, chunk by chunk (a character may be split across two
 * chunks), then {@link end}. U+FFFD in the text counts as invalid too: it is what an earlier wrong
 * conversion leaves behind, and sending it would send mojibake. With `countLines` it also knows
 * the 1-based line of the first bad byte; without, it only tells whether there is one (the fast
 * path: a native UTF-8 check of each chunk, no decoding).
 */
export class EncodingCheck {
  private readonly decoder;
  private line = 1;
  private bad: number | undefined;
  private bytes = 0;
  /** UTF-8 bytes of a character begun at the end of the previous chunk. */
  private carry: Buffer | undefined;

  constructor(
    readonly encoding: FileEncoding,
    private readonly countLines: boolean,
  ) {
    this.decoder = encoding === 'utf-8' ? undefined : iconv.getDecoder(encoding, { stripBOM: true });
  }

  /** The line of the first bad byte so far (1 when not counting lines), or undefined. */
  get badLine(): number | undefined {
    return this.bad;
  }

  /** Takes the next chunk; false once a bad byte was found. */
  write(chunk: Buffer): boolean {
    if (this.bad !== undefined) return false;
    this.bytes += chunk.length;
    if (this.decoder) {
      this.checkText(this.decoder.write(chunk));
      return this.bad === undefined;
    }
    let bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = completeUtf8Length(bytes);
    this.carry = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
    bytes = bytes.subarray(0, whole);
    if (!this.countLines) {
      if (!isUtf8(bytes) || bytes.includes(REPLACEMENT_UTF8)) this.bad = 1;
    } else if (isUtf8(bytes) && !bytes.includes(REPLACEMENT_UTF8)) this.line += countByte(bytes, 0x0a);
    else this.checkText(bytes.toString('utf8'));
    return this.bad === undefined;
  }

  /** Call at the end of the input; returns the line of the first bad byte, if any. */
  end(): number | undefined {
    if (this.bad !== undefined) return this.bad;
    if (this.decoder) this.checkText(this.decoder.end() ?? '');
    else if (this.carry) this.bad = this.line; // a character cut off by the end of the file
    if ((this.encoding === 'utf-16le' || this.encoding === 'utf-16be') && this.bytes % 2 === 1) this.bad ??= this.line;
    return this.bad;
  }

  private checkText(text: string): void {
    const at = text.indexOf('\uFFFD');
    if (at >= 0) this.bad = this.countLines ? this.line + countChar(text, '\n', at) : 1;
    else if (this.countLines) this.line += countChar(text, '\n', text.length);
  }
}

/** A source that can be read more than once (a file, a buffer). */
export type Rereadable = () => AsyncIterable<Buffer>;

/**
 * Whether every byte of `source` is valid in `encoding` (one pass, no line counting). `partial`:
 * the source is the head of a stream, so a character cut off at its end is not a fault.
 */
export async function fitsEncoding(source: Rereadable, encoding: FileEncoding, partial = false): Promise<boolean> {
  const check = new EncodingCheck(encoding, false);
  for await (const chunk of source()) if (!check.write(chunk)) return false;
  return partial ? check.badLine === undefined : check.end() === undefined;
}

/** The line of the first byte of `source` not valid in `encoding` (a second, slower pass). */
export async function lineOfBadBytes(source: Rereadable, encoding: FileEncoding, partial = false): Promise<number> {
  const check = new EncodingCheck(encoding, true);
  for await (const chunk of source()) if (!check.write(chunk)) break;
  return (partial ? check.badLine : check.end()) ?? 1;
}

const REPLACEMENT_UTF8 = Buffer.from('\uFFFD', 'utf8');

/** The length of `bytes` without a UTF-8 character cut off at its end. */
function completeUtf8Length(bytes: Buffer): number {
  const len = bytes.length;
  for (let back = 1; back <= 3 && back <= len; back++) {
    const b = bytes[len - back] as number;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? len - back : len;
  }
  return len;
}

function countByte(bytes: Buffer, byte: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte); i >= 0; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}

function countChar(text: string, ch: string, before: number): number {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0 && i < before; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * The encoding of `source`: the one its byte-order mark declares, else the one named, else
 * recognised from its bytes: UTF-8 when they are all valid UTF-8, else GB18030 when they are all
 * valid GB18030 (GBK text, as Excel saves it in China, is valid GB18030) and read mostly as
 * GB2312, which bytes of another encoding read as GBK do not ({@link Gb2312Share}). A file whose first bytes
 * name another kind (a workbook or archive renamed .csv, a PDF) is refused as what it is. NUL bytes
 * without a BOM mean UTF-16, named for the user to confirm, or a binary file. Throws a
 * ValidationError naming the line of the first bad byte and the fix when the bytes fit none.
 *
 * A file is read in one encoding, so one that mixes UTF-8 and GBK lines is refused at the first
 * line of the other one (see {@link LineEncodings}): UTF-8 Chinese bytes are valid GB18030 too,
 * and such a file read as GBK sent its UTF-8 names as mojibake. Its Chinese lines mostly UTF-8, it
 * is UTF-8 and refused at its first line that is not; mostly GBK (or named GBK), at its first UTF-8
 * line, unless they are as few as GBK text reads as UTF-8 by chance ({@link CHANCE_UTF8_LINES}).
 */
export interface TextReading {
  /** The encoding the caller named; undefined: recognised from the bytes. */
  named: FileEncoding | undefined;
  /** How it was named, for a fix that says it in the caller's words: a setting (default), or an upload's charset. */
  namedBy?: 'setting' | 'charset' | undefined;
  /** How messages name the file. */
  field: string;
  /** The name of a reader that takes no workbooks (see notTextSignature). */
  textOnlyReader?: string | undefined;
}

export async function settleEncoding(source: Rereadable, { named, field, textOnlyReader }: TextReading, partial = false): Promise<FileEncoding> {
  let head: Buffer | undefined;
  for await (const chunk of source()) {
    head = chunk;
    break;
  }
  if (head === undefined || head.length === 0) return named ?? 'utf-8';
  const notText = notTextSignature(head, textOnlyReader);
  if (notText !== undefined) {
    throw new ValidationError([{ field, message: `is ${notText.what}, not a text list (nothing was enqueued). Fix: ${notText.fix}` }]);
  }
  const declared = bomOf(head)?.encoding ?? named;
  if (declared !== undefined && declared !== 'gb18030') {
    if (!(await fitsEncoding(source, declared, partial))) throw invalidBytesError(field, declared, await lineOfBadBytes(source, declared, partial));
    return declared;
  }
  if (declared === undefined) {
    if (head.subarray(0, NUL_WINDOW).includes(0)) throw nulBytesError(field, head.subarray(0, NUL_WINDOW));
    // The common case, and the fast one: a native check per chunk.
    if (await fitsEncoding(source, 'utf-8', partial)) return 'utf-8';
  }
  const { lines, gb18030, share } = await judgeLines(source, partial);
  // GBK text is never valid UTF-8 Chinese but by chance: the file is UTF-8, these lines are not.
  if (declared === undefined && lines.utf8.count > 0 && lines.utf8.count >= lines.notUtf8.count) throw notUtf8LineError(field, lines);
  if (!gb18030) {
    const line = await lineOfBadBytes(source, 'gb18030', partial);
    if (declared !== undefined) throw invalidBytesError(field, declared, line);
    throw new ValidationError([{ field: `${field}:${line}`, message: `line ${line} holds bytes that are neither UTF-8 nor GBK/GB18030 (nothing was enqueued). Fix: ${ENCODING_FIX}` }]);
  }
  if (lines.utf8.count * CHANCE_UTF8_LINES > lines.notUtf8.count) throw utf8LineError(field, lines, declared !== undefined);
  if (declared === undefined && share.doubtful) throw doubtfulGbkError(field, share);
  return 'gb18030';
}

/**
 * GBK lines for each UTF-8 Chinese line that a GBK file may hold by chance: under 1 in 10,000
 * GBK names with rare characters read so (docs/benchmarks.md), so a GBK file is refused for its
 * UTF-8 lines only when they are more than one in a thousand.
 */
const CHANCE_UTF8_LINES = 1000;

/**
 * One pass over a file that is not all UTF-8: its lines by kind, whether its bytes are all valid
 * GB18030, and how much of it reads as GB2312 (counted while they are).
 */
async function judgeLines(source: Rereadable, partial: boolean): Promise<{ lines: LineEncodings; gb18030: boolean; share: Gb2312Share }> {
  const lines = new LineEncodings();
  const check = new EncodingCheck('gb18030', false);
  const share = new Gb2312Share();
  let fits = true;
  for await (const chunk of source()) {
    lines.write(chunk);
    if (fits) fits = check.write(chunk);
    if (fits) share.write(chunk);
  }
  lines.end(partial);
  if (fits && !partial) fits = check.end() === undefined;
  return { lines, gb18030: fits, share };
}

/**
 * The refusal of a file guessed to be GBK whose reading so is doubtful ({@link Gb2312Share}): the
 * first character outside GB2312 named as it would read, and both fixes, since rare names in a
 * real GBK list can make one.
 */
function doubtfulGbkError(field: string, share: Gb2312Share): ValidationError {
  const line = share.first?.line ?? 1;
  const total = share.gb2312 + share.beyond;
  return new ValidationError([
    {
      field: `${field}:${line}`,
      message: `line ${line} is not UTF-8, and read as GBK/GB18030 (a CSV saved by Excel in China) it would show "${share.firstRead()}": ${share.beyond} of the file's ${total} characters beyond ASCII would be rare ones outside GB2312, as when a file in another encoding (Latin-1/Windows-1252, Shift-JIS) is read as GBK, so it is not guessed to be GBK (nothing was enqueued). Fix: save the file as "CSV UTF-8" (Excel: Save As → CSV UTF-8); or, if it is GBK (names with rare characters such as 喆 or 堃), name it with ${mention('encoding', 'gb18030')}`,
    },
  ]);
}

/** Why a line in the other encoding is refused rather than read. */
const GARBLED = 'a file is read in one encoding, so this line would be garbled (nothing was enqueued)';

/** The fix for a file that mixes two encodings: naming one cannot help, its rows must be made one. */
const MIXED_FIX =
  'bring every row into one encoding, UTF-8: rows pasted in from another file keep that file\'s encoding, so save each list they came from as "CSV UTF-8" and join them again (naming an encoding cannot read a file that mixes two)';

const lineCount = (n: number) => `${n} line${n === 1 ? '' : 's'}`;

/** The refusal of a UTF-8 file at its first line that is not UTF-8. */
function notUtf8LineError(field: string, lines: LineEncodings): ValidationError {
  const line = lines.notUtf8.first as number;
  const utf8 = `${lineCount(lines.utf8.count)}, from line ${String(lines.utf8.first)}`;
  return new ValidationError([
    { field: `${field}:${line}`, message: `line ${line} holds bytes that are not valid UTF-8, though the file's Chinese text is UTF-8 (${utf8}): ${GARBLED}. Fix: ${MIXED_FIX}` },
  ]);
}

/** The refusal of a GBK file (recognised, or `named`) at its first UTF-8 line. */
function utf8LineError(field: string, lines: LineEncodings, named: boolean): ValidationError {
  const line = lines.utf8.first as number;
  const gbk = lines.notUtf8.count > 0 ? `${lineCount(lines.notUtf8.count)} ${lines.notUtf8.count === 1 ? 'is' : 'are'} GBK, from line ${String(lines.notUtf8.first)}` : undefined;
  const context = [named ? 'as named' : undefined, gbk].filter((part) => part !== undefined).join('; ');
  return new ValidationError([
    { field: `${field}:${line}`, message: `line ${line} is UTF-8 text in a file read as GBK/GB18030${context ? ` (${context})` : ''}: ${GARBLED}. Fix: ${MIXED_FIX}` },
  ]);
}

/** Bytes at the head of a file looked at for NULs. */
const NUL_WINDOW = 4096;

/** The refusal of a file with NUL bytes and no byte-order mark: UTF-16 to be named, or not text at all. */
/** The refusal of a file whose `head` holds NUL bytes: UTF-16 without a BOM, a binary file, or text with a stray NUL. */
function nulBytesError(field: string, head: Buffer): ValidationError {
  const utf16 = utf16ByNuls(head, head.length);
  if (utf16 !== undefined) {
    const message = `holds NUL bytes where ${utf16.toUpperCase()} text has them, without a byte-order mark (nothing was enqueued). Fix: name it with ${mention('encoding', utf16)}, or save the file as "CSV UTF-8"`;
    return new ValidationError([{ field, message }]);
  }
  const nuls = head.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
  if (nuls < head.length * UTF16_NUL_DENSITY) {
    // Text with a NUL or two: named at its line, as the reader numbers lines (CRLF and lone CR count as one).
    const before = head.subarray(0, head.indexOf(0)).toString('latin1');
    const line = before.split(/\r\n|\r|\n/).length;
    return new ValidationError([
      { field: `${field}:${line}`, message: `line ${line} holds a NUL byte, which no text list has (nothing was enqueued). Fix: remove it (a damaged export or a database field puts it there), or save the list again as "CSV UTF-8"` },
    ]);
  }
  return new ValidationError([
    { field, message: 'holds NUL bytes scattered as in a binary file: it is not a text list (nothing was enqueued). Fix: save the list from Excel or WPS as "CSV UTF-8" or "Excel Workbook (.xlsx)"' },
  ]);
}

/** The refusal of a file whose bytes are not valid in `encoding`. */
export function invalidBytesError(field: string, encoding: FileEncoding, line: number): ValidationError {
  return new ValidationError([
    { field: `${field}:${line}`, message: `line ${line} holds bytes that are not valid ${encoding.toUpperCase()} (nothing was enqueued). Fix: ${ENCODING_FIX}` },
  ]);
}

/**
 * Turns chunks of `encoding` into text for the CSV parser, a character split between two chunks
 * held back for the next. Invalid bytes become U+FFFD, which the row reader
 * refuses row by row: that only happens to a stream whose encoding was judged from its head.
 */
export function createTextDecoder(encoding: FileEncoding): { write(chunk: Buffer): string; end(): string } {
  if (encoding === 'utf-8') {
    // StringDecoder holds back a character split between two chunks; the BOM is dropped by the reader.
    const decoder = new StringDecoder('utf8');
    return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() };
  }
  const decoder = iconv.getDecoder(encoding, { stripBOM: true });
  return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() ?? '' };
}
