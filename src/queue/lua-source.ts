/**
 * The text of smsq's Lua scripts, as Redis runs them: each script is a file in ./lua/, named with
 * its key count as BullMQ names its commands (`transition-7.lua`: 7 keys; a name without a count
 * takes a variable number of keys, the first argument of each call), and shared parts are
 * included with a line `--@include "name"`: ./lua/includes/<name>.lua, or a part generated from
 * code (the lifecycle table's data). Each part is included once per script, where it is first
 * named. The files ship with the build (scripts/copy-lua.ts copies them next to the compiled code).
 */
import { readFileSync } from 'node:fs';
import { lifecycleLua } from './lifecycle-lua.js';
import { outIdLua } from './out-id.js';

const LUA_DIR = new URL('./lua/', import.meta.url);

/** Parts generated from code rather than read from includes/. */
const GENERATED_INCLUDES: Readonly<Record<string, () => string>> = { lifecycle: lifecycleLua, 'out-id': outIdLua };

const INCLUDE = /^--@include "([\w-]+)"[ \t]*$/gm;

export interface LuaSource {
  /** The file's base name, e.g. `transition-7`. */
  name: string;
  /** undefined: variable, passed as the first argument of each call. */
  numberOfKeys: number | undefined;
  /** The script with every include in place. */
  lua: string;
}

/** The key count a script's name declares (`claim-6` → 6), or undefined for a variable one. */
export function keyCountOf(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Replaces `--@include "name"` lines by the parts `read(name)` returns (recursively, each part
 * once: a second mention is dropped). A part that includes itself, directly or not, is an error.
 */
export function resolveIncludes(text: string, read: (name: string) => string, within: readonly string[] = [], done = new Set<string>()): string {
  return text.replace(INCLUDE, (_line, name: string) => {
    if (within.includes(name)) throw new Error(`Lua include cycle: ${[...within, name].join(' → ')}`);
    if (done.has(name)) return `-- (${name} included above)`;
    done.add(name);
    return resolveIncludes(read(name), read, [...within, name], done).trimEnd();
  });
}

/** One shared part by name, its own includes left in place (resolveIncludes resolves them). */
export function luaPart(name: string): string {
  const generated = GENERATED_INCLUDES[name];
  if (generated) return generated();
  try {
    return readFileSync(new URL(`includes/${name}.lua`, LUA_DIR), 'utf8');
  } catch (err) {
    throw new Error(`Lua include "${name}" not found in src/queue/lua/includes/`, { cause: err });
  }
}

const cache = new Map<string, LuaSource>();

/** A script by its file's base name, read and resolved once per process. */
export function luaSource(name: string): LuaSource {
  const cached = cache.get(name);
  if (cached) return cached;
  const text = readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8');
  const source = { name, numberOfKeys: keyCountOf(name), lua: resolveIncludes(text, luaPart) };
  cache.set(name, source);
  return source;
}
