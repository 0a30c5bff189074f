/**
 * Every example in README.md and docs/ runs (docs/development.md, "Every example runs"), page by
 * page (test/support/doc-examples/run-pages.ts). This file runs every page that no
 * docs-examples-*.test.ts file names, so a new page is run here.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeExamples, examplePages, PAGE_FILES, pagesOf } from '../support/doc-examples/run-pages.js';

const here = dirname(fileURLToPath(import.meta.url));

it('every page is run by one file: the pages the other files name exist, and those files do', () => {
  const named = Object.values(PAGE_FILES).flat();
  expect(named.filter((page) => !examplePages().includes(page))).toEqual([]);
  expect(new Set(named).size).toBe(named.length);
  expect(Object.keys(PAGE_FILES).filter((file) => !existsSync(join(here, file)))).toEqual([]);
  const run = [...Object.keys(PAGE_FILES).flatMap((file) => pagesOf(file)), ...pagesOf('docs-examples.test.ts')];
  expect(run.sort()).toEqual(examplePages().sort());
});

describeExamples(pagesOf('docs-examples.test.ts'));
