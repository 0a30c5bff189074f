/**
 * Lines out of a byte stream, decoded one at a time as they are asked for. It replaces
 * `node:readline` for campaign files: readline decodes a whole chunk and queues every line of it
 * (tens of thousands for a 1 MB chunk) before the first is read, and those queued strings outlive
 * young-generation collections; here only the chunk's bytes wait, and each line becomes a string
 * when the reader gets to it.
 *
 * Line ends are `\n`, `\r\n` and a lone `\r` (as readline with `crlfDelay: Infinity`). Lines are
 * split on bytes, which is safe for UTF-8 (a multi-byte character never contains the bytes of `\n`
 * or `\r`), and a line is decoded only once it is whole, so a character split across two chunks is
 * decoded intact. Invalid UTF-8 becomes U+FFFD, as with any `utf8` decoding in Node.
 */

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export class LineSplitter {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Bytes of a line begun in earlier chunks (no line end yet). */
  private carry: Buffer[] = [];
  /** The last chunk ended with `\r`: a `\n` at the start of the next one belongs to it. */
  private skipLF = false;

  /** Hands over the next chunk; call it only after {@link next} has returned undefined. */
  push(chunk: Buffer | string): void {
    if (this.pos < this.buf.length) throw new Error('LineSplitter.push before the previous chunk was read');
    this.buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.pos = 0;
  }

  /** The next whole line (without its line end), or undefined when the chunk holds no more. */
  next(): string | undefined {
    const buf = this.buf;
    const len = buf.length;
    let i = this.pos;
    if (this.skipLF && i < len) {
      this.skipLF = false;
      if (buf[i] === LF) i++;
    }
    let j = i;
    let b = 0;
    while (j < len) {
      b = buf[j] as number;
      if (b === LF || b === CR) break;
      j++;
    }
    if (j === len) {
      // No line end: keep the rest for the next chunk.
      if (j > i) this.carry.push(Buffer.from(buf.subarray(i, j)));
      this.buf = EMPTY;
      this.pos = 0;
      return undefined;
    }
    const line = this.carry.length === 0 ? buf.toString('utf8', i, j) : this.joined(buf.subarray(i, j));
    if (b === CR) {
      if (j + 1 < len) this.pos = buf[j + 1] === LF ? j + 2 : j + 1;
      else {
        this.pos = j + 1;
        this.skipLF = true;
      }
    } else this.pos = j + 1;
    return line;
  }

  /** At the end of the input: the last line when it had no line end, else undefined. */
  end(): string | undefined {
    if (this.carry.length === 0) return undefined;
    return this.joined(EMPTY);
  }

  private joined(tail: Buffer): string {
    const parts = this.carry;
    this.carry = [];
    if (tail.length > 0) parts.push(tail);
    return Buffer.concat(parts).toString('utf8');
  }
}
