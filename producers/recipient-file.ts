/**
 * A campaign's recipient file by its path: `.xlsx` workbooks are read with the workbook reader,
 * anything else as CSV (or a plain list of numbers). The one entry point for the CLI.
 */
import { extname } from 'node:path';
import { ValidationError } from '../src/errors.js';
import { readRecipientsCsv, type CsvRecipients } from './csv-recipients.js';
import type { FileEncoding } from './text-encoding.js';
import { readRecipientsXlsx } from './xlsx-recipients.js';

export interface RecipientFileOptions {
  /** A CSV file's encoding; default: recognised from its bytes. Not for workbooks. */
  encoding?: FileEncoding;
  /** A workbook's sheet; default the first. Not for CSV. */
  sheet?: string;
  /** How messages name the file: `file` (default). */
  field?: string;
}

/** Whether `path` names a workbook. */
export function isWorkbookPath(path: string): boolean {
  return extname(path).toLowerCase() === '.xlsx';
}

export function readRecipientsFile(path: string, opts: RecipientFileOptions = {}): CsvRecipients {
  const field = opts.field ?? 'file';
  const ext = extname(path).toLowerCase();
  if (ext === '.xls' || ext === '.et' || ext === '.numbers') {
    throw new ValidationError([{ field, message: `${ext} files cannot be read. Fix: save the list as "Excel Workbook (.xlsx)" or "CSV UTF-8"` }]);
  }
  if (isWorkbookPath(path)) {
    if (opts.encoding !== undefined) throw new ValidationError([{ field: '--encoding', message: 'applies to CSV files only (a workbook holds its own encoding). Fix: drop --encoding' }]);
    return readRecipientsXlsx(path, { sheet: opts.sheet, field });
  }
  if (opts.sheet !== undefined) throw new ValidationError([{ field: '--sheet', message: 'applies to .xlsx workbooks only. Fix: drop --sheet, or give the .xlsx file' }]);
  return readRecipientsCsv(path, { encoding: opts.encoding, field });
}
