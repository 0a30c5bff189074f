/**
 * A CSV header that names no phone column in the encoding the caller named, read again in the
 * others: a UTF-8 file named `--encoding utf-16le` showed its header as "桰湯ⱥ慮敭…" and was
 * refused for naming no phone column, which said nothing of the cause. When the file's first bytes
 * are valid in another encoding and its header then names the phone column, the refusal says so and
 * names the encoding to give (or to leave out, when smsq recognises that one by itself).
 */
import { ValidationError } from '../src/errors.js';
import { mention } from '../src/setting-mention.js';
import { BLANK_LINE, phoneColumnOf } from './csv-separator.js';
import type { HeaderWithoutPhoneError } from './recipient-header.js';
import type { FileEncoding } from './encoding-names.js';
import { createTextDecoder, EncodingCheck } from './text-encoding.js';

/** Tried in this order: what smsq recognises without a name first (UTF-8, then GBK), then UTF-16. */
const CANDIDATES: readonly FileEncoding[] = ['utf-8', 'gb18030', 'utf-16le', 'utf-16be'];

/** Encodings settleEncoding recognises from a file's bytes alone (UTF-16 needs a BOM or a name). */
const RECOGNISED: ReadonlySet<FileEncoding> = new Set(['utf-8', 'gb18030']);

const SHOWN: Record<FileEncoding, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', gb18030: 'GBK/GB18030' };

/** The phone column the first non-blank line of `head` names when read in `encoding`; undefined when its bytes do not fit or it names none. */
function phoneColumnReadIn(head: Buffer, encoding: FileEncoding): string | undefined {
  const check = new EncodingCheck(encoding, false);
  // The head may end inside a character: only a bad byte before that counts.
  if (!check.write(head)) return undefined;
  const text = createTextDecoder(encoding).write(head).replace(/^\uFEFF/, '');
  const line = text.split(/\r\n|\r|\n/).find((l) => !BLANK_LINE.test(l));
  return line === undefined ? undefined : phoneColumnOf(line)?.column;
}

/**
 * The refusal of `err` (a header naming no phone column in `named`) with the encoding the file
 * reads as, when `head` (its first bytes) reads as another whose header names the phone column;
 * undefined when none does (the header is wrong, not its encoding).
 */
export function headerEncodingHint(err: HeaderWithoutPhoneError, head: Buffer, named: FileEncoding): ValidationError | undefined {
  for (const other of CANDIDATES) {
    if (other === named) continue;
    const column = phoneColumnReadIn(head, other);
    if (column === undefined) continue;
    const fix = RECOGNISED.has(other) ? `leave ${mention('encoding')} out or give ${mention('encoding', other)}` : `give ${mention('encoding', other)}`;
    const field = err.issues[0]?.field ?? 'file';
    return new ValidationError([
      {
        field,
        message: `${err.problem} read as ${SHOWN[named]}, but the file reads as ${SHOWN[other]} (its header then names the phone column ${JSON.stringify(column)}); ${mention('encoding', named)} is likely wrong. Fix: ${fix}`,
      },
    ]);
  }
  return undefined;
}
