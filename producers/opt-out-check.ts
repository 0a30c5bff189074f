import type { RedisConnection } from '../src/queue/connection.js';
import type { Keys } from '../src/queue/keys.js';
import { luaScript } from '../src/queue/lua.js';

/**
 * KEYS[1] the opt-out set; ARGV[1] numbers joined by commas, ARGV[2] numbers per SMISMEMBER →
 * one character a number, '1' when opted out; '' when nobody opted out (the set does not exist):
 * then the numbers are not even split (most of the script's cost).
 */
const CHECK_PACKED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
local phones, out, per = {}, {}, tonumber(ARGV[2])
for p in string.gmatch(ARGV[1], '[^,]+') do phones[#phones + 1] = p end
for first = 1, #phones, per do
  local flags = redis.call('SMISMEMBER', KEYS[1], unpack(phones, first, math.min(first + per - 1, #phones)))
  for i = 1, #flags do out[#out + 1] = flags[i] == 1 and '1' or '0' end
end
return table.concat(out)
`;

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
  const check = luaScript(redis, 'smsqCheckOptOutsPacked', CHECK_PACKED, 1);
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
