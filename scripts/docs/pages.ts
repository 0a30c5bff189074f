/**
 * The pages with generated regions, and what writes each region. `npm run docs` rewrites them;
 * test/unit/docs-generated.test.ts fails when a page differs from what this would write.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCliReference } from './cli-reference.js';
import { renderEnvironmentReference } from './config-reference.js';
import { renderAnsweredCodes, renderClassificationRules, renderErrorClasses, renderRecordedCodes, renderSmsErrorCodes } from './error-reference.js';
import { renderDiagramBlock, renderLifecycleDoc } from './lifecycle-reference.js';
import { CHUNK_LIFECYCLE } from '../../src/queue/lifecycle.js';
import { fillRegions, type Region } from './regions.js';

export const GENERATED_PAGES: Readonly<Record<string, Readonly<Record<string, Region>>>> = {
  'docs/configuration.md': {
    environment: { source: 'the environment schema in src/config.ts', render: renderEnvironmentReference },
  },
  'docs/errors.md': {
    'smsq-codes-answered': { source: 'SMSQ_CODES in src/errors.ts', render: renderAnsweredCodes },
    'smsq-codes-recorded': { source: 'SMSQ_CODES in src/errors.ts', render: renderRecordedCodes },
    'error-classes': { source: 'ERROR_CLASS_HANDLING and ERROR_CODES in src/sms/error-codes.ts', render: renderErrorClasses },
    'sms-error-codes': { source: 'ERROR_CODES in src/sms/error-codes.ts', render: renderSmsErrorCodes },
    'classification-rules': { source: 'CLASSIFICATION_DEFAULTS in src/sms/error-codes.ts', render: renderClassificationRules },
  },
  'docs/cli.md': {
    commands: { source: 'the commander program (cli/commands/)', render: renderCliReference },
  },
  'docs/lifecycle.md': {
    lifecycles: { source: 'the lifecycle table in src/queue/lifecycle.ts', render: renderLifecycleDoc },
  },
  'docs/architecture.md': {
    'chunk-states': { source: 'the lifecycle table in src/queue/lifecycle.ts', render: () => renderDiagramBlock(CHUNK_LIFECYCLE) },
  },
};

/** Each generated page as it is on disk and as `npm run docs` would write it. */
export async function generatePages(root: string): Promise<{ file: string; current: string; generated: string }[]> {
  const pages = [];
  for (const [file, regions] of Object.entries(GENERATED_PAGES)) {
    const current = await readFile(join(root, file), 'utf8');
    pages.push({ file, current, generated: await fillRegions(current, regions, file) });
  }
  return pages;
}
