/** docs/lifecycle.md is generated from the lifecycle table; this fails when it is stale. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHUNK_LIFECYCLE, SEND_CONTROL_LIFECYCLE } from '../../src/queue/lifecycle.js';
import { LIFECYCLE_DOC, LIFECYCLE_DOC_COMMAND, renderLifecycleDoc, renderStateDiagram } from '../../scripts/lifecycle-doc.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe(LIFECYCLE_DOC, () => {
  it('is what the table renders', () => {
    const written = readFileSync(join(ROOT, LIFECYCLE_DOC), 'utf8');
    expect(written === renderLifecycleDoc(), `${LIFECYCLE_DOC} is stale: run \`${LIFECYCLE_DOC_COMMAND}\` and commit it`).toBe(true);
  });

  it('draws every move of the table, adoption marked, and every final state as an end', () => {
    const chunk = renderStateDiagram(CHUNK_LIFECYCLE).split('\n');
    expect(chunk[0]).toBe('stateDiagram-v2');
    expect(chunk).toContain('  [*] --> queued : enqueue, split-child');
    expect(chunk).toContain('  queued --> sending : claim');
    // Only a caller's newer attempt takes a queued record to accepted with an answer.
    expect(chunk).toContain('  queued --> accepted : answer-accepted*, lookup-found, report-accepted*');
    for (const state of CHUNK_LIFECYCLE.final) expect(chunk).toContain(`  ${state} --> [*]`);
    // A lifecycle that creates no record starts from its start state.
    expect(renderStateDiagram(SEND_CONTROL_LIFECYCLE).split('\n')).toContain('  [*] --> active');
  });
});
