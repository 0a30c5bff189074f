/**
 * What each line of a file that is not all UTF-8 says about its encoding: the evidence that tells
 * a GBK file from one that mixes UTF-8 and GBK lines (rows pasted or appended from a file saved
 * the other way). Judged on the file as a whole, such a file is not valid UTF-8, but its UTF-8
 * bytes are valid GB18030 too: read as GBK, every UTF-8 name became mojibake (张三 → 寮犱笁) and
 * was sent as such.
 *
 * A line is counted as UTF-8 when its bytes are valid UTF-8 and read as Chinese: at least one CJK
 * ideograph, and no character outside ASCII, CJK and their punctuation. GBK text is valid UTF-8
 * by chance often (郑伟 is "֣ΰ", 16% of one-character names), but nearly always as two-byte
 * characters (Latin, Greek, Cyrillic...), which the rule leaves out; reading as Chinese by chance
 * takes rare characters on both sides (杞岪 is "轍@"): measured on random GBK names, 0 in a million
 * made of GB2312's first level, under 1 in 10,000 with 3% GBK extension characters
 * (docs/benchmarks.md).
 */
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

/** Lines of one kind: how many, and the first (1-based). */
export interface LineCount {
  count: number;
  first: number | undefined;
}

/** A character that is none of ASCII, CJK ideographs, CJK or general punctuation, full-width forms. */
// eslint-disable-next-line no-control-regex -- the ASCII range, controls included
const NOT_CHINESE_TEXT = /[^\x00-\x7f\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;
const IDEOGRAPH = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
const REPLACEMENT = '\uFFFD';

/**
 * Counts a file's UTF-8 Chinese lines and its lines that are not UTF-8, chunk by chunk (a line or
 * a character may be split between chunks), then {@link end}. The bytes are decoded as UTF-8 once
 * (natively, a bad sequence becoming U+FFFD) and the text is walked with indexOf: no line is copied
 * or held, so the cost per line is a few searches and memory does not grow with a line's length.
 * U+FFFD in the file itself counts as not UTF-8: it is what an earlier wrong conversion left, not
 * text to send. Lines end at LF, CRLF, or a lone CR when that is how the file's first line ends
 * (old Mac exports), and are numbered as the CSV reader numbers them.
 */
export class LineEncodings {
  readonly utf8: LineCount = { count: 0, first: undefined };
  readonly notUtf8: LineCount = { count: 0, first: undefined };
  private readonly decoder = new StringDecoder('utf8');
  /** Line breaks seen, of each kind: which ones end lines is known at the file's first break. */
  private lfs = 0;
  private crs = 0;
  private breaks: 'lf' | 'cr' | undefined;
  /** The file's first break was a CR at the end of a chunk: whether a LF follows is in the next. */
  private crAtEnd = false;
  /** What the current line held so far. */
  private bad = false;
  private ideograph = false;
  private other = false;
  /** Where the current line starts, in breaks of each kind (its number once the kind is known). */
  private startLfs = 0;
  private startCrs = 0;
  /** The first line, found before the file's kind of line break was known. */
  private found: { kind: 'utf8' | 'not-utf8'; lfs: number; crs: number } | undefined;

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // Most chunks of a GBK file hold Chinese; an ASCII one only moves the line count on.
    if (isAscii(chunk) && !this.bad && !this.ideograph && !this.other) {
      const text = this.decoder.write(chunk); // a character held back from the last chunk, if any
      if (text.length === chunk.length) {
        this.countBreaks(chunk);
        return;
      }
      this.walk(text);
      return;
    }
    this.walk(this.decoder.write(chunk));
  }

  /** Call at the end of the input. `partial`: the input is the head of a stream, its last line cut. */
  end(partial = false): void {
    if (!partial) this.walk(this.decoder.end());
    if (this.crAtEnd) this.breaks = 'cr';
    if (!partial) this.endLine();
    this.breaks ??= 'lf';
    this.flush();
  }

  private walk(text: string): void {
    if (text.length === 0) return;
    if (this.crAtEnd) {
      this.breaks = text.charCodeAt(0) === LF ? 'lf' : 'cr';
      this.crAtEnd = false;
    }
    let at = 0;
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    let bad = text.indexOf(REPLACEMENT);
    for (;;) {
      const brk = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      const end = brk < 0 ? text.length : brk;
      if (bad >= 0 && bad < end) {
        this.bad = true;
        bad = text.indexOf(REPLACEMENT, end);
      } else if (!this.bad && end > at) {
        const piece = text.slice(at, end);
        if (!this.ideograph && IDEOGRAPH.test(piece)) this.ideograph = true;
        if (!this.other && NOT_CHINESE_TEXT.test(piece)) this.other = true;
      }
      if (brk < 0) return;
      this.endLine();
      if (brk === lf) {
        this.lfs++;
        this.breaks ??= 'lf';
        lf = text.indexOf('\n', brk + 1);
      } else {
        this.crs++;
        if (this.breaks === undefined) {
          if (brk + 1 < text.length) this.breaks = text.charCodeAt(brk + 1) === LF ? 'lf' : 'cr';
          else this.crAtEnd = true;
        }
        cr = text.indexOf('\r', brk + 1);
      }
      at = brk + 1;
      this.startLfs = this.lfs;
      this.startCrs = this.crs;
    }
  }

  private countBreaks(chunk: Buffer): void {
    if (this.crAtEnd) {
      this.breaks = chunk[0] === LF ? 'lf' : 'cr';
      this.crAtEnd = false;
    }
    const firstLf = chunk.indexOf(LF);
    const firstCr = chunk.indexOf(CR);
    if (this.breaks === undefined && (firstLf >= 0 || firstCr >= 0)) {
      if (firstCr < 0 || (firstLf >= 0 && firstLf < firstCr)) this.breaks = 'lf';
      else if (firstCr + 1 < chunk.length) this.breaks = chunk[firstCr + 1] === LF ? 'lf' : 'cr';
      else this.crAtEnd = true;
    }
    for (let i = firstLf; i >= 0; i = chunk.indexOf(LF, i + 1)) this.lfs++;
    for (let i = firstCr; i >= 0; i = chunk.indexOf(CR, i + 1)) this.crs++;
    this.startLfs = this.lfs;
    this.startCrs = this.crs;
  }

  private endLine(): void {
    const kind = this.bad ? 'not-utf8' : this.ideograph && !this.other ? 'utf8' : undefined;
    this.bad = this.ideograph = this.other = false;
    if (kind === undefined) return;
    if (this.breaks === undefined) this.found = { kind, lfs: this.startLfs, crs: this.startCrs };
    else {
      this.flush();
      this.note(kind, this.lineAt(this.startLfs, this.startCrs));
    }
  }

  private flush(): void {
    if (this.found === undefined) return;
    this.note(this.found.kind, this.lineAt(this.found.lfs, this.found.crs));
    this.found = undefined;
  }

  /** The number of the line after `lfs` LFs and `crs` CRs (in a file of lone CRs, as the CSV reader, both end lines). */
  private lineAt(lfs: number, crs: number): number {
    return 1 + (this.breaks === 'cr' ? crs + lfs : lfs);
  }

  private note(kind: 'utf8' | 'not-utf8', line: number): void {
    const count = kind === 'utf8' ? this.utf8 : this.notUtf8;
    count.count++;
    count.first ??= line;
  }
}

const LF = 0x0a;
const CR = 0x0d;
