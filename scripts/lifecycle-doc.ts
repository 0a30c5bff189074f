/**
 * docs/lifecycle.md, drawn from the lifecycle table (src/queue/lifecycle.ts): a mermaid state
 * diagram and a table of transitions per lifecycle. `npm run docs:lifecycle` writes it; a unit
 * test fails when the page is stale. The docs may embed {@link renderStateDiagram} elsewhere.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { argv } from 'node:process';
import { fileURLToPath } from 'node:url';
import { CHUNK_LIFECYCLE, LIFECYCLES, NEW, SEND_CONTROL_LIFECYCLE, SEND_LIFECYCLE, UNSENT_CHUNK_STATES, type Lifecycle, type Transition } from '../src/queue/lifecycle.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the page lives, from the repository's root. */
export const LIFECYCLE_DOC = 'docs/lifecycle.md';

/** The command that rewrites it. */
export const LIFECYCLE_DOC_COMMAND = 'npm run docs:lifecycle';

/** The from-states a row's adoption adds to its own (in-doubt states it does not list). */
function adoptedFroms(t: Transition): string[] {
  if (!t.adoptsNewerAttempt) return [];
  const own = t.from === NEW ? [] : t.from;
  return UNSENT_CHUNK_STATES.filter((s) => !own.includes(s));
}

/**
 * A mermaid `stateDiagram-v2` of one lifecycle: one arrow per pair of states, labelled with every
 * trigger that takes a record along it; `*` marks a trigger that does so only for a caller's newer
 * attempt (the record adopts it).
 */
export function renderStateDiagram(lifecycle: Lifecycle): string {
  const edges = new Map<string, string[]>();
  const add = (from: string, to: string, label: string) => {
    const key = `${from === NEW ? '[*]' : from} --> ${to}`;
    const labels = edges.get(key) ?? [];
    if (!labels.includes(label)) labels.push(label);
    edges.set(key, labels);
  };
  if (!lifecycle.transitions.some((t) => t.from === NEW)) add(NEW, lifecycle.start, '');
  for (const t of lifecycle.transitions) {
    for (const from of t.from === NEW ? [NEW] : t.from) add(from, t.to, t.trigger);
    for (const from of adoptedFroms(t)) add(from, t.to, `${t.trigger}*`);
  }
  const lines = ['stateDiagram-v2'];
  for (const [edge, labels] of edges) {
    const label = labels.filter(Boolean).join(', ');
    lines.push(`  ${edge}${label ? ` : ${label}` : ''}`);
  }
  for (const state of lifecycle.final) lines.push(`  ${state} --> [*]`);
  return lines.join('\n');
}

const code = (s: string) => `\`${s}\``;

function fromCell(t: Transition): string {
  if (t.from === NEW) return '(new record)';
  const adopted = adoptedFroms(t);
  return [...t.from.map(code), ...adopted.map((s) => `${code(s)}*`)].join(', ');
}

/** The transitions of one lifecycle as a markdown table. */
export function renderTransitionTable(lifecycle: Lifecycle): string {
  const rows = lifecycle.transitions.map((t) =>
    [
      code(t.trigger),
      fromCell(t),
      code(t.to),
      t.records.map(code).join(', '),
      t.code ? code(t.code) : '',
      t.by.map((file) => `[${file.split('/').pop()}](../${file})`).join(', '),
      t.when,
    ].join(' | '),
  );
  return ['| Trigger | From | To | Records | Code | Fired by | When |', '|---|---|---|---|---|---|---|', ...rows.map((r) => `| ${r} |`)].join('\n');
}

const ABOUT: Record<string, string> = {
  [CHUNK_LIFECYCLE.name]:
    'A chunk is one Dysmsapi call\'s worth of recipients (up to 1000 numbers for SendSms, 100 for SendBatchSms); its recipients share its state until they are accepted, then each gets its own receipt. Its record is the hash `<prefix>:chunk:<sendId>.<index>` (state, attempt, outId, sentAt, bizId, code, payload, ...).',
  [SEND_LIFECYCLE.name]: 'A send\'s `state` says how far its enqueue got, and whether it failed as a whole. Its record is the hash `<prefix>:send:<sendId>`.',
  [SEND_CONTROL_LIFECYCLE.name]:
    'A send\'s `control` is what an operator (or auto-pause) asked for: `smsq campaign pause|resume|cancel`, the producer API\'s `pause`, `resume`, `cancel`. A send without one is active.',
};

function section(lifecycle: Lifecycle): string {
  const title = lifecycle.name[0]?.toUpperCase() + lifecycle.name.slice(1);
  return `## ${title}

${ABOUT[lifecycle.name] ?? ''}

States: ${lifecycle.states.map(code).join(', ')}. It starts ${code(lifecycle.start)}; ${lifecycle.final.map(code).join(', ')} ${lifecycle.final.length > 1 ? 'are final' : 'is final'} (no transition leaves ${lifecycle.final.length > 1 ? 'them' : 'it'}).

\`\`\`mermaid
${renderStateDiagram(lifecycle)}
\`\`\`

${renderTransitionTable(lifecycle)}
`;
}

/** The whole page. */
export function renderLifecycleDoc(): string {
  return `# Lifecycles of chunks and sends

<!-- Generated from src/queue/lifecycle.ts by \`${LIFECYCLE_DOC_COMMAND}\`; do not edit by hand (a test fails when it is stale). -->

Every state a chunk or a send can be in, and every move between them, is declared once, as data,
in [src/queue/lifecycle.ts](../src/queue/lifecycle.ts): the trigger that fires the move, the
states it leaves, the state it reaches and what it records. Code names the trigger; the table
gives the target.

- The chunk store and the send store refuse a trigger the table does not declare, a field the
  transition does not record, or an expected state it never leaves, before they call Redis
  (\`SMSQ_UNDECLARED_TRANSITION\`, nothing changed).
- The Lua scripts that make the moves ([src/queue/lua/](../src/queue/lua/)) receive the same table:
  it is generated into each of them when it is loaded (\`--@include "lifecycle"\`), and they refuse
  what it lacks the same way. TypeScript and Lua cannot disagree.
- A declared trigger whose move the table does not have from the record's current state does not
  apply (\`not-from-state\`), and neither does one for another attempt than the record's
  (\`other-attempt\`) or one whose caller expected another state (\`moved\`): a race lost, reported to
  the caller, nothing changed.
- **Adoption** (\`*\` below): a trigger that adopts also applies when the caller names a *newer*
  attempt than the record's while the record is in doubt (${UNSENT_CHUNK_STATES.map(code).join(', ')}). That proves
  the record lost writes (a Redis that forgot its last second, see [durability.md](durability.md)):
  the attempt was made, so the record takes its attempt number and OutId, and the move applies.
- Every move of a chunk updates its send's counts and the totals, and publishes a \`chunk\` event
  (\`from\`, \`state\`, \`n\`, \`code\`) in the same script.

${LIFECYCLES.map(section).join('\n')}`;
}

if (argv[1] && resolve(argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(join(ROOT, LIFECYCLE_DOC), renderLifecycleDoc());
}
