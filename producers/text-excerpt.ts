/**
 * What an error may quote of a recipient file's text (a header, a column name): a short excerpt,
 * its digit runs masked, and nothing that hides digits. Read in a wrong encoding, a file's text is
 * not what it holds: a UTF-8 list read as UTF-16LE has no line break, so its "header" was the whole
 * file, 44,676 characters of `桰湯ⱥ慮敭ㄊ㤳〰…` that re-encoded as UTF-16LE gave back every number
 * (each character is two of the file's bytes, `㤳` is "39"). Masking the digits of the text misses
 * those; the bound, and cutting the excerpt where its bytes turn into digits, do not.
 */
import { createRequire } from 'node:module';
import type IconvLite from 'iconv-lite';
import type { FileEncoding } from './encoding-names.js';
import { quoted } from '../src/setting-mention.js';

// Loaded on first use: this module quotes refused entries of every send (entries-refusal.ts), and
// a command that reads no file (`smsq sends`, a send) must not load the decoders
// (cli-module-loading.test.ts). Only text read from a file in another encoding needs it, and the
// reader of that file has loaded it already.
const requireHere = createRequire(import.meta.url);
let iconv: typeof IconvLite | undefined;

/** Longest excerpt of a file's text quoted in an error, in characters: enough to recognise a header by. */
export const EXCERPT_CHARS = 40;

/**
 * Digits in a row, in the bytes under the excerpt, from which it is cut: a masked number shows
 * seven (`138****8000`), and no header name a person writes has this many where no digit shows.
 */
const HIDDEN_DIGITS = 5;

/** What may stand between the digits of a number as people write it (138 0013-8000). */
const BETWEEN_DIGITS = /^[ \-.]$/;

/** Runs of seven digits or more, in any script (full-width １３８, Arabic-Indic ١٣٨), spaces and dashes between them allowed. */
const DIGIT_RUN = /\p{Nd}(?:[ \-.]?\p{Nd}){6,}/gu;
const DIGIT = /\p{Nd}/u;

/** `text` with each run of seven or more digits masked as a number is (`138****8000`), whatever its script. */
export function maskDigitRuns(text: string): string {
  return text.replace(DIGIT_RUN, (run) => {
    const digits = [...run].filter((c) => DIGIT.test(c));
    return digits.length < 8 ? '****' : `${digits.slice(0, 3).join('')}****${digits.slice(-4).join('')}`;
  });
}

/** The bytes of one character in `encoding`, as the file held them. */
function bytesOf(char: string, encoding: FileEncoding): Uint8Array {
  if (encoding === 'utf-8') return Buffer.from(char, 'utf8');
  iconv ??= requireHere('iconv-lite') as typeof IconvLite;
  return iconv.encode(char, encoding);
}

/**
 * How many of `chars` come before the first run of {@link HIDDEN_DIGITS} digit bytes that some
 * character which is not itself a digit helps make (NUL bytes skipped: a UTF-16 file read in the
 * other byte order puts one between its digits). `chars.length` when there is none.
 */
function beforeHiddenDigits(chars: readonly string[], encoding: FileEncoding): number {
  let run = 0;
  let runStart = 0;
  let hidden = false;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    const shows = DIGIT.test(char) || BETWEEN_DIGITS.test(char);
    for (const byte of bytesOf(char, encoding)) {
      if (byte === 0) continue;
      const digit = byte >= 0x30 && byte <= 0x39;
      if (digit || (run > 0 && (byte === 0x20 || byte === 0x2d || byte === 0x2e))) {
        if (run === 0) {
          runStart = i;
          hidden = false;
        }
        if (digit) run++;
        hidden ||= !shows;
        if (run >= HIDDEN_DIGITS && hidden) return runStart;
      } else {
        run = 0;
      }
    }
  }
  return chars.length;
}

/**
 * `text` as an error quotes it, in double quotes: at most `maxChars` characters, cut before any
 * that hide digits in the bytes they were read from (`readAs`, when known), digit runs masked;
 * when cut, with `…` and the whole length (`"桰湯ⱥ慮敭…" (44,676 characters)`, or, `withLength`
 * false, without it for the caller to add).
 */
export function quoteExcerpt(text: string, opts: { readAs?: FileEncoding | undefined; maxChars?: number; withLength?: boolean } = {}): string {
  const { excerpt, cut } = excerptOf(text, opts);
  const shown = quoted(cut ? `${excerpt}…` : excerpt);
  return cut && opts.withLength !== false ? `${shown} (${text.length.toLocaleString('en-US')} characters)` : shown;
}

/** The start of `text` an error may show, masked, and whether that is less than all of it. */
export function excerptOf(text: string, { readAs, maxChars = EXCERPT_CHARS }: { readAs?: FileEncoding | undefined; maxChars?: number } = {}): { excerpt: string; cut: boolean } {
  const chars: string[] = [];
  // One past the bound: whether the excerpt stops inside a run of digits.
  for (const char of text) {
    chars.push(char);
    if (chars.length > maxChars) break;
  }
  const shown = Math.min(maxChars, readAs === undefined ? chars.length : beforeHiddenDigits(chars, readAs));
  let kept = chars.slice(0, shown).join('');
  const next = chars[shown];
  // A run cut by the bound would show its first digits in clear, too few to be masked.
  if (next !== undefined && (DIGIT.test(next) || BETWEEN_DIGITS.test(next))) kept = kept.replace(TRAILING_DIGITS, '');
  return { excerpt: maskDigitRuns(kept), cut: kept.length < text.length };
}

const TRAILING_DIGITS = /[\p{Nd} \-.]+$/u;
