/** Relative links of Markdown pages, and whether each leads to a file and heading that exist. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(text: string): Set<string> {
  return new Set([...text.matchAll(/^#{1,6} (.*)$/gm)].map((m) => headingAnchor(m[1] as string)));
}

export interface BrokenLink {
  page: string;
  link: string;
  problem: string;
}

/** Links (outside code) of `page` that lead to no file, or to no heading of it. `page` is relative to `root`. */
export function brokenLinks(root: string, page: string): BrokenLink[] {
  const text = readFileSync(join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const broken: BrokenLink[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = m[1] as string;
    if (/^[a-z]+:/i.test(link)) continue;
    const [path = '', anchor] = link.split('#');
    const target = path ? relative(root, normalize(join(root, dirname(page), path))) : page;
    if (!existsSync(join(root, target))) {
      broken.push({ page, link, problem: `${target} does not exist` });
      continue;
    }
    if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(join(root, target), 'utf8')).has(anchor)) {
      broken.push({ page, link, problem: `${target} has no heading #${anchor}` });
    }
  }
  return broken;
}
