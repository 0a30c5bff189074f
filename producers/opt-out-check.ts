import type { RedisConnection } from '../src/queue/connection.js';
import type { Keys } from '../src/queue/keys.js';
import { luaScript } from '../src/queue/lua.js';

/** Numbers a campaign checks per call: one round trip for the numbers of eight 1000-number chunks. */
export const OPT_OUT_CHECK_MAX = 8000;
/** Numbers per SMISMEMBER inside the script: Lua's unpack takes a few thousand values at most. */
const PER_COMMAND = 1000;

/**
 * The opt-out check of campaigns: the same answer as `SuppressionList.check` (SMISMEMBER on the
 * opt-out set), with the numbers sent as one argument and the answer as one string. Building a
 * command of a thousand arguments costs ioredis short-lived strings for every number, and its
 * reply a thousand integers: it was the largest share of a campaign's allocation per recipient
 * (docs/benchmarks.md, "Figures behind the code").
 */
export function createOptOutCheck(redis: RedisConnection, keys: Keys): (phones: readonly string[]) => Promise<boolean[]> {
  const check = luaScript(redis, 'check-opt-outs-1');
  const key = keys.suppressed();
  return async (phones) => {
    if (phones.length === 0) return [];
    if (phones.length > OPT_OUT_CHECK_MAX) throw new RangeError(`at most ${OPT_OUT_CHECK_MAX} numbers a call, got ${phones.length}`);
    const flags = String(await check(key, phones.join(','), PER_COMMAND));
    const out = new Array<boolean>(phones.length);
    for (let i = 0; i < phones.length; i++) out[i] = flags.charCodeAt(i) === 49;
    return out;
  };
}
