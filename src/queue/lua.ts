import type { RedisConnection } from './connection.js';

type Arg = string | number | Buffer;

/**
 * A Lua script run by its SHA (ioredis `defineCommand`: EVALSHA, loading the script on first use
 * and after a Redis restart) rather than resending its body with every EVAL: these scripts run
 * once per call or per receipt. Defined once per connection under `name`. Without
 * `numberOfKeys`, the first argument of each call is the number of keys.
 */
export function luaScript(redis: RedisConnection, name: string, lua: string, numberOfKeys?: number): (...args: Arg[]) => Promise<unknown> {
  const commands = redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
  return (...args) => (commands[name] as (...a: Arg[]) => Promise<unknown>).call(redis, ...args);
}
