/**
 * The lifecycles of docs/lifecycle.md, drawn from the lifecycle table (src/queue/lifecycle.ts): per
 * lifecycle a mermaid state diagram and the table of its transitions. `npm run docs` writes them
 * (scripts/docs/pages.ts); docs/architecture.md embeds the chunk's diagram ({@link renderDiagramBlock}).
 */
import { CHUNK_LIFECYCLE, LIFECYCLES, NEW, SEND_LIFECYCLE, UNSENT_CHUNK_STATES, type Lifecycle, type Transition } from '../../src/queue/lifecycle.js';
import { code, markdownTable } from './markdown.js';

/** The from-states a row's adoption adds to its own (in-doubt states it does not list). */
function adoptedFroms(t: Transition): string[] {
  const own = t.from === NEW ? [] : t.from;
  return (t.adoptsNewerAttempt ?? []).filter((s) => !own.includes(s));
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
    if (label && !labels.includes(label)) labels.push(label);
    edges.set(key, labels);
  };
  if (!lifecycle.transitions.some((t) => t.from === NEW)) add(NEW, lifecycle.start, '');
  for (const t of lifecycle.transitions) {
    for (const from of t.from === NEW ? [NEW] : t.from) add(from, t.to, t.trigger);
    for (const from of adoptedFroms(t)) add(from, t.to, `${t.trigger}*`);
  }
  const lines = ['stateDiagram-v2'];
  for (const [edge, labels] of edges) lines.push(`  ${edge}${labels.length ? ` : ${labels.join(', ')}` : ''}`);
  for (const state of lifecycle.final) lines.push(`  ${state} --> [*]`);
  return lines.join('\n');
}

/** {@link renderStateDiagram} as a fenced mermaid block, as a page shows it. */
export function renderDiagramBlock(lifecycle: Lifecycle): string {
  return `\`\`\`mermaid\n${renderStateDiagram(lifecycle)}\n\`\`\``;
}

function fromCell(t: Transition): string {
  if (t.from === NEW) return '(new record)';
  return [...t.from.map(code), ...adoptedFroms(t).map((s) => `${code(s)}*`)].join(', ');
}

/** The transitions of one lifecycle as a markdown table. */
export function renderTransitionTable(lifecycle: Lifecycle): string {
  const rows = lifecycle.transitions.map((t) => [
    code(t.trigger),
    fromCell(t),
    code(t.to),
    [...t.records.map(code), ...(t.counts ?? []).map((field) => `${code(field)} +1`)].join(', '),
    t.code ? code(t.code) : '',
    t.by.map((file) => `[${file.split('/').pop()}](../${file})`).join(', '),
    t.when,
  ]);
  return markdownTable(['Trigger', 'From', 'To', 'Records', 'Code', 'Fired by', 'When'], rows);
}

const ABOUT: Record<string, string> = {
  [CHUNK_LIFECYCLE.name]:
    "A chunk is one Dysmsapi call's worth of recipients (up to 1000 numbers for SendSms, 100 for SendBatchSms); its recipients share its state until they are accepted, then each gets its own receipt. Its record is the hash `<prefix>:chunk:<sendId>.<index>` (state, attempt, outId, sentAt, bizId, code, payload, ...).",
  [SEND_LIFECYCLE.name]:
    "A send's `state` says how far it got: written (`enqueuing`, `active`), every recipient past the API (`sent`), every recipient final (`completed`), or how else it ended (`cancelled`, `expired`, `failed`); `paused` is an operator's or auto-pause's hold. Each move records its time (`stateChangedAt`), appends to `history`, and publishes a `send` event (`from`, `state`, `code`); on the first end state it reaches, the send's callback fires. Its record is the hash `<prefix>:send:<sendId>`; its `control` field (`active`, `paused`, `cancelled`) follows the operator's moves, for the claim script and REST clients. `sent` and `completed` are recorded where the counts are seen to reach them: by the transition that moves the last unsent recipients (it reads the counts only when the count it left reaches 0), and off the send path by [completion.ts](../src/receipts/completion.ts) ([settle-send-3.lua](../src/queue/lua/settle-send-3.lua)).",
};

function section(lifecycle: Lifecycle): string {
  const title = `${lifecycle.name[0]?.toUpperCase() ?? ''}${lifecycle.name.slice(1)}`;
  const many = lifecycle.final.length > 1;
  return `## ${title}

${ABOUT[lifecycle.name] ?? ''}

States: ${lifecycle.states.map(code).join(', ')}. It starts ${code(lifecycle.start)}; ${lifecycle.final.map(code).join(', ')} ${many ? 'are' : 'is'} final (no transition leaves ${many ? 'them' : 'it'}).

${renderDiagramBlock(lifecycle)}

${renderTransitionTable(lifecycle)}`;
}

/** The triggers that take back an earlier attempt they have proof of, as the doc names them. */
const PROOF_TRIGGERS = [...new Set(CHUNK_LIFECYCLE.transitions.filter((t) => t.provesEarlierAttempt).map((t) => code(t.trigger)))].join(', ');

/** The generated part of docs/lifecycle.md: how a move is refused or adopted, then every lifecycle. */
export function renderLifecycleDoc(): string {
  return `- The chunk store and the send store refuse a trigger the table does not declare, a field the
  transition does not record, or an expected state it never leaves, before they call Redis
  (\`SMSQ_UNDECLARED_TRANSITION\`, nothing changed).
- The Lua scripts that make the moves ([src/queue/lua/](../src/queue/lua/)) receive the same table:
  it is generated into each of them as data when it is loaded (\`--@include "lifecycle"\`), they look
  moves up in it with the functions of
  [includes/lifecycle-edges.lua](../src/queue/lua/includes/lifecycle-edges.lua), and they refuse what
  it lacks the same way. TypeScript and Lua cannot disagree.
- A declared trigger whose move the table does not have from the record's current state does not
  apply (\`not-from-state\`), and neither does one for another attempt than the record's
  (\`other-attempt\`) or one whose caller expected another state (\`moved\`): a race lost, reported to
  the caller, nothing changed.
- **Adoption** (\`*\` below): a trigger that adopts also applies when the caller names a *newer*
  attempt than the record's while the record is in doubt (${UNSENT_CHUNK_STATES.map(code).join(', ')}; each
  trigger from the states marked). That proves the record lost writes (a Redis that forgot its last
  second, see [durability](durability.md)): the attempt was made, so the record takes its attempt
  number and OutId, and the move applies. Its \`sentAt\` becomes the adoption's time (the claim's is
  lost), and \`priorSentAt\` keeps the start of the attempt the record held before (the earliest since
  its last claim, which clears it): QuerySendDetails searches one day (China time), so a look-up then
  asks every day from \`priorSentAt\` to \`sentAt\`, never fewer than before the adoption (a push at
  00:20 for a chunk sent at 23:40 still has the day before searched). A pushed report is only a claim
  of such an attempt (anyone with the report token can push one, and its \`send_time\` narrows no
  look-up): \`report-lost-attempt\` puts the chunk in doubt to be looked up, and never while it is
  \`sending\`, where its worker's answer is awaited.
- **Proof of an earlier attempt**: ${PROOF_TRIGGERS} also applies when the caller names an *earlier*
  attempt than the record's (or the same attempt under another OutId) while the record is in doubt:
  Dysmsapi's accepted answer is proof, which a later attempt the record holds (adopted from a push,
  or claimed after the call was taken for lost) cannot undo. The record takes the caller's OutId
  back, so that its receipts apply, with its \`sentAt\` (the claim's time, which the worker knows),
  so that they are looked up on the day it was sent; \`adoptedAt\` and \`priorSentAt\` are cleared.
  Nothing is resent. \`attempt\` keeps counting the claims (the later one may have been made, and
  counts towards the most a chunk makes), as after a look-up that finds an earlier attempt: the
  OutId says which one was accepted.
- **The same call run twice** (its answer lost and the call sent again by the client: ioredis's
  Cluster client, once its node's link closed, to the slot's master or a replica promoted with the
  first run's writes): each call of a chunk transition carries a token of its own, which the move
  that applied keeps in the record with its answer (\`lastCall\`). The same call
  again answers as it did and changes nothing; judged anew, it would be refused as a move already
  made, or apply as a plain move with nothing adopted, and its caller skip what the move asks of it
  (see [durability](durability.md#a-producers-connection-sends-nothing-late)).
- Every move of a chunk updates its send's counts and the totals, and publishes a \`chunk\` event
  (\`from\`, \`state\`, \`n\`, \`code\`) in the same script.

${LIFECYCLES.map(section).join('\n\n')}`;
}
