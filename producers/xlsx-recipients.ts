/**
 * Campaign recipients from an Excel workbook (.xlsx): its parts opened through the zip's
 * directory (workbook-zip.ts), each parsed with exceljs's streaming parsers, the sheet's XML as it
 * is inflated, so rows are not held in memory. What is held is the workbook's shared-strings
 * table (Excel stores each distinct text cell there once, and a sheet's cells point into it): a
 * million distinct numbers stored as text cost about that many strings; stored as numbers,
 * nothing. A workbook given as a stream is held whole, compressed (its directory is at its end).
 */
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { ValidationError } from '../src/errors.js';
import { readError } from './recipient-file-errors.js';
import { RECIPIENT_CHUNKS, RECIPIENT_COLUMNS } from './recipient-source.js';
import { RecipientRows, type CellFault } from './recipient-rows.js';
import { HeaderWithoutPhoneError } from './recipient-header.js';
import { mention, quoted } from '../src/setting-mention.js';
import type { CsvRecipients } from './csv-recipients.js';
import type { CampaignRecipient } from './schemas.js';
import type { WorkbookZip } from './workbook-zip.js';
import { plainTextRuns } from './xlsx-text-runs.js';

export interface WorkbookOptions {
  /** The sheet to read; default the first. */
  sheet?: string;
  /** How messages name the file: `file` (default), `(body)`. */
  field?: string;
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

/**
 * What makes a cell hold nothing a message can show: an error value, a formula whose value the
 * file does not store. Read as text they went out as "#N/A" and "[object Object]"; the row is
 * rejected instead, naming the column ({@link RecipientRows.row}).
 */
type ValueFault = Pick<CellFault, 'problem' | 'fix'> & {
  /** What the rejected row's input shows of the cell, when it is the number column's (default: nothing). */
  shown?: string;
};

/** What a cell of a row holds, once read: a value to show, or a fault. */
type CellValue = string | number | boolean | Date | ValueFault;

const isFault = (value: CellValue): value is ValueFault => typeof value === 'object' && !(value instanceof Date);

const NO_STORED_VALUE: ValueFault = {
  problem: 'holds a formula with no stored value (the workbook was saved by a program that does not compute formulas), so there is no text to send',
  fix: 'open the workbook in Excel or WPS and save it, which stores each formula\'s value, or paste the column as values',
};
const ERROR_RESULT: ValueFault = {
  problem: 'holds a formula whose result is an error value (#N/A, #DIV/0!, #VALUE!, ...), which the message would show',
  fix: 'correct the formula or the cells it reads, save the workbook again, or remove the row',
};
const NOT_A_VALUE: ValueFault = { problem: 'holds something that is not text, a number or a date', fix: 'type the value again in the cell, save the workbook again, or remove the row' };
/** A number with decimals where the phone number is: it was read as one of 12 digits ("has 11 digits, got 12"). */
const NOT_WHOLE: ValueFault = {
  problem: 'holds a number with decimals, not a whole number: a phone number has digits only',
  fix: 'correct the cell (format the column as Text in Excel before typing numbers, so that they stay as typed)',
};

/**
 * One cell as exceljs's streaming reader (4.4.0) gives it, `result` the formula's stored value as
 * the cell keeps it (`cell.result`): the row's `values` drop a result that is falsy (0, "", and
 * NaN, which is how the reader leaves an error result such as #DIV/0!), so a formula read from
 * them alone could not tell 0 from no value at all. A shared formula's other cells come as
 * `{ formula: "", result }`; a hyperlink as `{ text, hyperlink }`; rich text as its runs.
 */
function cellValue(value: unknown, result?: unknown): CellValue {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value !== 'object') return NOT_A_VALUE;
  const v = value as { richText?: unknown; text?: unknown; result?: unknown; error?: unknown; formula?: unknown; sharedFormula?: unknown };
  if (Array.isArray(v.richText)) return v.richText.map((run: { text?: unknown }) => (typeof run.text === 'string' ? run.text : '')).join('');
  if ('formula' in v || 'sharedFormula' in v || 'result' in v) {
    const stored = result ?? v.result;
    if (stored === undefined || stored === null) return NO_STORED_VALUE;
    if (typeof stored === 'number' && Number.isNaN(stored)) return ERROR_RESULT;
    if (typeof stored === 'object' && !(stored instanceof Date)) return 'error' in stored ? ERROR_RESULT : NOT_A_VALUE;
    return cellValue(stored);
  }
  if (v.error !== undefined) {
    const error = String(v.error);
    return { problem: `holds the error value ${error}, not text: the message would show "${error}"`, fix: 'correct the cell (or the formula it was copied from) and save the workbook again, or remove the row' };
  }
  if (v.text !== undefined) return cellValue(v.text); // a hyperlink: its text, itself text or rich text
  return NOT_A_VALUE;
}

/** One cell as text, whatever Excel stored in it; a fault as nothing. */
export function cellText(value: unknown): string {
  return valueText(cellValue(value));
}

function valueText(value: CellValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return sheetDate(value);
  return '';
}

/** What the reader takes of numfmt: a number as a format code shows it, and whether a code is a date's. */
interface NumberFormats {
  format(numFmt: string, value: number): string;
  isDateFormat(numFmt: string): boolean;
}

/** What rowsOf reads of an exceljs row: its values, and each cell's number format and formula result. */
interface SheetRow {
  number: number;
  values: unknown;
  getCell(column: number): { numFmt?: unknown; result?: unknown };
}

/** Days from Excel's epoch (1899-12-30, or 1904-01-01 in a workbook that says so) to 1970-01-01. */
const EPOCH_DAYS = 25569;
const EPOCH_1904_DAYS = 1462;

/**
 * A row's cells as text, and its cells that hold no text to send. Param cells holding a number
 * with a number format of their own read as the sheet shows them (numfmt, Excel's format codes):
 * a discount cell shown 50% is stored 0.5, a price shown ¥9.90 is 9.9, and the stored number is
 * what went into the message. A formula's number under a date format is a date, read as a date
 * cell is (exceljs makes Dates of date cells only). The number column keeps its digits (a format
 * with thousands separators would make a number no phone has), and a number with decimals there
 * is a fault, not a number of 12 digits.
 */
function readRow(row: SheetRow, phoneAt: number | undefined, formats: NumberFormats, date1904: boolean): { cells: string[]; faults: CellFault[] } {
  const list = Array.isArray(row.values) ? (row.values as unknown[]) : [];
  const values: CellValue[] = [];
  for (let i = 1; i < list.length; i++) {
    const raw = list[i];
    const formula = raw !== null && typeof raw === 'object' && ('formula' in raw || 'sharedFormula' in raw);
    let value = cellValue(raw, formula ? row.getCell(i).result : undefined);
    if (typeof value === 'number') value = formatted(value, i - 1, row.getCell(i).numFmt, { phoneAt, formula, formats, date1904 });
    values.push(value);
  }
  let last = values.length - 1;
  for (; last >= 0; last--) {
    const value = values[last] as CellValue;
    if (isFault(value) || valueText(value).trim() !== '') break;
  }
  const cells: string[] = [];
  const faults: CellFault[] = [];
  for (let i = 0; i <= last; i++) {
    const value = values[i] as CellValue;
    if (isFault(value)) {
      faults.push({ problem: value.problem, fix: value.fix, at: i, column: columnName(i + 1) });
      cells.push(value.shown ?? '');
    } else cells.push(valueText(value));
  }
  return { cells, faults };
}

function formatted(value: number, at: number, numFmt: unknown, how: { phoneAt: number | undefined; formula: boolean; formats: NumberFormats; date1904: boolean }): CellValue {
  if (at === how.phoneAt) return Number.isInteger(value) ? value : { ...NOT_WHOLE, shown: String(value) };
  if (how.phoneAt === undefined || typeof numFmt !== 'string' || numFmt === '' || numFmt === 'General') return value;
  try {
    if (how.formula && how.formats.isDateFormat(numFmt)) return new Date(Math.round((value - EPOCH_DAYS + (how.date1904 ? EPOCH_1904_DAYS : 0)) * 86_400_000));
    return how.formats.format(numFmt, value);
  } catch {
    // A format code numfmt cannot read: the stored number, as before.
    return value;
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

interface SheetReader {
  name: string;
  parse(): AsyncIterable<{ eventType: string; value: unknown }[]>;
}

/** What exceljs's WorkbookReader (4.4.0) reads each part with, and what it keeps of them. */
interface WorkbookParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Iterable<{ eventType: string; value: SheetReader }>;
  workbookRels?: { Id: string; Type?: string; Target: string }[];
  model?: { sheets?: { name: string; rId: string; state?: string }[] };
}

/** A relationship's target as a part name: relative to the workbook part's folder, or absolute. */
function targetPart(target: string): string {
  return target.startsWith('/') ? target.slice(1) : posix.normalize(`xl/${target}`);
}

/** A sheet of the workbook, parsed when asked. */
interface ListedSheet {
  name: string;
  /** A tab Excel does not show (`hidden`, `veryHidden`): not "the first sheet", though `sheet` may name it. */
  hidden: boolean;
  open(): Promise<SheetReader>;
}

/** A worksheet's relationship type (a chart sheet's or a dialog sheet's holds no rows). */
const WORKSHEET_TYPE = /\/worksheet$/;

/**
 * The workbook's sheets in its own order (the tabs as Excel shows them): the sheet list, the
 * shared strings and the styles are read first, whatever their place in the zip, each with
 * exceljs's parser for it (its own loop reads parts in the zip's stored order). Worksheets only: a
 * chart sheet, or a sheet listed without its part, is left out.
 */
async function listSheets(reader: object, zip: WorkbookZip): Promise<ListedSheet[]> {
  const parts = reader as WorkbookParts;
  const read = async (name: string, parse: (entry: Readable) => Promise<void>) => {
    if (zip.has(name)) await parse.call(parts, await zip.open(name));
  };
  await read('xl/_rels/workbook.xml.rels', parts._parseRels);
  await read('xl/workbook.xml', parts._parseWorkbook);
  await read('xl/sharedStrings.xml', async (entry) => {
    for await (const _ of parts._parseSharedStrings.call(parts, plainTextRuns(entry))); // 'cache': kept on the reader
  });
  await read('xl/styles.xml', parts._parseStyles);
  const sheets: ListedSheet[] = [];
  for (const listed of parts.model?.sheets ?? []) {
    const rel = parts.workbookRels?.find((r) => r.Id === listed.rId);
    // A chart sheet listed first was "the first sheet", and the list on the next tab was refused.
    if (rel === undefined || (rel.Type !== undefined && !WORKSHEET_TYPE.test(rel.Type))) continue;
    const part = targetPart(rel.Target);
    if (!zip.has(part)) continue;
    sheets.push({
      name: listed.name,
      hidden: listed.state === 'hidden' || listed.state === 'veryHidden',
      async open() {
        const entry = await zip.open(part);
        const [made] = parts._parseWorksheet.call(parts, plainTextRuns(entry), /(\d+)\.xml$/.exec(part)?.[1] ?? part);
        if (made === undefined) throw new Error(`sheet ${quoted(listed.name)} could not be opened`);
        made.value.name = listed.name;
        return made.value;
      },
    });
  }
  return sheets;
}

/** Whether a sheet holds a row with something in it. */
async function hasRows(sheet: SheetReader): Promise<boolean> {
  for await (const events of sheet.parse()) {
    if (events.some((e) => e.eventType === 'row' && cellsOf((e.value as { values: unknown }).values).length > 0)) return true;
  }
  return false;
}

/**
 * Reads campaign recipients from the first sheet (tab) of an .xlsx workbook (or `sheet`), with the same
 * header rules as CSV. A row's line is its row number in Excel. Throws ValidationError, before
 * yielding anything, for a file that is not a workbook, a sheet that is not there, or a header
 * that names no number column; and, at its end, for a sheet that held no row under its header,
 * naming the workbook's other sheets that hold rows (the list is often not on the first sheet).
 */
export function readRecipientsXlsx(source: string | Buffer | Readable, opts: WorkbookOptions = {}): CsvRecipients {
  const rows = new RecipientRows(opts.field ?? 'file', { padShortRows: true });
  const chunks = xlsxRowChunks(source, opts, rows);
  async function* each(): AsyncGenerator<CampaignRecipient> {
    for await (const chunk of chunks) yield* chunk;
  }
  return Object.assign(each(), { [RECIPIENT_CHUNKS]: () => chunks, [RECIPIENT_COLUMNS]: () => rows.columns() });
}

async function* xlsxRowChunks(source: string | Buffer | Readable, opts: WorkbookOptions, rows: RecipientRows): AsyncGenerator<CampaignRecipient[]> {
  const field = opts.field ?? 'file';
  const path = typeof source === 'string' ? source : undefined;
  // Loaded on the first workbook read, not with the package: exceljs is the heaviest module a
  // producer could load, and most producers never read a workbook (docs/benchmarks.md); its
  // companions with it.
  const { default: ExcelJS } = await import('exceljs');
  const formats: NumberFormats = await import('numfmt');
  const { openWorkbookZip } = await import('./workbook-zip.js');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(undefined as unknown as Readable, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache', // dates are told from numbers by their number format
    worksheets: 'emit',
    entries: 'ignore',
  });
  capHeldParts(reader);
  let sheets: ListedSheet[] = [];
  let wanted: ListedSheet | undefined;
  let recipients = 0;
  /** The other sheets that hold a row with something in it, when the one read holds none. */
  const withRows: string[] = [];
  const zip = await openWorkbookZip(source).catch((err: unknown) => {
    throw workbookError(err, path, field);
  });
  try {
    sheets = await listSheets(reader, zip);
    wanted = opts.sheet === undefined ? (sheets.find((sheet) => !sheet.hidden) ?? sheets[0]) : sheets.find((sheet) => sheet.name === opts.sheet);
    if (wanted !== undefined) {
      const sheet = wanted;
      const othersWithRows = async () => {
        for (const other of sheets) if (other !== sheet && (await hasRows(await other.open()))) withRows.push(other.name);
        return withRows;
      };
      try {
        for await (const events of (await wanted.open()).parse()) {
          const out = rowsOf(events, rows, field, formats, date1904Of(reader));
          recipients += out.length;
          yield out;
        }
      } catch (err) {
        // A first row that is a note ("see the next sheet"), not the list's header: the list is
        // often on another sheet, as with an empty first sheet.
        if (err instanceof HeaderWithoutPhoneError) throw withOtherSheets(err, sheet.name, opts, await othersWithRows());
        throw err;
      }
      if (recipients === 0) await othersWithRows();
    }
  } catch (err) {
    throw workbookError(err, path, field);
  } finally {
    zip.close();
  }
  if (wanted === undefined) {
    const message = sheets.length
      ? `has no sheet named ${quoted(opts.sheet ?? '')} (its sheets: ${sheets.map((sheet) => quoted(sheet.name)).join(', ')}). Fix: name one of those in ${mention('sheet')}`
      : 'holds no worksheet. Fix: save the list from Excel as "Excel Workbook (.xlsx)", or as "CSV UTF-8"';
    throw new ValidationError([{ field: opts.sheet === undefined ? field : 'sheet', message }]);
  }
  if (recipients === 0) throw noRowError(wanted.name, opts, rows.headerPending, withRows);
}

/** The workbook as a refusal names it: its path as given, quoted (the caller's text), or the upload, which has no name. */
function fileNamed(path: string | undefined): string {
  return path === undefined ? 'the upload' : quoted(path);
}

/** A failed read of the workbook as the refusal it is: too large a part, an unreadable file, or not a workbook. */
function workbookError(err: unknown, path: string | undefined, field: string): unknown {
  if (err instanceof PartTooLarge) {
    return new ValidationError([
      {
        field,
        message: `${fileNamed(path)} holds more text than any recipient list: ${err.message} once unpacked, more than is read into memory (nothing was enqueued). Fix: copy the sheet with the list into a new workbook, or save it as "CSV UTF-8" (read as it streams)`,
      },
    ]);
  }
  const read = readError(err, path, field);
  if (read !== err || err instanceof ValidationError) return read;
  return new ValidationError([
    {
      field,
      message: `${fileNamed(path)} could not be read as an .xlsx workbook (${(err as Error).message}). Fix: save it from Excel as "Excel Workbook (.xlsx)", or as "CSV UTF-8"`,
    },
  ]);
}

/** The workbook's other sheets that hold rows, and the fix that picks one ({@link mention}: each caller names `sheet` its own way). */
function otherSheetsHint(withRows: readonly string[]): { others: string; fix: string } {
  const others = `The workbook's other sheets with rows: ${withRows.map(quoted).join(', ')}`;
  const first = mention('sheet', withRows[0]);
  return { others, fix: withRows.length === 1 ? first : `name the one that holds the list in ${mention('sheet')} (${first})` };
}

/** The refusal of a sheet with no row under its header, pointing at the sheets that have rows. */
function noRowError(sheet: string, opts: WorkbookOptions, empty: boolean, withRows: readonly string[]): ValidationError {
  const which = `sheet ${quoted(sheet)}${opts.sheet === undefined ? ' (the first)' : ''}`;
  const what = `${which} holds no recipient: it ${empty ? 'is empty' : 'has only a header'} (nothing was enqueued)`;
  let message: string;
  if (withRows.length === 0) message = `${what}. Fix: one row per recipient under ${empty ? 'a header naming the phone column (phone, mobile, 手机号, ...)' : 'the header'}`;
  else {
    const { others, fix } = otherSheetsHint(withRows);
    message = `${what}. ${others}. Fix: ${fix}`;
  }
  return new ValidationError([{ field: opts.field ?? 'file', message }]);
}

/** A header that names no phone column, with the sheets that may hold the list instead (none: as it was). */
function withOtherSheets(err: HeaderWithoutPhoneError, sheet: string, opts: WorkbookOptions, withRows: readonly string[]): ValidationError {
  if (withRows.length === 0) return err;
  const { others, fix } = otherSheetsHint(withRows);
  const which = `sheet ${quoted(sheet)}${opts.sheet === undefined ? ' (the first)' : ''}`;
  return new ValidationError([{ field: err.issues[0]?.field ?? opts.field ?? 'file', message: `${err.problem} on ${which}. ${others}. Fix: ${fix} if the list is there; or ${err.fix}` }]);
}

/** A column's letters, as Excel names it (1 → A, 27 → AA). */
function columnName(index: number): string {
  let name = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/**
 * A text cell that points into a shared-strings table the workbook does not have (a damaged
 * file): exceljs hands it over as its index ({ sharedString: 0 }), which read as "[object Object]"
 * and went into messages as a param.
 */
function unresolvedColumn(values: unknown): number | undefined {
  if (!Array.isArray(values)) return undefined;
  const at = values.findIndex((v: unknown) => v !== null && typeof v === 'object' && 'sharedString' in v);
  return at >= 1 ? at : undefined;
}

/** Whether the workbook counts its dates from 1904 (old Mac Excel), as exceljs's reader has read its workbook part. */
function date1904Of(reader: object): boolean {
  return (reader as { properties?: { model?: { date1904?: unknown } } }).properties?.model?.date1904 === true;
}

function rowsOf(events: readonly { eventType: string; value: unknown }[], rows: RecipientRows, field: string, formats: NumberFormats, date1904: boolean): CampaignRecipient[] {
  const out: CampaignRecipient[] = [];
  for (const event of events) {
    if (event.eventType !== 'row') continue;
    const row = event.value as SheetRow;
    const unresolved = unresolvedColumn(row.values);
    if (unresolved !== undefined) {
      throw new ValidationError([
        {
          field: `${field}:${row.number}`,
          message: `column ${columnName(unresolved)} holds text the workbook's table of text cells does not give (the file is damaged, or written with its parts in an order this reader misses; nothing was enqueued). Fix: open it in Excel and save it again as "Excel Workbook (.xlsx)", or save it as "CSV UTF-8"`,
        },
      ]);
    }
    // The number column once the header has named it; a list without a header has its numbers first.
    const phoneAt = rows.headerPending ? undefined : (rows.phoneColumn() ?? 0);
    const { cells, faults } = readRow(row, phoneAt, formats, date1904);
    const recipient = rows.row(cells, row.number, faults);
    if (recipient !== undefined) out.push(recipient);
  }
  return out;
}
