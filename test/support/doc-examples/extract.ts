/**
 * The code blocks of a Markdown page that the examples check runs (docs/development.md, "Every
 * example runs"), each with the marker comment on the line before its fence.
 */

export type BlockKind = 'sh' | 'console' | 'ts';

/** How a block is run: as it is, with fixtures, or not at all (with the reason). */
export type RunMarker = { kind: 'run'; fixtures: readonly string[] } | { kind: 'not-run'; reason: string };

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  kind: BlockKind;
  body: string;
  marker: RunMarker;
}

const KINDS: Readonly<Record<string, BlockKind>> = { sh: 'sh', bash: 'sh', shell: 'sh', console: 'console', ts: 'ts', typescript: 'ts' };
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*(not-run|run-with)\s*:\s*(.*?)\s*-->$/;

/** A problem with the page itself: a transcript without its tag, a marker without a reason. */
export class DocBlockError extends Error {}

function markerBefore(lines: readonly string[], fenceIndex: number, where: string): RunMarker {
  let i = fenceIndex - 1;
  while (i >= 0 && (lines[i] as string).trim() === '') i--;
  const m = i >= 0 ? MARKER.exec((lines[i] as string).trim()) : null;
  if (!m) return { kind: 'run', fixtures: [] };
  const value = m[2] as string;
  if (m[1] === 'not-run') {
    if (!value) throw new DocBlockError(`${where}: <!-- not-run: --> needs a reason`);
    return { kind: 'not-run', reason: value };
  }
  return { kind: 'run', fixtures: value.split(',').map((f) => f.trim()).filter(Boolean) };
}

/** The runnable blocks of a page (`sh`, `console`, `ts`), in order. Throws {@link DocBlockError} for an untagged transcript. */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] as string;
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    const where = `${file}:${i + 1}`;
    const kind = KINDS[lang.toLowerCase()];
    if (kind) blocks.push({ file, line: i + 1, kind, body: body.join('\n'), marker: markerBefore(lines, i, where) });
    else if (lang === '' && body[0]?.startsWith('$ ')) throw new DocBlockError(`${where}: a fence starting with "$ " is a transcript: tag it \`\`\`console`);
    i = j;
  }
  return blocks;
}

/** One command of a `console` block and the lines it must print. */
export interface TranscriptStep {
  command: string;
  expected: string[];
}

/** The commands of a `console` block: `$ ` lines, continued after a trailing `\`, each followed by its output. */
export function parseTranscript(body: string, where: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  let continuing = false;
  for (const line of body.split('\n')) {
    const current = steps[steps.length - 1];
    if (continuing && current) {
      current.command += `\n${line}`;
      continuing = line.endsWith('\\');
    } else if (line.startsWith('$ ')) {
      steps.push({ command: line.slice(2), expected: [] });
      continuing = line.endsWith('\\');
    } else if (current) current.expected.push(line);
    else if (line.trim() !== '') throw new DocBlockError(`${where}: a transcript starts with a "$ " command line`);
  }
  return steps;
}
