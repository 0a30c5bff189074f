/**
 * How much of a file read as GB18030 is plain GB2312, the evidence that a file guessed to be GBK
 * is GBK. A file that is not valid UTF-8 used to be read as GB18030 whenever its bytes were valid
 * GB18030, and GBK's second byte takes most of ASCII: Latin-1 "Müller" (M 0xFC l l e r) is the
 * valid GBK pair 0xFC 0x6C and went out as "M黮ler"; Shift-JIS "山田" is 0x8E 0x52 0x93 0x63,
 * two more GBK pairs. What Excel in China saves is GBK text, nearly all of it in GB2312 (the
 * common characters and symbols: first byte 0xA1–0xA9 or 0xB0–0xF7, second 0xA1–0xFE); what
 * bytes of another encoding make is nearly all outside it (a second byte under 0xA1 after one
 * accented letter, Shift-JIS's first bytes 0x81–0x9F). Rare characters of GBK's extension are in
 * real names (喆, 堃, 犇, 镕, 珺, 昇), a few in a list, so one is no evidence: a guessed reading is
 * doubtful when most of its characters beyond ASCII are outside GB2312
 * ({@link Gb2312Share.doubtful}).
 */
import iconv from 'iconv-lite';

export class Gb2312Share {
  /** Characters beyond ASCII in GB2312, and outside it (GBK's extension, GB18030's four-byte ones). */
  gb2312 = 0;
  beyond = 0;
  /** The first character outside GB2312: its 1-based line (CRLF and a lone CR end one line, as the reader numbers them), and its bytes. */
  first: { line: number; bytes: number[] } | undefined;
  private line = 1;
  private lastCr = false;
  /** The bytes of the character being read (its first byte, or the first ones of a four-byte one), cut off by a chunk's end. */
  private readonly bytes = [0, 0, 0, 0];
  private held = 0;

  /** Takes the next chunk of bytes already known to be valid GB18030. */
  write(chunk: Uint8Array): void {
    // A loop over bytes, not a decoding: a list of a million names costs no string or array per character.
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.held > 0) {
        this.bytes[this.held++] = b;
        // A second byte 0x30–0x39 makes a four-byte character (GB18030 beyond GBK).
        if (this.held === 2 && b >= 0x30 && b <= 0x39) continue;
        if (this.held === 3) continue;
        this.character();
        continue;
      }
      if (b < 0x80) {
        if (b === CR || (b === LF && !this.lastCr)) this.line++;
        this.lastCr = b === CR;
        continue;
      }
      this.lastCr = false;
      this.bytes[0] = b;
      this.held = 1;
      // Not GB18030 (code page 936 reads 0x80 as €): a character of its own.
      if (b === 0x80 || b === 0xff) this.character();
    }
  }

  /** Whether a reading guessed from the bytes is doubtful: most of its characters beyond ASCII lie outside GB2312. */
  get doubtful(): boolean {
    return this.beyond > this.gb2312;
  }

  /** The first character outside GB2312, as GB18030 reads it. */
  firstRead(): string {
    return this.first === undefined ? '' : iconv.decode(Buffer.from(this.first.bytes), 'gb18030');
  }

  private character(): void {
    const held = this.held;
    this.held = 0;
    const [lead, trail] = this.bytes as [number, number];
    if (held === 2 && ((lead >= 0xa1 && lead <= 0xa9) || (lead >= 0xb0 && lead <= 0xf7)) && trail >= 0xa1 && trail <= 0xfe) {
      this.gb2312++;
      return;
    }
    this.beyond++;
    this.first ??= { line: this.line, bytes: this.bytes.slice(0, held) };
  }
}

const LF = 0x0a;
const CR = 0x0d;
