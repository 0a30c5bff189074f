/** The generated parts of docs/ are what `npm run docs` would write from the code today. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatePages } from '../../scripts/docs/pages.js';
import { fillRegions } from '../../scripts/docs/regions.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('generated docs', () => {
  it('are up to date', { timeout: 60_000 }, async () => {
    const stale = (await generatePages(ROOT)).filter((page) => page.generated !== page.current).map((page) => page.file);
    expect(stale, `stale: ${stale.join(', ')}. Run \`npm run docs\` and commit the result`).toEqual([]);
  });

  it('rewrite a region and keep the prose around it', async () => {
    const page = 'intro\n<!-- BEGIN GENERATED table -->\nold\n<!-- END GENERATED table -->\noutro\n';
    const out = await fillRegions(page, { table: { source: 'the code', render: () => 'new' } }, 'page.md');
    expect(out).toBe('intro\n<!-- BEGIN GENERATED table: written by `npm run docs` from the code; edit that, not this -->\nnew\n<!-- END GENERATED table -->\noutro\n');
  });

  it('refuse a page that lost a region, or a region nobody renders', async () => {
    await expect(fillRegions('no regions here\n', { table: { source: 'x', render: () => '' } }, 'page.md')).rejects.toThrow(/missing generated region/);
    await expect(fillRegions('<!-- BEGIN GENERATED other -->\n<!-- END GENERATED other -->\n', {}, 'page.md')).rejects.toThrow(/has no renderer/);
    await expect(fillRegions('<!-- BEGIN GENERATED table -->\nno end\n', { table: { source: 'x', render: () => '' } }, 'page.md')).rejects.toThrow(/has no "<!-- END GENERATED table -->"/);
  });
});
