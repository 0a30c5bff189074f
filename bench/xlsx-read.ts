/**
 * A campaign's .xlsx read whole: smsq's reader (the zip's directory through yauzl, then exceljs's
 * parsers, producers/xlsx-recipients.ts) against exceljs's own WorkbookReader loop, which read the
 * parts in the zip's stored order and is what smsq used before. `npx tsx bench/xlsx-read.ts
 * [--json] [--rows N] [--rounds R] [--text 1]`: a workbook of N rows (phone, name; numbers stored as
 * numbers, or as text with --text 1, which fills the shared-strings table), written once by
 * exceljs's streaming writer; then R rounds, each reading it with both readers (order alternating),
 * each read in a fresh process so that its peak RSS is its own. Prints seconds, CPU seconds and
 * peak RSS side by side, with smsq ÷ exceljs.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { spawnChild, stopAll } from './support/children.js';
import { round, runIfMain } from './support/pipeline.js';

export interface XlsxReadOptions {
  rows: number;
  rounds: number;
  /** 1: the numbers stored as text (every one a shared string). */
  text: number;
}

interface Read {
  rows: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
}

export interface XlsxReadResult {
  benchmark: 'xlsx-read';
  rows: number;
  fileMB: number;
  numbersAs: 'numbers' | 'text';
  rounds: { smsq: Read; exceljs: Read }[];
  /** Medians over the rounds, and smsq ÷ exceljs. */
  median: { smsq: Read; exceljs: Read; ratio: { seconds: number; cpuSeconds: number; peakRssMB: number } };
}

const CHILD = new URL('./support/xlsx-read-child.ts', import.meta.url).pathname;

async function writeWorkbook(path: string, rows: number, asText: boolean): Promise<void> {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: asText, useStyles: false });
  const sheet = book.addWorksheet('名单');
  sheet.addRow(['phone', 'name']).commit();
  for (let i = 0; i < rows; i++) sheet.addRow([asText ? String(13800000000 + i) : 13800000000 + i, `客户${i % 1000}`]).commit();
  await book.commit();
}

async function readOnce(path: string, reader: 'smsq' | 'exceljs'): Promise<Read> {
  const child = await spawnChild(CHILD, {});
  try {
    return await child.request<Read>('read', { path, reader }, 600_000);
  } finally {
    await stopAll([child]);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const medianRead = (reads: Read[]): Read => ({
  rows: median(reads.map((r) => r.rows)),
  seconds: round(median(reads.map((r) => r.seconds)), 2),
  cpuSeconds: round(median(reads.map((r) => r.cpuSeconds)), 2),
  peakRssMB: round(median(reads.map((r) => r.peakRssMB)), 1),
});

export async function runXlsxRead(opts: Partial<XlsxReadOptions> = {}): Promise<XlsxReadResult> {
  const o = { rows: 200_000, rounds: 3, text: 0, ...opts };
  const dir = mkdtempSync(join(tmpdir(), 'smsq-xlsx-bench-'));
  try {
    const path = join(dir, 'list.xlsx');
    await writeWorkbook(path, o.rows, o.text === 1);
    const rounds: XlsxReadResult['rounds'] = [];
    for (let i = 0; i < o.rounds; i++) {
      const order: ('smsq' | 'exceljs')[] = i % 2 === 0 ? ['smsq', 'exceljs'] : ['exceljs', 'smsq'];
      const got: Partial<Record<'smsq' | 'exceljs', Read>> = {};
      for (const reader of order) got[reader] = await readOnce(path, reader);
      if (got.smsq?.rows !== o.rows || got.exceljs?.rows !== o.rows) throw new Error(`rows read: smsq ${got.smsq?.rows}, exceljs ${got.exceljs?.rows}, expected ${o.rows}`);
      rounds.push({ smsq: got.smsq, exceljs: got.exceljs });
    }
    const smsq = medianRead(rounds.map((r) => r.smsq));
    const exceljs = medianRead(rounds.map((r) => r.exceljs));
    const ratio = { seconds: round(smsq.seconds / exceljs.seconds, 2), cpuSeconds: round(smsq.cpuSeconds / exceljs.cpuSeconds, 2), peakRssMB: round(smsq.peakRssMB / exceljs.peakRssMB, 2) };
    return { benchmark: 'xlsx-read', rows: o.rows, fileMB: round(statSync(path).size / 1024 / 1024, 1), numbersAs: o.text === 1 ? 'text' : 'numbers', rounds, median: { smsq, exceljs, ratio } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatXlsxRead(r: XlsxReadResult): string {
  const line = (name: string, x: Read) => `  ${name.padEnd(8)} ${String(x.seconds).padStart(6)} s   ${String(x.cpuSeconds).padStart(6)} CPU s   ${String(x.peakRssMB).padStart(6)} MB peak RSS`;
  return [
    `A ${r.fileMB} MB workbook of ${r.rows.toLocaleString('en-US')} rows (numbers stored as ${r.numbersAs}), read whole in a fresh process each time; medians of ${r.rounds.length} rounds:`,
    line('smsq', r.median.smsq),
    line('exceljs', r.median.exceljs),
    `  smsq ÷ exceljs: seconds ${r.median.ratio.seconds}, CPU ${r.median.ratio.cpuSeconds}, peak RSS ${r.median.ratio.peakRssMB}`,
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['rows', 'rounds', 'text'],
  limitMs: 1_800_000,
  what: 'the workbook bench',
  run: (values) => runXlsxRead(values as Partial<XlsxReadOptions>),
  format: formatXlsxRead,
});
