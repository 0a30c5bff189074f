/**
 * Every example in README.md and docs/ runs (docs/development.md, "Every example runs"): console
 * transcripts print what the page shows, sh blocks succeed, ts programs exit 0; a block that cannot
 * run says why with `<!-- not-run: ... -->`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createExampleEnvironment, type ExampleEnvironment } from '../support/doc-examples/example-environment.js';
import { extractBlocks } from '../support/doc-examples/extract.js';
import { checkFixtureNames } from '../support/doc-examples/fixtures.js';
import { runConsoleBlock, runShellBlock, runTypeScriptBlock, type PageRun } from '../support/doc-examples/run-block.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

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

for (const file of PAGES) {
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
