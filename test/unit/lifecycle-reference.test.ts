/**
 * The lifecycle diagrams of docs/lifecycle.md, drawn from the table (whether the page is up to date
 * is test/unit/docs-generated.test.ts's: `npm run docs` rewrites it).
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_LIFECYCLE, type Lifecycle } from '../../src/queue/lifecycle.js';
import { renderLifecycleDoc, renderStateDiagram } from '../../scripts/docs/lifecycle-reference.js';

describe('renderStateDiagram', () => {
  it('draws every move of the table, adoption marked, and every final state as an end', () => {
    const chunk = renderStateDiagram(CHUNK_LIFECYCLE).split('\n');
    expect(chunk[0]).toBe('stateDiagram-v2');
    expect(chunk).toContain('  [*] --> queued : enqueue, split-child');
    expect(chunk).toContain('  queued --> sending : claim');
    // A worker's accepted answer takes a queued record to accepted (a late answer is proof); a push only for a newer attempt (marked).
    expect(chunk).toContain('  queued --> accepted : answer-accepted, lookup-found, report-accepted*');
    for (const state of CHUNK_LIFECYCLE.final) expect(chunk).toContain(`  ${state} --> [*]`);
  });

  it('starts a lifecycle that creates no record at its start state', () => {
    const toggle: Lifecycle = { name: 'toggle', field: 'on', states: ['off', 'on'], start: 'off', final: [], transitions: [{ trigger: 'flip', from: ['off'], to: 'on', records: [], by: [], when: 'flipped' }] };
    expect(renderStateDiagram(toggle).split('\n')).toContain('  [*] --> off');
  });
});

describe('renderLifecycleDoc', () => {
  it('has a diagram and a table row per transition for each lifecycle', () => {
    const doc = renderLifecycleDoc();
    expect(doc.match(/^```mermaid$/gm)).toHaveLength(2);
    for (const t of CHUNK_LIFECYCLE.transitions) expect(doc).toContain(`| \`${t.trigger}\` |`);
  });
});
