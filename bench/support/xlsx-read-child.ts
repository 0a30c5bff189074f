/**
 * One workbook read in a process of its own, for bench/xlsx-read.ts: `read` with `{ path, reader }`
 * answers the rows read, the seconds, the CPU seconds and the process's peak RSS (MB). `smsq`:
 * readRecipientsXlsx (the zip's directory, then exceljs's parsers); `exceljs`: exceljs's own
 * WorkbookReader loop over the parts in stored order, what smsq read with before.
 */
import ExcelJS from 'exceljs';
import { readRecipientsXlsx } from '../../producers/xlsx-recipients.js';
import { cpuSeconds, serveChild } from './children.js';

async function readWith(reader: 'smsq' | 'exceljs', path: string): Promise<number> {
  let rows = 0;
  if (reader === 'smsq') {
    for await (const _ of readRecipientsXlsx(path)) rows++;
    return rows;
  }
  const book = new ExcelJS.stream.xlsx.WorkbookReader(path, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'ignore' });
  for await (const sheet of book) {
    for await (const row of sheet) if (row.number > 1) rows++;
    break;
  }
  return rows;
}

serveChild(
  {
    async read(args) {
      const { path, reader } = args as { path: string; reader: 'smsq' | 'exceljs' };
      const [cpu0, t0] = [cpuSeconds(), performance.now()];
      const rows = await readWith(reader, path);
      return { rows, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds() - cpu0, peakRssMB: process.resourceUsage().maxRSS / 1024 };
    },
  },
  { pid: process.pid },
);
