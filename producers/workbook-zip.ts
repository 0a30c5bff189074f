/**
 * The parts of an .xlsx workbook, read through the zip's central directory (yauzl): any part, in
 * any order, each streamed as it is inflated. A workbook is a zip whose writer orders its parts as
 * it pleases (Excel puts the shared strings after the sheets, exceljs's own writer varies from run
 * to run), and a sheet can be read only once the sheet list and the shared strings are in. Read in
 * the zip's stored order, as exceljs's WorkbookReader reads, a sheet that came first was copied
 * to a temporary file and read without the shared strings when they were the last part: its text
 * cells came as indexes, and a campaign's params as "[object Object]".
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface WorkbookZip {
  /** Whether the zip holds the part `name` (`xl/workbook.xml`: no leading slash). */
  has(name: string): boolean;
  /** The part `name`, inflated as it is read; yauzl checks its size against the directory's. */
  open(name: string): Promise<Readable>;
  /** Stops the parts still being read and lets the file go. */
  close(): void;
}

/**
 * A part's name as the reader asks for it: some writers store `/xl/workbook.xml`, which yauzl's
 * own decoding refuses as an absolute path (it guards extraction to disk; nothing is written
 * here). Part names are ASCII in OOXML.
 */
function partName(fileName: Buffer | string): string {
  return (Buffer.isBuffer(fileName) ? fileName.toString('utf8') : fileName).replace(/^\/+/, '');
}

/**
 * Opens a workbook from a path (read where it lies), a Buffer, or a stream (held whole, compressed,
 * as a zip's directory is at its end). Throws yauzl's error for what is not a zip.
 */
export async function openWorkbookZip(source: string | Buffer | Readable): Promise<WorkbookZip> {
  const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true };
  const file = typeof source === 'string' ? await yauzl.openPromise(source, options) : await yauzl.fromBufferPromise(Buffer.isBuffer(source) ? source : await whole(source), options);
  const entries = new Map<string, yauzl.Entry>();
  try {
    for await (const entry of file.eachEntry()) {
      const name = partName(entry.fileName as Buffer | string);
      if (!entries.has(name)) entries.set(name, entry);
    }
  } catch (err) {
    file.close();
    throw err;
  }
  /** Parts being read: a reader that stops early leaves its part part-read, holding the file. */
  const reading = new Set<Readable>();
  return {
    has: (name) => entries.has(name),
    async open(name) {
      const entry = entries.get(name);
      if (entry === undefined) throw new Error(`the workbook has no part ${name}`);
      const part = await file.openReadStreamPromise(entry);
      reading.add(part);
      part.once('close', () => reading.delete(part));
      return part;
    },
    close: () => {
      for (const part of reading) part.destroy();
      if (file.isOpen) file.close();
    },
  };
}

async function whole(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}
