/**
 * The records of CSV text that holds no quote character. Without quotes, RFC 4180 leaves nothing
 * to interpret: each line is a record and its commas split the fields (only a quoted field may
 * hold a comma, a quote or a line break). This yields what csv-parse yields for such text with
 * the options of csv-recipients.ts (line breaks CRLF, LF or CR, mixed; a blank line is a record of
 * one empty field; no record after a final line break; a BOM is the decoder's to drop), which
 * test/unit/unquoted-csv.test.ts checks on random input, in a fraction of csv-parse's time
 * (docs/benchmarks.md, "Figures behind the code"). A list of numbers exported from a spreadsheet
 * is such text; anything with a quote goes to csv-parse.
 *
 * Text is written a piece at a time and its records are read before the next piece, one at a
 * time (nothing is split ahead of the reader); a line cut by the end of a piece (or a CR that may
 * be the first half of a CRLF) waits for the next piece.
 */
export class UnquotedRecords {
  /** The piece being read, with the end of the previous one before it. */
  private text = '';
  private at = 0;
  private ended = false;
  /** A line was too long: the rest of the text is not read. */
  stopped = false;

  /**
   * @param maxRecordLength longest line taken (characters); at a longer one `onTooLong` is
   *   called, and nothing after it is read.
   */
  constructor(
    private readonly maxRecordLength: number,
    private readonly onTooLong: () => void,
  ) {}

  /** Takes the next piece of text; read its records with {@link records} before the next write. */
  write(piece: string): void {
    this.text = this.text.slice(this.at) + piece;
    this.at = 0;
  }

  /** The end of the text: {@link records} then also yields a last line without a line break. */
  end(): void {
    this.ended = true;
  }

  /** The fields of each complete line written so far. */
  *records(): Generator<string[]> {
    const text = this.text;
    let lf = text.indexOf('\n', this.at);
    let cr = text.indexOf('\r', this.at);
    while (!this.stopped) {
      const at = this.at;
      if (lf >= 0 && lf < at) lf = text.indexOf('\n', at);
      if (cr >= 0 && cr < at) cr = text.indexOf('\r', at);
      let end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      // A CR at the very end may be the first half of a CRLF: wait for the next piece, unless this is the end.
      if (end === cr && end === text.length - 1 && !this.ended) end = -1;
      if (end < 0) {
        if (!this.ended || at >= text.length) {
          if (text.length - at > this.maxRecordLength) this.tooLong();
          return;
        }
        end = text.length; // the last line, without a line break
      }
      this.at = end === cr && lf === end + 1 ? end + 2 : end + 1;
      if (end - at > this.maxRecordLength) return this.tooLong();
      const line = text.slice(at, end);
      yield line.includes(',') ? line.split(',') : [line];
    }
  }

  private tooLong(): void {
    this.stopped = true;
    this.text = '';
    this.at = 0;
    this.onTooLong();
  }
}
