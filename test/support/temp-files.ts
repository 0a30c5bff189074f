import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private temporary folder (named from `prefix`) and a writer of files into it: `(name, text)`
 * writes `text` to `name` there and gives its path, for a command's `--file`.
 */
export function tempFileWriter(prefix: string): (name: string, text: string | Buffer) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
}
