/**
 * A CSV header that names no phone column in the encoding the caller named, read again in the
 * others: a UTF-8 file named `--encoding utf-16le` showed its header as "桰湯ⱥ慮敭…" and was
 * refused for naming no phone column, which said nothing of the cause. When the file's first bytes
 * are valid in another encoding and its header then names the phone column, the refusal says so and
 * names the encoding to give (or to leave out, when smsq recognises that one by itself), in the
 * words the caller named it with: an upload's charset is not its `?encoding=`.
 */
import { ValidationError } from '../src/errors.js';
import { mention } from '../src/setting-mention.js';
import { BLANK_LINE, phoneColumnOf } from './csv-separator.js';
import { looksLikeNumber, type HeaderWithoutPhoneError } from './recipient-header.js';
import { quoteExcerpt } from './text-excerpt.js';
import type { FileEncoding } from './encoding-names.js';
import { createTextDecoder, EncodingCheck } from './text-encoding.js';

/** Tried in this order: what smsq recognises without a name first (UTF-8, then GBK), then UTF-16. */
const CANDIDATES: readonly FileEncoding[] = ['utf-8', 'gb18030', 'utf-16le', 'utf-16be'];

/** Encodings settleEncoding recognises from a file's bytes alone (UTF-16 needs a BOM or a name). */
const RECOGNISED: ReadonlySet<FileEncoding> = new Set(['utf-8', 'gb18030']);

const SHOWN: Record<FileEncoding, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', gb18030: 'GBK/GB18030' };

/**
 * What the first non-blank line of `head` is when read in `encoding`: the header, naming its phone
 * column, or the first number of a list without one; undefined when its bytes do not fit or it is
 * neither.
 */
function firstLineReadIn(head: Buffer, encoding: FileEncoding): string | undefined {
  const check = new EncodingCheck(encoding, false);
  // The head may end inside a character: only a bad byte before that counts.
  if (!check.write(head)) return undefined;
  const text = createTextDecoder(encoding).write(head).replace(/^\uFEFF/, '');
  const line = text.split(/\r\n|\r|\n/).find((l) => !BLANK_LINE.test(l));
  if (line === undefined) return undefined;
  const column = phoneColumnOf(line)?.column;
  if (column !== undefined) return `its header then names the phone column ${quoteExcerpt(column)}`;
  return looksLikeNumber(line.trim()) ? 'a list of numbers without a header' : undefined;
}

/** How the caller named the encoding: a setting (`encoding`, each surface's own way), or the charset of an upload's Content-Type. */
export type EncodingNamedBy = 'setting' | 'charset';

/** The named encoding, and the fix, in the words of the way it was named. */
function namedAndFix(named: FileEncoding, other: FileEncoding, by: EncodingNamedBy): { named: string; fix: string } {
  if (by === 'charset') {
    const fix = RECOGNISED.has(other) ? `leave the charset out of Content-Type or give \`charset=${other}\`` : `give \`charset=${other}\` in Content-Type`;
    return { named: `\`charset=${named}\` (of Content-Type)`, fix };
  }
  const fix = RECOGNISED.has(other) ? `leave ${mention('encoding')} out or give ${mention('encoding', other)}` : `give ${mention('encoding', other)}`;
  return { named: mention('encoding', named), fix };
}

/**
 * The refusal of `err` (a header naming no phone column in `named`) with the encoding the file
 * reads as, when `head` (its first bytes) reads as another whose first line is a header naming the
 * phone column, or a number; undefined when none does (the header is wrong, not its encoding).
 * The header is quoted as `err` quotes it: a few characters, none hiding digits (text-excerpt.ts).
 */
export function headerEncodingHint(err: HeaderWithoutPhoneError, head: Buffer, named: FileEncoding, by: EncodingNamedBy = 'setting'): ValidationError | undefined {
  for (const other of CANDIDATES) {
    if (other === named) continue;
    const reads = firstLineReadIn(head, other);
    if (reads === undefined) continue;
    const said = namedAndFix(named, other, by);
    const field = err.issues[0]?.field ?? 'file';
    return new ValidationError([
      {
        field,
        message: `${err.problem} read as ${SHOWN[named]}, but the file reads as ${SHOWN[other]} (${reads}); ${said.named} is likely wrong. Fix: ${said.fix}`,
      },
    ]);
  }
  return undefined;
}
