import type { RedisConnection } from './connection.js';
import { UndeclaredTransitionError } from '../errors.js';
import { luaSource } from './lua-source.js';

type Arg = string | number | Buffer;

/**
 * The ioredis command name of a script file: `transition-7` → `smsqTransition7`. A connection that
 * already has a command of that name keeps it (bench/lua-scripts.ts defines another version's text
 * under it, to run that version through the same store).
 */
export function commandName(file: string): string {
  return `smsq${file.replace(/(^|-)(\w)/g, (_m, _dash: string, c: string) => c.toUpperCase())}`;
}

/**
 * A Lua script of ./lua/ (lua-source.ts) run by its SHA (ioredis `defineCommand`: EVALSHA,
 * loading the script on NOSCRIPT, i.e. on first use and after a Redis restart) rather than
 * resending its body with every EVAL: these scripts run once per call or per receipt. Defined
 * once per connection. A script whose name has no key count takes the number of keys as the
 * first argument of each call.
 */
export function luaScript(redis: RedisConnection, file: string): (...args: Arg[]) => Promise<unknown> {
  const name = commandName(file);
  const commands = redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') {
    const { lua, numberOfKeys } = luaSource(file);
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
  }
  return (...args) => (commands[name] as (...a: Arg[]) => Promise<unknown>).call(redis, ...args).catch((err: unknown) => Promise.reject(typedScriptError(err)));
}

// `SMSQ_UNDECLARED_TRANSITION <lifecycle> transition "<trigger>": <problem>` (lifecycle-lua.ts); Redis appends the script's SHA.
const UNDECLARED = /^SMSQ_UNDECLARED_TRANSITION (.+?) transition "([^"]*)": (.+?)(?: script: .*)?$/s;

/** A script's refusal with a stable code, as the typed error TypeScript would have thrown; anything else as it is. */
function typedScriptError(err: unknown): unknown {
  const m = err instanceof Error ? UNDECLARED.exec(err.message) : null;
  return m ? new UndeclaredTransitionError(m[1] as string, m[2] as string, m[3] as string) : err;
}
