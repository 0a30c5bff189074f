/**
 * How a CSV header line is split: the separators a recipient file may use, and which of them
 * splits a header into a phone column and others. The file reader picks its separator so, and a
 * header read in a wrong encoding is judged the same way in the others (header-encoding-hint.ts).
 */
import Papa from 'papaparse';
import { phoneColumnIn } from './recipient-header.js';

/** How Papa Parse reads smsq's CSV: LF line ends (a CR before one is dropped, see csv-recipients.ts), RFC 4180 quotes; commas unless the header says otherwise. */
export const PAPA_CONFIG = { delimiter: ',', newline: '\n', quoteChar: '"' } as const;

/** Separators a file may use, in the order they are tried on its header. */
export const SEPARATORS = [',', '\t', ';'] as const;
export type Separator = (typeof SEPARATORS)[number];
export const SEPARATOR_NAMES: Record<Separator, string> = { ',': 'comma', '\t': 'tab', ';': 'semicolon' };

/** A line with nothing in it but separators and spaces: a blank row, not the header. */
export const BLANK_LINE = /^[\s,;]*$/;

/**
 * The first of comma, tab and semicolon that splits `header` into a phone column and others, with
 * that column's name as written; undefined when none does. Excel saves "CSV" with semicolons where
 * the comma is the decimal mark (most of Europe), and its "Unicode text" with tabs.
 */
export function phoneColumnOf(header: string): { separator: Separator; column: string } | undefined {
  for (const separator of SEPARATORS) {
    const cells = (new Papa.Parser({ ...PAPA_CONFIG, delimiter: separator, preview: 1 }).parse(header, 0, false) as { data: string[][] }).data[0] ?? [];
    const column = phoneColumnIn(cells);
    if (column !== undefined) return { separator, column };
  }
  return undefined;
}

/**
 * The separator of a file whose first non-blank line is `header` (commas for a list without a
 * header, numbers alone): read with commas, a semicolon or tab header was one name and the file
 * was refused for naming no phone column. A header longer than `maxChars` is not split.
 */
export function separatorOf(header: string, maxChars: number): Separator {
  if (header.length > maxChars) return ',';
  return phoneColumnOf(header)?.separator ?? ',';
}
