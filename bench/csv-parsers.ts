/**
 * Why campaign lists are parsed by Papa Parse: `npx tsx bench/csv-parsers.ts [--rows N] [--rounds R]`.
 * Parses the same CSV text, in the 64 KiB pieces a file is read in, with Papa Parse driven as
 * producers/csv-recipients.ts drives it and with csv-parse set up as smsq had it (relaxed quotes
 * and column counts, every line end, records skipped on error), interleaved over R rounds; then
 * the whole reader (`readRecipientsCsv`: decoding, line counting, rows into recipients) over the
 * same text. Prints CPU milliseconds per million rows and the ratio csv-parse / Papa Parse, for a
 * plain list of numbers and for a list with quoted, multi-byte params.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { readRecipientsCsv } from '../producers/csv-recipients.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive whole number`);
  return value;
};
const ROWS = flag('--rows', 1_000_000);
const ROUNDS = flag('--rounds', 3);
const PIECE = 1 << 16;

function listOfNumbers(rows: number): string {
  const lines = ['phone'];
  for (let i = 0; i < rows; i++) lines.push(String(13_800_000_000 + i * 7));
  return `${lines.join('\n')}\n`;
}

function listWithParams(rows: number): string {
  const lines = ['phone,name,note'];
  for (let i = 0; i < rows; i++) lines.push(`${13_800_000_000 + i * 7},会员${i % 100},"第 ${i % 9} 期, ""限时"""`);
  return `${lines.join('\r\n')}\r\n`;
}

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += PIECE) out.push(text.slice(at, at + PIECE));
  return out;
}

function cpuMs(run: () => number | Promise<number>): Promise<{ ms: number; rows: number }> {
  const before = process.cpuUsage();
  return Promise.resolve(run()).then((rows) => {
    const used = process.cpuUsage(before);
    return { ms: (used.user + used.system) / 1000, rows };
  });
}

function papa(chunks: readonly string[]): number {
  const parser = new Papa.Parser({ delimiter: ',', newline: '\n', quoteChar: '"' });
  let carry = '';
  let rows = 0;
  for (const [i, chunk] of chunks.entries()) {
    const text = carry + chunk;
    const last = i === chunks.length - 1;
    const result = parser.parse(text, 0, !last) as { data: string[][]; meta: { cursor: number } };
    rows += result.data.length;
    carry = last ? '' : text.slice(result.meta.cursor);
  }
  return rows;
}

/** csv-parse as the reader drove it: a piece written, its records read back at once. */
async function csvParse(chunks: readonly string[]): Promise<number> {
  const parser = parse({ bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true, skip_empty_lines: false, skip_records_with_error: true, max_record_size: 1 << 16 });
  let rows = 0;
  for (const chunk of chunks) {
    parser.write(chunk);
    while (parser.read() !== null) rows++;
  }
  await new Promise<void>((resolve) => parser.end(resolve));
  while (parser.read() !== null) rows++;
  return rows;
}

async function reader(text: string): Promise<number> {
  let rows = 0;
  for await (const row of readRecipientsCsv(Readable.from(pieces(text).map((p) => Buffer.from(p, 'utf8'))))) if (row.error === undefined) rows++;
  return rows;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const [name, text] of [
  ['numbers only', listOfNumbers(ROWS)],
  ['quoted multi-byte params', listWithParams(ROWS)],
] as const) {
  const chunks = pieces(text);
  const figures = { papa: [] as number[], csvParse: [] as number[], reader: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const p = await cpuMs(() => papa(chunks));
    const c = await cpuMs(() => csvParse(chunks));
    const r = await cpuMs(() => reader(text));
    if (p.rows < ROWS || c.rows < ROWS || r.rows !== ROWS) throw new Error(`rows read: Papa ${p.rows}, csv-parse ${c.rows}, reader ${r.rows}; expected ${ROWS}`);
    figures.papa.push(p.ms);
    figures.csvParse.push(c.ms);
    figures.reader.push(r.ms);
  }
  const perMillion = (ms: number) => ((ms * 1e6) / ROWS).toFixed(0).padStart(6);
  const [p, c, r] = [median(figures.papa), median(figures.csvParse), median(figures.reader)];
  console.log(`${name} (${ROWS.toLocaleString('en')} rows, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB, median of ${ROUNDS} interleaved rounds; CPU ms per million rows)`);
  console.log(`  Papa Parse        ${perMillion(p)}`);
  console.log(`  csv-parse         ${perMillion(c)}   ${(c / p).toFixed(2)}× Papa Parse`);
  console.log(`  readRecipientsCsv ${perMillion(r)}   (Papa Parse + decoding, lines, recipients)`);
}
