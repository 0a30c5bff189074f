/**
 * The text of a JSON file a command reads (`smsq send-batch --file messages.json`). Windows tools
 * save JSON with a byte-order mark (Notepad's UTF-8, PowerShell's UTF-16), which JSON.parse
 * refused as an unexpected token, with a fix about the JSON; a file in GBK read as UTF-8 turned its
 * Chinese into U+FFFD. A mark is followed; without one, the file must be UTF-8.
 */
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../src/errors.js';
import { bomOf, createTextDecoder } from '../producers/text-encoding.js';
import { readError } from '../producers/recipient-file-errors.js';
import { notTextSignature } from '../producers/file-signature.js';

/**
 * Reads `path` as text: `field` names the file in a refusal, `reader` the command, whose refusal of
 * a file it cannot open names what it reads (JSON or CSV), as its CSV reader's does.
 */
export async function readJsonFileText(path: string, field: string, reader: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw readError(err, path, field, reader);
  }
  // A workbook (or any file that is not text) is told what it is and what to do, as the CSV reader
  // tells it: its bytes are not UTF-8 either, and it was told to save the file as UTF-8.
  const notText = notTextSignature(bytes, reader);
  if (notText !== undefined) throw new ValidationError([{ field, message: `is ${notText.what}, not a text list (nothing was enqueued). Fix: ${notText.fix}` }]);
  const bom = bomOf(bytes);
  if (bom === undefined && !isUtf8(bytes)) {
    throw new ValidationError([
      { field, message: 'is not UTF-8 text (a file saved as GBK or another local encoding, say), and a JSON file is read as UTF-8 (nothing was enqueued). Fix: save it as UTF-8 (an editor\'s Save As → Encoding: UTF-8)' },
    ]);
  }
  const body = bom === undefined ? bytes : bytes.subarray(bom.length);
  const decoder = createTextDecoder(bom?.encoding ?? 'utf-8');
  return decoder.write(body) + decoder.end();
}
