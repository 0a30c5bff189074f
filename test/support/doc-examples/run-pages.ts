/**
 * Every example in README.md and docs/ runs (docs/development.md, "Every example runs"): console
 * transcripts print what the page shows, sh blocks succeed, ts programs exit 0; a block that cannot
 * run says why with `<!-- not-run: ... -->`.
 *
 * The pages are run by several test files, so that vitest runs them side by side: each file names
 * its pages with {@link PAGE_FILES}, and `test/integration/docs-examples.test.ts` runs every page no
 * other file names (a new page is run there). Each file has its own private Redis and scratch
 * directory; a page's examples run in order in one working directory, as before.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/runtime/private-redis.js';
import { createExampleEnvironment, type ExampleEnvironment } from './example-environment.js';
import { extractBlocks } from './extract.js';
import { checkFixtureNames } from './fixtures.js';
import { runConsoleBlock, runShellBlock, runTypeScriptBlock, type PageRun } from './run-block.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** README.md and every page under docs/, in the order they run. */
export function examplePages(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/**
 * The pages a file of their own runs (the slowest: each runs many programs), by that file's name
 * under test/integration/; every other page is run by docs-examples.test.ts.
 */
export const PAGE_FILES: Readonly<Record<string, readonly string[]>> = {
  'docs-examples-cli.test.ts': ['docs/cli.md'],
  'docs-examples-server.test.ts': ['docs/server.md'],
};

/** The pages `file` (a test file's name under test/integration/) runs. */
export function pagesOf(file: string): string[] {
  const named = PAGE_FILES[file];
  if (named) return examplePages().filter((page) => named.includes(page));
  const elsewhere = new Set(Object.values(PAGE_FILES).flat());
  return examplePages().filter((page) => !elsewhere.has(page));
}

/** Declares the tests of `pages`: one describe block per page with examples to run, one test per example. */
export function describeExamples(pages: readonly string[]): void {
  let redis: PrivateRedis;
  let environment: ExampleEnvironment;
  let scratch: string;

  beforeAll(async () => {
    // Its own Redis (appendfsync always, as smsq's default durability mode needs), flushed per page.
    redis = await startPrivateRedis();
    scratch = mkdtempSync(join(tmpdir(), 'smsq-docs-examples-'));
    environment = await createExampleEnvironment(ROOT, scratch, redis.url);
  });

  afterAll(async () => {
    await redis?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  for (const file of pages) {
    // A block marked `<!-- not-run: why -->` is not a test: extraction already refuses a marker
    // without its reason (test/unit/doc-examples.test.ts).
    const blocks = extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')).flatMap((block) => (block.marker.kind === 'run' ? [{ ...block, fixtures: block.marker.fixtures }] : []));
    if (blocks.length === 0) continue;
    describe(file, () => {
      const page: PageRun = { workdir: '', sendIds: new Map() };
      beforeAll(async () => {
        page.workdir = join(scratch, file.replace(/[^\w]+/g, '-'));
        mkdirSync(page.workdir, { recursive: true });
        const flush = new Redis(redis.url);
        await flush.flushall();
        flush.disconnect();
      });
      blocks.forEach((block, index) => {
        const title = `${block.kind} block at line ${block.line}`;
        const { fixtures } = block;
        it(title, { timeout: 300_000 }, async () => {
          checkFixtureNames(fixtures, `${file}:${block.line}`);
          if (block.kind === 'console') {
            const difference = await runConsoleBlock(block, environment, page);
            expect(difference, difference).toBe('');
          } else {
            const finished = block.kind === 'sh' ? await runShellBlock(block, environment, page) : await runTypeScriptBlock(block, environment, page, index);
            expect(finished.code, `${file}:${block.line} exited ${finished.code}:\n${finished.output}`).toBe(0);
          }
        });
      });
    });
  }
}
