/**
 * A campaign's recipient file by its path: `.xlsx` workbooks are read with the workbook reader,
 * anything else as CSV (or a plain list of numbers). The one entry point for the CLI.
 */
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { ValidationError } from '../src/errors.js';
import { mention } from '../src/setting-mention.js';
import { readRecipientsCsv, type CsvRecipients } from './csv-recipients.js';
import type { FileEncoding } from './encoding-names.js';
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

/**
 * Whether `path` names a stream that can be read only once (a named pipe, `/dev/stdin`, a shell's
 * `<(...)`), not a file: a file is checked whole before its rows are read, which reads it twice.
 */
export function isPipePath(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFIFO() || stat.isCharacterDevice() || stat.isSocket();
  } catch {
    return false; // a missing file is the reader's to refuse, with its fix
  }
}

/** The bytes of a pipe, opened on the first read (opening a pipe waits for its writer). */
async function* pipeBytes(path: string): AsyncGenerator<Buffer> {
  yield* createReadStream(path) as AsyncIterable<Buffer>;
}

export function readRecipientsFile(path: string, opts: RecipientFileOptions = {}): CsvRecipients {
  const field = opts.field ?? 'file';
  const ext = extname(path).toLowerCase();
  if (ext === '.xls' || ext === '.et' || ext === '.numbers') {
    throw new ValidationError([{ field, message: `${ext} files cannot be read. Fix: save the list as "Excel Workbook (.xlsx)" or "CSV UTF-8"` }]);
  }
  if (isWorkbookPath(path)) {
    if (opts.encoding !== undefined) throw new ValidationError([{ field: 'encoding', message: `applies to CSV files only (a workbook holds its own encoding). Fix: drop ${mention('encoding')}` }]);
    return readRecipientsXlsx(path, { sheet: opts.sheet, field });
  }
  if (opts.sheet !== undefined) throw new ValidationError([{ field: 'sheet', message: `applies to .xlsx workbooks only. Fix: drop ${mention('sheet')}, or give the .xlsx file` }]);
  // A pipe is read as a stream, once: its encoding judged from its first bytes.
  return readRecipientsCsv(isPipePath(path) ? Readable.from(pipeBytes(path), { objectMode: false }) : path, { encoding: opts.encoding, field });
}
