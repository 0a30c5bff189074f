/**
 * The encodings a recipient file may be in and the names they go by: what `--encoding` and
 * `?encoding=` accept. Apart from their decoding (text-encoding.ts), so that a command's flags and
 * a route's schema name them without loading a decoder.
 */
import { ValidationError } from '../src/errors.js';
import { mention, quoted } from '../src/setting-mention.js';

/** Encodings a recipient file may be in (GBK files are read as GB18030, its superset). */
export const FILE_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'gb18030'] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

/** Names people use for them (lower case, as accepted by `--encoding` and `?encoding=`). */
export const FILE_ENCODING_NAMES: Readonly<Record<string, FileEncoding>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'utf-8-sig': 'utf-8',
  'utf-16le': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16': 'utf-16le',
  'utf-16be': 'utf-16be',
  utf16be: 'utf-16be',
  gb18030: 'gb18030',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  cp936: 'gb18030',
};

/** The names accepted for an encoding, for messages. */
export const ENCODING_CHOICES = 'utf-8, utf-16le, utf-16be, gb18030 (or gbk)';

/**
 * The fix named when a file's bytes do not fit: how to say what the file really is. The setting is a
 * mention (src/setting-mention.ts): the CLI shows it as `--encoding`, an upload as `?encoding=`.
 * Here, not with the decoder: the producer's checks of a recipient's params name it too, and a
 * command that opens a producer to read sends must not load the decoding stack (iconv-lite).
 */
export const ENCODING_FIX = `save the file as "CSV UTF-8" (Excel: Save As → CSV UTF-8), or name its encoding with ${mention('encoding')}, one of ${ENCODING_CHOICES}`;

/** The encoding named `name`; throws ValidationError on `field` for an unknown name. */
/** The refusal of an encoding name no reader knows, the name quoted as the caller gave it. */
export function unknownEncoding(name: string): string {
  return `unknown encoding ${quoted(name)}. Fix: one of ${ENCODING_CHOICES}`;
}

export function parseEncodingName(name: string, field: string): FileEncoding {
  const encoding = FILE_ENCODING_NAMES[name.trim().toLowerCase()];
  if (encoding === undefined) throw new ValidationError([{ field, message: unknownEncoding(name) }]);
  return encoding;
}
