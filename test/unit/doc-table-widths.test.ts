/**
 * The tables the pages' transcripts show are laid out as smsq lays them out (cli/format.ts): every
 * column starts (or, right-aligned, ends) where its header does, in terminal columns (a CJK
 * character is two). The examples check squeezes runs of spaces before it compares, so a table
 * printed before a column's values grew (times gained " +08:00") still passed, its values running
 * past their headers (an operator trial of docs/cli.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../../cli/format.js';
import { extractBlocks } from '../support/doc-examples/extract.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

interface Cell {
  start: number;
  end: number;
}

/** The cells of a line cut at runs of two or more spaces, by terminal column. */
function cellsOf(line: string): Cell[] {
  const cells: Cell[] = [];
  for (const m of line.matchAll(/\S+(?: \S+)*/g)) {
    const start = displayWidth(line.slice(0, m.index));
    cells.push({ start, end: start + displayWidth(m[0]) });
  }
  return cells;
}

/**
 * The tables of a transcript: runs of two or more lines of three or more cells (a `...` line
 * skipped), under a header, a first line without digits (a watch's lines and a server's banner,
 * which start with times and addresses, are no tables).
 */
function tablesOf(body: string): string[][] {
  const tables: string[][] = [];
  let run: string[] = [];
  const close = () => {
    if (run.length >= 2) tables.push(run);
    run = [];
  };
  for (const line of body.split('\n')) {
    if (line.trim() === '...') continue;
    if (!line.startsWith('$ ') && cellsOf(line).length >= 3) run.push(line);
    else close();
  }
  close();
  return tables.filter(([header]) => !/\d/.test(header as string));
}

/** The first cell of a row that is not where the header's cell of that column is. */
function misplaced(header: string, row: string): string | undefined {
  const heads = cellsOf(header);
  const cells = cellsOf(row);
  for (let i = 0; i < Math.min(heads.length, cells.length); i++) {
    const [h, c] = [heads[i] as Cell, cells[i] as Cell];
    if (c.start !== h.start && c.end !== h.end) return `column ${i + 1} at ${c.start}-${c.end}, its header at ${h.start}-${h.end}`;
    // The next header starts two columns past the widest cell: a cell running into it is from a narrower table.
    const next = heads[i + 1];
    if (next !== undefined && c.end + 2 > next.start) return `column ${i + 1} ends at ${c.end}, past the next header at ${next.start}`;
  }
  return undefined;
}

describe('the tables in the pages are laid out as smsq prints them', () => {
  for (const file of PAGES) {
    const blocks = extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')).filter((b) => b.kind === 'console');
    for (const block of blocks) {
      const tables = tablesOf(block.body);
      if (tables.length === 0) continue;
      it(`${file}:${block.line}`, () => {
        const faults = tables.flatMap(([header, ...rows]) => rows.flatMap((row) => misplaced(header as string, row)?.replace(/^/, `${row.trim().slice(0, 40)}: `) ?? []));
        expect(faults).toEqual([]);
      });
    }
  }
});
