import { ValidationError } from '../src/errors.js';
import { quoted } from '../src/setting-mention.js';

const WHY: Record<string, string> = {
  ENOENT: 'there is no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

/**
 * A file-system error while opening or reading a recipient file, as the refusal it is (the field,
 * what happened, the fix); any other error is returned as it is. `textOnlyReader`: the name of a
 * reader that takes JSON or CSV and no workbooks (`send-batch`), whose fix names those: it was
 * told to give "a readable .csv or .xlsx file", and then refused the workbook.
 */
export function readError(err: unknown, path: string | undefined, field: string, textOnlyReader?: string): unknown {
  if (err instanceof ValidationError || path === undefined) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('E')) return err;
  const fix = textOnlyReader === undefined ? 'give the path of a readable .csv or .xlsx file' : `give the path of a readable JSON or CSV file, which ${textOnlyReader} reads`;
  return new ValidationError([{ field, message: `${quoted(path)} cannot be read (${code}: ${WHY[code] ?? 'read error'}; nothing was enqueued). Fix: ${fix}` }]);
}
