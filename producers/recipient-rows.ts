/**
 * Rows of a recipient file (cells already split, by the CSV parser or the workbook reader) into
 * recipients: the first non-blank row is the header ({@link readRecipientHeader}), blank rows are
 * skipped, and a row that cannot be read becomes a recipient with `error`, so it is rejected with
 * its line and reason while the rest goes ahead.
 */
import { quotedNames, readRecipientHeader, type RecipientHeader } from './recipient-header.js';
import type { FileColumns } from './recipient-source.js';
import type { CampaignRecipient } from './schemas.js';
import type { FileEncoding } from './encoding-names.js';
import { ValidationError } from '../src/errors.js';

/**
 * A cell a workbook's reader found holding no text to send (an error value, a formula with no
 * stored value): its place, what it holds and the fix. The row is rejected naming it.
 */
export interface CellFault {
  /** 0-based, as in the row's cells. */
  at: number;
  /** The column as the file names it (`B`). */
  column: string;
  /** What it holds, said after the column: `holds the error value #N/A, ...`. */
  problem: string;
  fix: string;
}

/** A row of a CSV list, or of a workbook whose cells all hold text: one array for all (rows are read a million at a time). */
const NO_FAULTS: readonly CellFault[] = Object.freeze([]);

/** Longest cell kept as the `input` of a rejected row. */
const INPUT_SHOWN = 32;

export class RecipientRows {
  private header: RecipientHeader | undefined;
  private headerRead = false;
  private headerField = '';

  /**
   * @param field how messages name the file (`file`, `(body)`).
   * @param opts.padShortRows a row with fewer cells than the header has empty ones at its end (a
   *   workbook does not store empty cells); in CSV a short row is a mistake.
   */
  constructor(
    private readonly field: string,
    private readonly opts: { padShortRows?: boolean } = {},
  ) {}

  /** The separator of a CSV file's values, and its name, for the fix of a row with too many fields. */
  private separator = ',';
  separatorName = 'comma';

  useSeparator(separator: string, name: string): void {
    this.separator = separator;
    this.separatorName = name;
  }

  /** The encoding a text file is read in, once known: what its header's quote is judged by (text-excerpt.ts). */
  encoding: FileEncoding | undefined;

  /** Whether the next non-blank row is the header (or the first number of a list without one). */
  get headerPending(): boolean {
    return !this.headerRead;
  }

  /** The number column's index, once a header naming it has been read; undefined before, and for a list without a header. */
  phoneColumn(): number | undefined {
    return this.header?.phoneAt;
  }

  /**
   * The header's param columns, once the first row has been read (undefined before); none for a
   * list without a header, which its template's variables are checked against all the same: every
   * row of such a list lacked them, and each was refused on its own.
   */
  columns(): FileColumns | undefined {
    if (!this.headerRead) return undefined;
    const header = this.header;
    if (header === undefined) return { params: [], field: this.headerField, headerless: true };
    return { params: header.names.filter((_, i) => i !== header.phoneAt), field: this.headerField, phone: header.names[header.phoneAt] };
  }

  /**
   * The recipient on `cells` (read from line `line`), or undefined for the header and blank rows.
   * `faults`: its cells that hold no text to send; a row with one is rejected naming the first, and
   * a first row with one (the header) refuses the file.
   */
  row(cells: readonly string[], line: number, faults: readonly CellFault[] = NO_FAULTS): CampaignRecipient | undefined {
    const fault = faults[0];
    if (fault === undefined && isBlank(cells)) return undefined;
    if (!this.headerRead && fault !== undefined) {
      // The row that names the columns, or the first number of a list without a header: either way no list to read.
      throw new ValidationError([{ field: `${this.field}:${line}`, message: `column ${fault.column} of the first row ${fault.problem} (nothing was enqueued). Fix: ${fault.fix}` }]);
    }
    if (!this.headerRead) {
      this.headerRead = true;
      this.headerField = `${this.field}:${line}`;
      this.header = readRecipientHeader(cells, this.headerField, this.encoding);
      if (this.header !== undefined) return undefined;
    }
    const header = this.header;
    if (header === undefined) {
      if (fault !== undefined) return { phone: shown(cells[0]), line, error: `column ${fault.column} ${fault.problem}. Fix: ${fault.fix}` };
      // A list of numbers alone, the common case.
      if (cells.length === 1) return new NumberRow((cells[0] as string).trim(), line);
      return { phone: shown(cells[0]), line, error: `expected 1 field (a list without a header), found ${cells.length}. Fix: one number per line, or a header naming the columns` };
    }
    if (this.opts.padShortRows && cells.length < header.names.length) {
      const padded = [...cells];
      while (padded.length < header.names.length) padded.push('');
      cells = padded;
    }
    if (cells.length !== header.names.length) {
      const columns = quotedNames(header.names, this.encoding);
      return {
        phone: shown(cells[header.phoneAt] ?? cells[0]),
        line,
        error: `expected ${header.names.length} fields (${columns}), found ${cells.length}. Fix: ${
          cells.length < header.names.length
            ? `give the row a value for each column (${columns}): the missing ones at its end, after a ${this.separatorName} each; an empty value is two ${this.separatorName}s side by side`
            : `quote values that hold a ${this.separatorName}${this.separator === '\t' ? '' : ` ("a${this.separator}b")`}`
        }`,
      };
    }
    const phone = (cells[header.phoneAt] as string).trim();
    if (fault !== undefined) return { phone: shown(phone), line, error: `column ${fault.column} (${quotedNames([header.names[fault.at] ?? ''])}) ${fault.problem}. Fix: ${fault.fix}` };
    if (cells.length === 1) return new NumberRow(phone, line);
    const params: Record<string, string> = {};
    for (let i = 0; i < cells.length; i++) if (i !== header.phoneAt) params[header.names[i] as string] = cells[i] as string;
    return { phone, params, line };
  }
}

/**
 * A row that is a number alone (most rows of a campaign list), made by a constructor rather than
 * an object literal. V8 tracks a literal's allocation site and, once most of its objects outlive a
 * scavenge, allocates the site's later objects in the old generation, where they wait for a full
 * collection: in about half of the 1M-recipient campaign runs that took a million rows there, the
 * producer's heap to 63-85 MB and its peak RSS to 157-174 MB instead of 125-135
 * (docs/benchmarks.md, "Session 22: producer memory"). Objects made by `new` are not tracked so.
 */
export class NumberRow implements CampaignRecipient {
  constructor(
    public phone: string,
    public line: number,
  ) {}
}

function isBlank(cells: readonly string[]): boolean {
  for (const c of cells) if (c.trim() !== '') return false;
  return true;
}


function shown(cell: string | undefined): string {
  return (cell ?? '').trim().slice(0, INPUT_SHOWN);
}
