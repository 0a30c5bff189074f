/**
 * Campaign recipients from an Excel workbook (.xlsx), read streaming with exceljs's
 * WorkbookReader: the zip is unpacked and the sheet's XML parsed as it is read, so rows are not
 * held in memory. What is held is the workbook's shared-strings table (Excel stores each distinct
 * text cell there once, and a sheet's cells point into it): a million distinct numbers stored as
 * text cost about that many strings; stored as numbers, nothing.
 */
import { Transform, type Readable } from 'node:stream';
import { ValidationError } from '../src/errors.js';
import { readError } from './recipient-file-errors.js';
import { RECIPIENT_CHUNKS, RECIPIENT_COLUMNS } from './recipient-source.js';
import { RecipientRows } from './recipient-rows.js';
import type { CsvRecipients } from './csv-recipients.js';
import type { CampaignRecipient } from './schemas.js';

export interface WorkbookOptions {
  /** The sheet to read; default the first. */
  sheet?: string;
  /** How messages name the file: `file` (default), `(body)`. */
  field?: string;
  /** How fixes name the choice of sheet: `--sheet` (default, the CLI's flag) or `?sheet=` (REST). */
  sheetOption?: '--sheet' | '?sheet=';
}

/**
 * A date cell as the sheet shows it: Excel's dates have no zone, and exceljs hands them over as
 * Dates whose UTC fields are the sheet's. `2026-12-04`, with the time when it has one
 * (`2026-12-04 10:30`, seconds when not zero); toISOString() made it 2026-12-04T10:30:00.000Z, a
 * UTC time the sheet never meant, and that is what went into the message.
 */
function sheetDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  const day = iso.slice(0, 10);
  const [hms, ms] = [iso.slice(11, 19), iso.slice(20, 23)];
  if (hms === '00:00:00' && ms === '000') return day;
  return `${day} ${hms.endsWith(':00') && ms === '000' ? hms.slice(0, 5) : hms}`;
}

/** One cell as text, whatever Excel stored in it. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return sheetDate(value);
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: unknown };
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText(v.result); // a formula: its last computed value
    if (v.text !== undefined) return cellText(v.text); // a hyperlink
    if (v.error !== undefined) return String(v.error);
  }
  return String(value);
}

/** numfmt's format(): a number as a format code shows it. */
type NumberFormatter = (numFmt: string, value: number) => string;

/** What rowsOf reads of an exceljs row beside its values: each cell's number format. */
interface FormattedRow {
  values: unknown;
  getCell(column: number): { numFmt?: unknown };
}

/**
 * Param cells holding a number with a number format of their own, as the sheet shows them
 * (numfmt, Excel's format codes): a discount cell shown 50% is stored 0.5, a price shown ¥9.90 is
 * 9.9, and the stored number is what went into the message. The number column keeps its digits
 * (a format with thousands separators would make a number no phone has); dates are read apart.
 */
function formatNumbers(row: FormattedRow, cells: string[], phoneAt: number | undefined, formatNumber: NumberFormatter): void {
  if (phoneAt === undefined) return; // the header row, or a list of numbers without one
  const values = Array.isArray(row.values) ? (row.values as unknown[]) : [];
  for (let i = 0; i < cells.length; i++) {
    const value = values[i + 1];
    if (i === phoneAt || typeof value !== 'number') continue;
    const numFmt = row.getCell(i + 1).numFmt;
    if (typeof numFmt !== 'string' || numFmt === '' || numFmt === 'General') continue;
    try {
      cells[i] = formatNumber(numFmt, value);
    } catch {
      // A format code numfmt cannot read: the stored number, as before.
    }
  }
}

/** Cells 1.. of an exceljs row's `values` (index 0 is unused), without the empty ones at the end. */
function cellsOf(values: unknown): string[] {
  const list = Array.isArray(values) ? values : [];
  let last = list.length - 1;
  while (last >= 1 && cellText(list[last]).trim() === '') last--;
  const cells = new Array<string>(Math.max(0, last));
  for (let i = 1; i <= last; i++) cells[i - 1] = cellText(list[i]);
  return cells;
}

/**
 * The parts of a workbook the reader holds whole in memory, and the most bytes of XML each may
 * inflate to: far above what a recipient list holds (a million distinct numbers stored as text are
 * 27 MB of shared strings; Excel's 64,000 cell formats about 10 MB of styles), far below what
 * kills a process. A few MB of zip can inflate to GBs: a 4.4 MB workbook whose shared strings
 * inflate to 4 GB ended a process with "JavaScript heap out of memory". Worksheets are streamed.
 */
const HELD_PARTS = [
  { method: '_parseSharedStrings', what: 'shared strings (the table of its text cells)', maxBytes: 128 * 1024 * 1024 },
  { method: '_parseStyles', what: 'styles', maxBytes: 32 * 1024 * 1024 },
  { method: '_parseWorkbook', what: 'workbook part (its list of sheets)', maxBytes: 32 * 1024 * 1024 },
  { method: '_parseRels', what: 'relationships', maxBytes: 32 * 1024 * 1024 },
] as const;

class PartTooLarge extends Error {
  constructor(
    readonly what: string,
    readonly maxBytes: number,
  ) {
    super(`its ${what} are over ${maxBytes / 1024 / 1024} MiB`);
  }
}

/**
 * Caps what exceljs's WorkbookReader reads of each part in {@link HELD_PARTS}: the entry of the zip
 * it is handed goes through a count that fails the read past the cap. These are methods of its
 * own (exceljs 4.4.0); a version without them reads as before.
 */
function capHeldParts(reader: object): void {
  const methods = reader as Record<string, unknown>;
  for (const part of HELD_PARTS) {
    const parse = methods[part.method];
    if (typeof parse !== 'function') continue;
    methods[part.method] = function (this: unknown, entry: Readable) {
      let bytes = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(bytes > part.maxBytes ? new PartTooLarge(part.what, part.maxBytes) : null, chunk);
        },
      });
      entry.on('error', (err) => counted.destroy(err));
      return (parse as (entry: Readable) => unknown).call(this, entry.pipe(counted));
    };
  }
}

/**
 * Has exceljs's WorkbookReader keep a sheet that comes before the workbook's sheet list
 * (xl/workbook.xml) for later, as it keeps one that comes before the shared strings: it parses a
 * sheet at once when the shared strings and the relationships are in, and a sheet parsed before
 * the list that names it failed ("Cannot read properties of undefined (reading 'sheets')"). Zip
 * writers order parts as they please: exceljs's own writer put the list after the sheets in 1 run
 * in 8 to 24. The relationships read as absent until the list is in (exceljs 4.4.0's fields).
 */
function deferSheetsUntilListed(reader: object): void {
  let rels: unknown;
  Object.defineProperty(reader, 'workbookRels', {
    configurable: true,
    get(this: { model?: unknown }) {
      return this.model === undefined ? undefined : rels;
    },
    set(value: unknown) {
      rels = value;
    },
  });
}

interface SheetReader {
  name: string;
  parse(): AsyncIterable<{ eventType: string; value: unknown }[]>;
}

/**
 * Reads campaign recipients from the first sheet of an .xlsx workbook (or `sheet`), with the same
 * header rules as CSV. A row's line is its row number in Excel. Throws ValidationError, before
 * yielding anything, for a file that is not a workbook, a sheet that is not there, or a header
 * that names no number column; and, at its end, for a sheet that held no row under its header,
 * naming the workbook's other sheets that hold rows (the list is often not on the first sheet).
 */
export function readRecipientsXlsx(source: string | Readable, opts: WorkbookOptions = {}): CsvRecipients {
  const rows = new RecipientRows(opts.field ?? 'file', { padShortRows: true });
  const chunks = xlsxRowChunks(source, opts, rows);
  async function* each(): AsyncGenerator<CampaignRecipient> {
    for await (const chunk of chunks) yield* chunk;
  }
  return Object.assign(each(), { [RECIPIENT_CHUNKS]: () => chunks, [RECIPIENT_COLUMNS]: () => rows.columns() });
}

async function* xlsxRowChunks(source: string | Readable, opts: WorkbookOptions, rows: RecipientRows): AsyncGenerator<CampaignRecipient[]> {
  const field = opts.field ?? 'file';
  const path = typeof source === 'string' ? source : undefined;
  // Loaded on the first workbook read, not with the package: exceljs is the heaviest module a
  // producer could load, and most producers never read a workbook (docs/benchmarks.md).
  const { default: ExcelJS } = await import('exceljs');
  const { format: formatNumber } = await import('numfmt');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache', // dates are told from numbers by their number format
    worksheets: 'emit',
    entries: 'ignore',
  });
  capHeldParts(reader);
  deferSheetsUntilListed(reader);
  const seen: string[] = [];
  /** The sheets not read that hold a row with something in it. */
  const withRows: string[] = [];
  let read: string | undefined;
  let recipients = 0;
  try {
    for await (const sheet of reader as AsyncIterable<unknown> as AsyncIterable<SheetReader>) {
      const wanted = read === undefined && (opts.sheet === undefined || sheet.name === opts.sheet);
      seen.push(sheet.name);
      let hasRows = false;
      // A sheet that is not read is still parsed through: the zip is one stream.
      for await (const events of sheet.parse()) {
        if (wanted) {
          const out = rowsOf(events, rows, field, formatNumber);
          recipients += out.length;
          yield out;
        } else if (!hasRows) hasRows = events.some((e) => e.eventType === 'row' && cellsOf((e.value as { values: unknown }).values).length > 0);
      }
      if (wanted) read = sheet.name;
      else if (hasRows) withRows.push(sheet.name);
    }
  } catch (err) {
    if (err instanceof PartTooLarge) {
      throw new ValidationError([
        {
          field,
          message: `${path ?? 'the upload'} holds more text than any recipient list: ${err.message} once unpacked, more than is read into memory (nothing was enqueued). Fix: copy the sheet with the list into a new workbook, or save it as "CSV UTF-8" (read as it streams)`,
        },
      ]);
    }
    const read = readError(err, path, field);
    if (read !== err || err instanceof ValidationError) throw read;
    throw new ValidationError([
      {
        field,
        message: `${path ?? 'the upload'} could not be read as an .xlsx workbook (${(err as Error).message}). Fix: save it from Excel as "Excel Workbook (.xlsx)", or as "CSV UTF-8"`,
      },
    ]);
  }
  if (read === undefined) {
    const option = opts.sheetOption ?? '--sheet';
    const message = seen.length
      ? `has no sheet named "${opts.sheet}" (its sheets: ${seen.join(', ')}). Fix: ${option} with one of those names`
      : 'holds no worksheet. Fix: save the list from Excel as "Excel Workbook (.xlsx)", or as "CSV UTF-8"';
    throw new ValidationError([{ field: opts.sheet === undefined ? field : option === '?sheet=' ? 'sheet' : '--sheet', message }]);
  }
  if (recipients === 0) throw noRowError(read, opts, rows.headerPending, withRows);
}

/** The refusal of a sheet with no row under its header, pointing at the sheets that have rows. */
function noRowError(sheet: string, opts: WorkbookOptions, empty: boolean, withRows: readonly string[]): ValidationError {
  const which = `sheet "${sheet}"${opts.sheet === undefined ? ' (the first)' : ''}`;
  const what = `${which} holds no recipient: it ${empty ? 'is empty' : 'has only a header'} (nothing was enqueued)`;
  const option = opts.sheetOption ?? '--sheet';
  const pick = (name: string) => (option === '?sheet=' ? `?sheet=${encodeURIComponent(name)}` : `--sheet ${JSON.stringify(name)}`);
  let message: string;
  if (withRows.length === 0) message = `${what}. Fix: one row per recipient under ${empty ? 'a header naming the phone column (phone, mobile, 手机号, ...)' : 'the header'}`;
  else {
    const others = withRows.map((n) => JSON.stringify(n)).join(', ');
    const fix = withRows.length === 1 ? pick(withRows[0] as string) : `${option} with the one that holds the list (${pick(withRows[0] as string)})`;
    message = `${what}. The workbook's other sheets with rows: ${others}. Fix: ${fix}`;
  }
  return new ValidationError([{ field: opts.field ?? 'file', message }]);
}

/** A column's letters, as Excel names it (1 → A, 27 → AA). */
function columnName(index: number): string {
  let name = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/**
 * A text cell stored in the shared-strings table that the reader did not resolve: exceljs 4.4.0
 * misses the table when it is the last part of the zip, and hands the cell over as its index
 * ({ sharedString: 0 }), which read as "[object Object]" and went into messages as a param.
 */
function unresolvedColumn(values: unknown): number | undefined {
  if (!Array.isArray(values)) return undefined;
  const at = values.findIndex((v: unknown) => v !== null && typeof v === 'object' && 'sharedString' in v);
  return at >= 1 ? at : undefined;
}

function rowsOf(events: readonly { eventType: string; value: unknown }[], rows: RecipientRows, field: string, formatNumber: NumberFormatter): CampaignRecipient[] {
  const out: CampaignRecipient[] = [];
  for (const event of events) {
    if (event.eventType !== 'row') continue;
    const row = event.value as { number: number; values: unknown };
    const unresolved = unresolvedColumn(row.values);
    if (unresolved !== undefined) {
      throw new ValidationError([
        {
          field: `${field}:${row.number}`,
          message: `column ${columnName(unresolved)} holds text the workbook's table of text cells does not give (the file is damaged, or written with its parts in an order this reader misses; nothing was enqueued). Fix: open it in Excel and save it again as "Excel Workbook (.xlsx)", or save it as "CSV UTF-8"`,
        },
      ]);
    }
    const cells = cellsOf(row.values);
    formatNumbers(row as unknown as FormattedRow, cells, rows.phoneColumn(), formatNumber);
    const recipient = rows.row(cells, row.number);
    if (recipient !== undefined) out.push(recipient);
  }
  return out;
}
