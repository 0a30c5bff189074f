/** The pure parts of the docs examples check: reading blocks and markers, and comparing output. */
import { describe, expect, it } from 'vitest';
import { DocBlockError, extractBlocks, parseTranscript } from '../support/doc-examples/extract.js';
import { outputMatches, printedLines, sendIdPairs } from '../support/doc-examples/output-match.js';
import { rewritePackageImports } from '../support/doc-examples/package-entries.js';

describe('extractBlocks', () => {
  it('reads sh, console and ts blocks with the marker before them, and leaves other fences alone', () => {
    const page = [
      '<!-- not-run: needs an account -->',
      '```sh',
      'smsq signs',
      '```',
      '',
      '<!-- run-with: emulator, stop-after-5s -->',
      '',
      '```console',
      '$ smsq emulator',
      'listening',
      '```',
      '```json',
      '{"a":1}',
      '```',
      '```ts',
      "import { createProducer } from 'smsq';",
      '```',
    ].join('\n');
    const blocks = extractBlocks('page.md', page);
    expect(blocks.map((b) => [b.kind, b.line, b.marker])).toEqual([
      ['sh', 2, { kind: 'not-run', reason: 'needs an account' }],
      ['console', 8, { kind: 'run', fixtures: ['emulator', 'stop-after-5s'] }],
      ['ts', 15, { kind: 'run', fixtures: [] }],
    ]);
  });

  it('refuses an untagged transcript and a not-run without its reason', () => {
    expect(() => extractBlocks('page.md', '```\n$ smsq signs\n```\n')).toThrow(DocBlockError);
    expect(() => extractBlocks('page.md', '<!-- not-run: -->\n```sh\nls\n```\n')).toThrow(/needs a reason/);
  });
});

describe('parseTranscript', () => {
  it('joins continued commands and gives each its output', () => {
    expect(parseTranscript('$ smsq send \\\n    --yes\nsend id  sm1\n$ echo $?\n0', 'page.md:1')).toEqual([
      { command: 'smsq send \\\n    --yes', expected: ['send id  sm1'] },
      { command: 'echo $?', expected: ['0'] },
    ]);
  });
});

describe('outputMatches', () => {
  it('squeezes spaces and replaces values that change between runs', () => {
    const shown = ['send id   smx8k5nwj5d7ae857a7a7', 'request id: E93AA527-909D-40DE-8B9F-3A9D749E4152', 'Done in 5.2 s. at 127.0.0.1:8081'];
    const printed = ['send id smx8raaca132e80913d91', 'request id: 1B319387-538A-40E2-A953-2E5DAEF9635B', 'Done in 12.0 s. at 127.0.0.1:40123'];
    expect(outputMatches(shown, printed)).toBe(true);
  });

  it('takes a line "..." for any lines and "..." in a line for any text', () => {
    expect(outputMatches(['...', 'last'], ['a', 'b', 'last'])).toBe(true);
    expect(outputMatches(['...', 'last'], ['last'])).toBe(true);
    // smsq's times in text and JSON differ from run to run, like ISO times.
    expect(outputMatches(['created  2026-12-04 07:42:22 +08:00', '{"at":"2026-12-04T07:42:22+08:00"}'], ['created 2027-01-01 00:00:01 +08:00', '{"at":"2027-01-01T00:00:01+08:00"}'])).toBe(true);
    expect(outputMatches(['count: ... in all'], ['count: 8 templates in all'])).toBe(true);
    expect(outputMatches(['...', 'last'], ['last', 'after'])).toBe(false);
  });

  it('fails on a changed figure or a missing line', () => {
    expect(outputMatches(['campaign (3000)'], ['campaign (2000)'])).toBe(false);
    expect(outputMatches(['a', 'b'], ['a'])).toBe(false);
  });

  it('drops log records and trailing blank lines from what was printed', () => {
    expect(printedLines('{"level":40,"msg":"SANDBOX MODE"}\ntable\n\n')).toEqual(['table']);
  });

  it('pairs the send ids a page shows with those printed', () => {
    expect(sendIdPairs(['id smx8k5nwj5d7ae857a7a7'], ['id smx8raaca132e80913d91'])).toEqual([['smx8k5nwj5d7ae857a7a7', 'smx8raaca132e80913d91']]);
  });
});

describe('rewritePackageImports', () => {
  it('points the package specifiers at the entry sources and refuses one the package does not export', () => {
    const entries = { smsq: '/src/index.ts', 'smsq/worker': '/src/worker.ts' };
    expect(rewritePackageImports("import { a } from 'smsq';\nimport { b } from \"smsq/worker\";", entries)).toBe("import { a } from '/src/index.ts';\nimport { b } from \"/src/worker.ts\";");
    expect(() => rewritePackageImports("import x from 'smsq/producers/producer.js';", entries)).toThrow(/does not export/);
  });
});
