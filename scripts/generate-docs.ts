/**
 * `npm run docs`: rewrites the generated regions of the docs pages (scripts/docs/pages.ts) from the
 * code they describe. `--check` writes nothing and exits 1 naming each stale page.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePages } from './docs/pages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const page of await generatePages(root)) {
  if (page.generated === page.current) continue;
  stale++;
  if (check) console.error(`${page.file} is stale: run \`npm run docs\``);
  else {
    await writeFile(join(root, page.file), page.generated);
    console.log(`wrote ${page.file}`);
  }
}
process.exit(check && stale > 0 ? 1 : 0);
