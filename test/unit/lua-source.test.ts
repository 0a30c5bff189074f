/** The Lua scripts as files: their loader (includes, key counts) and their headers (BullMQ's manner). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keyCountOf, luaSource, resolveIncludes } from '../../src/queue/lua-source.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LUA_DIR = join(ROOT, 'src', 'queue', 'lua');
const SCRIPTS = readdirSync(LUA_DIR)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => f.slice(0, -'.lua'.length));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('resolveIncludes', () => {
  const parts: Record<string, string> = {
    a: '--@include "b"\nlocal a = 1\n',
    b: 'local b = 2\n',
    loop: '--@include "pool"\n',
    pool: '--@include "loop"\n',
  };
  const read = (name: string) => {
    const part = parts[name];
    if (part === undefined) throw new Error(`no part ${name}`);
    return part;
  };

  it('puts each part in place, nested parts first, each part once', () => {
    const lua = resolveIncludes('--@include "a"\n--@include "b"\nreturn a + b\n', read);
    expect(lua).toBe('local b = 2\nlocal a = 1\n-- (b included above)\nreturn a + b\n');
  });

  it('refuses a cycle and names it', () => {
    expect(() => resolveIncludes('--@include "loop"\n', read)).toThrow('Lua include cycle: loop → pool → loop');
  });

  it('passes an unknown part\'s error on, and leaves a line that only looks like an include alone', () => {
    expect(() => resolveIncludes('--@include "nope"\n', read)).toThrow('no part nope');
    expect(resolveIncludes('-- @include "b" (a comment)\n', read)).toBe('-- @include "b" (a comment)\n');
  });
});

describe('keyCountOf', () => {
  it('reads the key count from the name, and none from a name without one', () => {
    expect(keyCountOf('transition-7')).toBe(7);
    expect(keyCountOf('claim-idempotency-key-4')).toBe(4);
    expect(keyCountOf('split-chunk')).toBeUndefined();
  });
});

describe.each(SCRIPTS)('%s.lua', (name) => {
  const text = readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');
  const header = /^--\[\[\n([\s\S]*?)\n\]\]\n/.exec(text)?.[1] ?? '';
  const body = text.slice(header.length);
  const documented = (kind: 'KEYS' | 'ARGV') => [...header.matchAll(new RegExp(`^ {4}${kind}\\[(\\d+)(\\.\\.)?\\]`, 'gm'))].map((m) => ({ index: Number(m[1]), rest: m[2] === '..' }));

  it('opens with a header: what it does, Input, Output, and Events if it publishes any', () => {
    expect(header).toMatch(/\n {2}Input(?: \(.*\))?:\n/);
    expect(header).toMatch(/\n {2}Output:\n/);
    if (/'XADD'/.test(luaSource(name).lua)) expect(header).toMatch(/\n {2}Events:\n/);
  });

  it('documents each key and argument it uses, one line each, as many keys as its name says', () => {
    const keys = documented('KEYS');
    const argv = documented('ARGV');
    const count = keyCountOf(name);
    if (count !== undefined) expect(keys.map((k) => k.index)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    else expect(keys.some((k) => k.rest), 'a variable key count documents KEYS[n..]').toBe(true);
    const covered = (list: { index: number; rest: boolean }[], i: number) => list.some((d) => d.index === i || (d.rest && i >= d.index));
    for (const [, kind, index] of body.matchAll(/\b(KEYS|ARGV)\[(\d+)\]/g)) {
      expect(covered(kind === 'KEYS' ? keys : argv, Number(index)), `${kind}[${index}] is used but not in the header`).toBe(true);
    }
  });

  it('loads with every include resolved', () => {
    const { lua, numberOfKeys } = luaSource(name);
    expect(lua).not.toMatch(/^--@include/m);
    expect(numberOfKeys).toBe(keyCountOf(name));
  });
});

describe('the scripts', () => {
  it('are each loaded by the code, and the code loads no other', () => {
    const loaded = new Set<string>();
    for (const file of ['src', 'producers', 'workers'].flatMap((d) => tsFiles(join(ROOT, d)))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bluaScript\([^,()]+, '([\w-]+)'\)/g)) loaded.add(m[1] as string);
    }
    expect([...loaded].sort()).toEqual([...SCRIPTS].sort());
  });
});
