/**
 * Generated regions inside hand-written pages. A page keeps its prose; between
 *   <!-- BEGIN GENERATED name ... -->  and  <!-- END GENERATED name -->
 * `npm run docs` writes what the region's renderer returns, so the reference cannot drift from
 * the code it is drawn from.
 */

export interface Region {
  /** Where the content comes from, named in the opening marker (e.g. `src/config.ts`). */
  source: string;
  render(): string | Promise<string>;
}

const BEGIN = /<!-- BEGIN GENERATED ([a-z0-9-]+)\b[^\n]*-->\n/g;

/** The line that opens a region; it names the command that rewrites it. */
export function beginMarker(name: string, source: string): string {
  return `<!-- BEGIN GENERATED ${name}: written by \`npm run docs\` from ${source}; edit that, not this -->`;
}

export function endMarker(name: string): string {
  return `<!-- END GENERATED ${name} -->`;
}

/**
 * `text` with each region rewritten (its opening marker and its body). Throws when a region has no
 * renderer or no end marker, or when a renderer's region is missing from the page.
 */
export async function fillRegions(text: string, regions: Readonly<Record<string, Region>>, file: string): Promise<string> {
  let out = '';
  let from = 0;
  const seen = new Set<string>();
  for (const match of text.matchAll(BEGIN)) {
    const name = match[1] as string;
    const region = regions[name];
    if (!region) throw new Error(`${file}: generated region "${name}" has no renderer (scripts/docs/pages.ts)`);
    const start = match.index ?? 0;
    if (start < from) throw new Error(`${file}: generated region "${name}" starts inside another`);
    const end = text.indexOf(endMarker(name), start + match[0].length);
    if (end < 0) throw new Error(`${file}: generated region "${name}" has no "${endMarker(name)}"`);
    out += `${text.slice(from, start)}${beginMarker(name, region.source)}\n${(await region.render()).trim()}\n`;
    from = end;
    seen.add(name);
  }
  const missing = Object.keys(regions).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new Error(`${file}: missing generated region(s): ${missing.map((n) => `"<!-- BEGIN GENERATED ${n} -->" … "${endMarker(n)}"`).join(', ')}`);
  }
  return out + text.slice(from);
}
