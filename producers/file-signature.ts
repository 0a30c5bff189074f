/**
 * What the first bytes of a recipient file say it is when it is not text: a workbook or an archive
 * saved under a `.csv` name, a PDF, an image; or, for text with NUL bytes, which UTF-16 it is.
 * Without this, any file holding a NUL byte was refused as "UTF-16 without a byte-order mark",
 * which sent the owner of a renamed .xlsx file to `--encoding utf-16le`.
 */
import { mention } from '../src/setting-mention.js';

/** A kind of file told by its leading bytes ("magic number"), and what to do with it instead. */
interface FileSignature {
  bytes: readonly number[];
  what: string;
  fix: string;
}

// The file as each caller says it is a workbook: its name's extension, or an upload's Content-Type (src/setting-mention.ts).
const XLSX_FIX = `if it is an Excel workbook, give it as one: ${mention('file', 'list.xlsx')}; otherwise save the list as "CSV UTF-8"`;
const SAVE_FIX = 'save the list from Excel or WPS as "CSV UTF-8" or "Excel Workbook (.xlsx)"';

const SIGNATURES: readonly FileSignature[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an .xlsx workbook is one)', fix: XLSX_FIX },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'an Excel 97-2003 (.xls) workbook or another old Office file', fix: SAVE_FIX },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive', fix: 'unpack it (gunzip) and give the CSV inside' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document', fix: SAVE_FIX },
  // All eight bytes: GBK text can begin with 0x89 0x50 ("塒P") followed by "NG".
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: 'a PNG image', fix: SAVE_FIX },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image', fix: SAVE_FIX },
];

/** What a file that is not text turned out to be, and the fix. */
export interface NotText {
  what: string;
  fix: string;
}

/** Whether `head` begins with `bytes`. */
export function beginsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  return bytes.length <= head.length && bytes.every((b, i) => head[i] === b);
}

/**
 * What `head` (the first bytes of a file) is, when its leading bytes name a kind of file that is not
 * text. `textOnlyReader`: the name of a reader that takes no workbooks (`send-batch`'s CSV), which
 * cannot follow the fix that names the workbook reader of campaigns.
 */
export function notTextSignature(head: Uint8Array, textOnlyReader?: string): NotText | undefined {
  const found = SIGNATURES.find((s) => beginsWith(head, s.bytes));
  if (!found) return undefined;
  if (textOnlyReader !== undefined && found.fix === XLSX_FIX) {
    return { what: found.what, fix: `${textOnlyReader} reads CSV or JSON, not workbooks: save the sheet from Excel or WPS as "CSV UTF-8", or give the messages as JSON` };
  }
  return { what: found.what, fix: found.fix };
}

/** Share of a head's NUL bytes that must fall on one side for it to be read as UTF-16. */
const UTF16_NUL_SHARE = 0.9;

/**
 * Share of a head's bytes that must be NULs for it to be read as UTF-16: its Latin characters
 * (digits, commas, line breaks) are half NULs, so a list of numbers is near half, a header of
 * Chinese names with its commas about a sixth. A stray NUL in UTF-8 text (a damaged export) falls
 * on one side too, and was read as UTF-16 without a byte-order mark.
 */
export const UTF16_NUL_DENSITY = 1 / 16;

/**
 * Which UTF-16 `head` is written in, judged from where its NUL bytes fall: in UTF-16 text the NULs
 * are the high bytes of Latin characters (digits, commas, line breaks), at odd offsets in
 * little-endian and at even ones in big-endian. Chinese characters such as 一 (U+4E00) put a NUL
 * on the other side, so it is a share ({@link UTF16_NUL_SHARE}), not all; NULs spread over both
 * sides, or too few ({@link UTF16_NUL_DENSITY}), mean not UTF-16. Only the first `window` bytes are looked at.
 */
export function utf16ByNuls(head: Uint8Array, window = 4096): 'utf-16le' | 'utf-16be' | undefined {
  let even = 0;
  let odd = 0;
  const end = Math.min(head.length, window);
  for (let i = 0; i < end; i++) {
    if (head[i] !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  const total = even + odd;
  if (total === 0 || total < end * UTF16_NUL_DENSITY) return undefined;
  if (odd >= total * UTF16_NUL_SHARE) return 'utf-16le';
  if (even >= total * UTF16_NUL_SHARE) return 'utf-16be';
  return undefined;
}
