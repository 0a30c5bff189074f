/** The lifecycle table (src/queue/lifecycle.ts) walked as a graph, and checked against the code that fires it. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UndeclaredTransitionError } from '../../src/errors.js';
import {
  CHUNK_LIFECYCLE,
  declaredRule,
  isSentInFull,
  LIFECYCLES,
  NEW,
  SEND_LIFECYCLE,
  SENT_IN_FULL,
  targetOf,
  UNSENT_CHUNK_STATES,
  type Lifecycle,
} from '../../src/queue/lifecycle.js';
import { ADOPT_FROM, edgesConstant, encodeEdges, PROOF_FROM } from '../../src/queue/lifecycle-lua.js';
import { luaPart } from '../../src/queue/lua-source.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every move a lifecycle allows, adoption included: [from, trigger, to]. */
function moves(lifecycle: Lifecycle): [string, string, string][] {
  return lifecycle.transitions.flatMap((t) => {
    const own = (t.from === NEW ? [NEW] : t.from).map((from): [string, string, string] => [from, t.trigger, t.to]);
    const other = [...(t.adoptsNewerAttempt ?? []), ...(t.provesEarlierAttempt ?? [])].map((from): [string, string, string] => [from, t.trigger, t.to]);
    return [...own, ...other];
  });
}

function sourceFiles(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path, ext);
    return ext.test(e.name) ? [path] : [];
  });
}

describe.each(LIFECYCLES.map((l) => [l.name, l as Lifecycle] as const))('the %s lifecycle', (_name, lifecycle) => {
  it('reaches every state from its start', () => {
    const reached = new Set<string>([lifecycle.start]);
    for (const [from, , to] of moves(lifecycle)) if (from === NEW) reached.add(to);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [from, , to] of moves(lifecycle)) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...lifecycle.states].filter((s) => !reached.has(s))).toEqual([]);
  });

  it('leaves no final state, and every other state by some move', () => {
    const left = new Set(moves(lifecycle).map(([from]) => from));
    expect(lifecycle.final.filter((s) => left.has(s))).toEqual([]);
    expect(lifecycle.states.filter((s) => !lifecycle.final.includes(s) && !left.has(s))).toEqual([]);
  });

  it('has at most one move per trigger and from-state (and one target for a trigger that adopts)', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const t of lifecycle.transitions) {
      for (const from of t.from === NEW ? [NEW] : t.from) {
        const key = `${t.trigger} from ${from}`;
        if (seen.has(key)) twice.push(key);
        seen.set(key, t.to);
      }
    }
    expect(twice).toEqual([]);
    for (const t of lifecycle.transitions.filter((r) => r.adoptsNewerAttempt || r.provesEarlierAttempt)) {
      expect(new Set(lifecycle.transitions.filter((r) => r.trigger === t.trigger).map((r) => r.to)), t.trigger).toEqual(new Set([t.to]));
      // Only a record in doubt adopts an attempt, or takes one back.
      for (const from of [...(t.adoptsNewerAttempt ?? []), ...(t.provesEarlierAttempt ?? [])]) expect(UNSENT_CHUNK_STATES, t.trigger).toContain(from);
    }
  });

  it('names only its own states, and creates records only in its start state', () => {
    for (const t of lifecycle.transitions) {
      expect(lifecycle.states, t.trigger).toContain(t.to);
      if (t.from === NEW) expect(t.to, t.trigger).toBe(lifecycle.start);
      else for (const from of t.from) expect(lifecycle.states, t.trigger).toContain(from);
    }
    expect(lifecycle.states).not.toContain(NEW);
  });

  it('is fired where it says: each file it names exists and names the trigger', () => {
    const missing: string[] = [];
    for (const t of lifecycle.transitions) {
      expect(t.by.length, t.trigger).toBeGreaterThan(0);
      for (const file of t.by) {
        const path = join(ROOT, file);
        if (!existsSync(path) || !readFileSync(path, 'utf8').includes(`'${t.trigger}'`)) missing.push(`${t.trigger} in ${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('encodes for Lua one edge per move, each found where the table says', () => {
    const edges = encodeEdges(lifecycle).split('|').filter(Boolean);
    expect(new Set(edges).size).toBe(edges.length);
    expect(edges.length).toBe(lifecycle.transitions.reduce((n, t) => n + (t.from === NEW ? 1 : t.from.length) + (t.adoptsNewerAttempt?.length ?? 0) + (t.provesEarlierAttempt?.length ?? 0), 0));
  });
});

describe('the triggers the Lua scripts name', () => {
  it('are all declared, in the lifecycle whose edges they search', () => {
    const byConstant = new Map(LIFECYCLES.map((l) => [edgesConstant(l), l] as const));
    const named: string[] = [];
    const undeclared: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'), /\.lua$/)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:edgeTo|mustEdge)\((\w+_EDGES), '([a-z-]+)'/g)) {
        const lifecycle = byConstant.get(m[1] as string);
        named.push(m[2] as string);
        if (!lifecycle || !lifecycle.transitions.some((t) => t.trigger === m[2])) undeclared.push(`${m[1]} ${m[2]} (${file.slice(ROOT.length + 1)})`);
      }
    }
    expect(named.length).toBeGreaterThan(8); // the scan itself works
    expect(undeclared).toEqual([]);
  });
});

describe('the triggers the TypeScript code names', () => {
  it('are each fired from a file its row lists in `by`', () => {
    const rows = LIFECYCLES.flatMap((l) => (l as Lifecycle).transitions);
    const unlisted: string[] = [];
    let sites = 0;
    for (const file of ['producers', 'workers', 'src'].flatMap((dir) => sourceFiles(join(ROOT, dir), /\.ts$/))) {
      const path = file.slice(ROOT.length + 1);
      if (path === 'src/queue/lifecycle.ts') continue; // the table itself
      // A call site, not a type: `trigger: 'fail' | 'abandon'` declares a parameter.
      for (const m of readFileSync(file, 'utf8').matchAll(/\btrigger: '([a-z-]+)'(?!\s*\|)/g)) {
        sites++;
        if (!rows.some((t) => t.trigger === m[1] && t.by.includes(path))) unlisted.push(`${m[1]} in ${path}`);
      }
    }
    expect(sites).toBeGreaterThan(10); // the scan itself works
    expect(unlisted).toEqual([]);
  });
});

describe('includes/lifecycle-edges.lua', () => {
  it('names the pseudo-states of the generated edges as the generator writes them', () => {
    const header = luaPart('lifecycle-edges').split(']]')[0] ?? '';
    expect(header).toContain(`'${NEW}' as the from of a transition that creates`);
    expect(header).toContain(`'${ADOPT_FROM}' as the mark before the from of a trigger that adopts`);
    expect(header).toContain(`'${PROOF_FROM}' before the from of one that takes back`);
  });
});

describe('declaredRule', () => {
  it('refuses a trigger the table does not declare', () => {
    expect(() => declaredRule(CHUNK_LIFECYCLE, 'teleport')).toThrow(UndeclaredTransitionError);
    expect(() => declaredRule(SEND_LIFECYCLE, 'claim')).toThrow(/send transition "claim": no such trigger/);
  });

  it('refuses a field the transition does not record, naming the ones it does', () => {
    expect(() => declaredRule(CHUNK_LIFECYCLE, 'answer-failed', { fields: ['code', 'bizId'] })).toThrow(/does not record bizId \(it records code\)/);
    expect(declaredRule(CHUNK_LIFECYCLE, 'answer-accepted', { fields: ['bizId', 'code'] }).rows).toHaveLength(1);
  });

  it('refuses an expected state the trigger never leaves, and a code other than its fixed one', () => {
    expect(() => declaredRule(CHUNK_LIFECYCLE, 'send-missing', { expectState: 'accepted' })).toThrow(/never leaves accepted/);
    expect(() => declaredRule(CHUNK_LIFECYCLE, 'cancel', { code: 'SMSQ_DEADLINE' })).toThrow(/records the code SMSQ_CANCELLED, not SMSQ_DEADLINE/);
    expect(declaredRule(CHUNK_LIFECYCLE, 'send-missing', { expectState: 'unknown' }).code).toBe('SMSQ_SEND_MISSING');
  });

  it('gives the target of a move from a state, or none', () => {
    expect(targetOf(CHUNK_LIFECYCLE, 'send-missing', 'queued')).toBe('cancelled');
    expect(targetOf(CHUNK_LIFECYCLE, 'send-missing', 'sending')).toBe('expired');
    expect(targetOf(CHUNK_LIFECYCLE, 'claim', 'accepted')).toBeUndefined();
    expect(targetOf(SEND_LIFECYCLE, 'enqueue', NEW)).toBe('enqueuing');
    expect(targetOf(SEND_LIFECYCLE, 'resume', 'cancelled')).toBeUndefined();
    expect(targetOf(SEND_LIFECYCLE, 'complete', 'sent')).toBe('completed');
    expect(targetOf(SEND_LIFECYCLE, 'pause', 'sent')).toBeUndefined();
  });
});

describe('a cancel of a send sent in full', () => {
  it('is no move of the table, so the control script moves nothing and the producer refuses it; before that, a cancel moves the send as ever', () => {
    for (const state of SENT_IN_FULL) expect(targetOf(SEND_LIFECYCLE, 'cancel', state), state).toBeUndefined();
    for (const state of ['enqueuing', 'active', 'paused'] as const) expect(targetOf(SEND_LIFECYCLE, 'cancel', state), state).toBe('cancelled');
    expect(SEND_LIFECYCLE.states.filter(isSentInFull)).toEqual(['sent', 'completed']);
  });
});
