/**
 * The lifecycle table (lifecycle.ts) as Lua data, for the scripts that move records: `--@include
 * "lifecycle"` in a script is replaced by this text when the script is loaded (lua-source.ts);
 * the scripts search it with the functions of `--@include "lifecycle-edges"`.
 *
 * Each lifecycle becomes one constant string of edges, `|trigger:from>to|...` (`*from` as the from
 * of a trigger that adopts a newer attempt from that state, `<from` of one that takes back an
 * earlier attempt it has proof of), searched with a plain `string.find`: a constant is built once
 * when Redis compiles the script, where a Lua table would be built again on every call.
 */
import { LIFECYCLES, NEW, SEND_END_STATES, UNSENT_CHUNK_STATES, type Lifecycle } from './lifecycle.js';

/** The mark before the from of an adoption edge in the encoded string. */
export const ADOPT_FROM = '*';
/** The mark before the from of an edge for a caller's earlier attempt with proof (provesEarlierAttempt). */
export const PROOF_FROM = '<';

/** The edges of one lifecycle, encoded: `|trigger:from>to|` for each row and from-state. */
export function encodeEdges(lifecycle: Lifecycle): string {
  const edges: string[] = [];
  for (const t of lifecycle.transitions) {
    const froms = t.from === NEW ? [NEW] : t.from;
    for (const from of froms) edges.push(`${t.trigger}:${from}>${t.to}`);
    for (const from of t.adoptsNewerAttempt ?? []) edges.push(`${t.trigger}:${ADOPT_FROM}${from}>${t.to}`);
    for (const from of t.provesEarlierAttempt ?? []) edges.push(`${t.trigger}:${PROOF_FROM}${from}>${t.to}`);
  }
  return `|${edges.join('|')}|`;
}

/** The Lua name of a lifecycle's edges constant: `CHUNK_EDGES`, `SEND_EDGES`. */
export function edgesConstant(lifecycle: Lifecycle): string {
  return `${lifecycle.name.toUpperCase().replace(/[^A-Z]+/g, '_')}_EDGES`;
}

function luaString(s: string): string {
  if (!/^[\w|:<>*.,-]*$/.test(s)) throw new Error(`cannot quote ${JSON.stringify(s)} for Lua`);
  return `'${s}'`;
}

/** The generated include: the table's data only; the functions that search it are includes/lifecycle-edges.lua. */
export function lifecycleLua(): string {
  const constants = LIFECYCLES.map((l) => `local ${edgesConstant(l)} = ${luaString(encodeEdges(l))}`);
  return `-- Generated from src/queue/lifecycle.ts when the script is loaded; do not copy it by hand.
${constants.join('\n')}
-- Chunk states not past the API (UNSENT_CHUNK_STATES): the only ones an adoption leaves.
local IN_DOUBT = ${luaString(`|${UNSENT_CHUNK_STATES.join('|')}|`)}
-- The states a send ends in.
local SEND_ENDS = ${luaString(`|${SEND_END_STATES.join('|')}|`)}
`;
}
