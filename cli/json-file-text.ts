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
import { UsageError } from './errors.js';

/** Reads `path` as text: `flag` names the option when it cannot be read, `field` the file in a refusal. */
export async function readJsonFileText(path: string, flag: string, field: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new UsageError(`${flag} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Fix: give the path of a JSON or CSV file`);
  }
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
