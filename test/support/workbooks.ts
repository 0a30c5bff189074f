/** .xlsx workbooks built for a test as Excel writes them (exceljs), for a command's `--file` or an upload. */
import ExcelJS from 'exceljs';

/** A sheet by its tab's name and its rows, the first usually the header. */
export interface SheetRows {
  name: string;
  rows: unknown[][];
}

/** Writes a workbook of `sheets`, in their order, to `path`; gives `path`. */
export async function writeWorkbook(path: string, sheets: readonly SheetRows[]): Promise<string> {
  const book = new ExcelJS.Workbook();
  for (const sheet of sheets) {
    const ws = book.addWorksheet(sheet.name);
    for (const row of sheet.rows) ws.addRow(row);
  }
  await book.xlsx.writeFile(path);
  return path;
}
