import type { Clock } from '../clock.js';
import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';
import { packByBucket, PACKED_WIDTH, SENT_NUMBER_BUCKETS, TABLE_ENTRY_WIDTH } from './sent-number-packing.js';

/**
 * The numbers smsq was asked to send to, so that a pushed SmsUp reply (which names no send) is
 * believed only for a number that could have received one of our messages: a forged opt-out of
 * a stranger's number changes nothing. The answer is exact: a number is believed only if it was
 * recorded.
 *
 * A log per day and bucket: each enqueue APPENDs its numbers, packed 5 bytes each and grouped by
 * bucket (sent-number-packing.ts), to the string of its bucket for the day: one script per batch
 * of chunks, one APPEND per bucket it touches, whatever the number of numbers. A set per bucket
 * cost one SADD per number and an EXPIRE per bucket per chunk, which was most of a large
 * campaign's Redis time (docs/benchmarks.md, "Figures behind the code"). A day's key expires
 * `retentionSeconds` after the day ends, so a number is remembered at least that long and at
 * most a day longer. A number enqueued again is logged again (no de-duplication across
 * enqueues): 5 bytes per number per enqueue is the memory cost.
 *
 * The check reads a bucket's key for each day of the retention (at most a few hundred, most
 * missing or small) and searches it for the 5 bytes, believing only a match at a multiple of 5
 * bytes (a match across two numbers is not one).
 */

const DAY_MS = 86_400_000;

/**
 * Before the log, numbers were kept in sets by their last six digits, 4096 of them
 * (`<prefix>:sent-to:<bucket>`), each living retentionSeconds after its last addition. They are
 * no longer written; the check still reads them, so a number recorded before an upgrade is still
 * believed until they expire.
 */
export const LEGACY_SENT_NUMBER_BUCKETS = 4096;

/**
 * KEYS[1] the prefix of the day's bucket keys (`<prefix>:sent-numbers:<day>:`; every bucket key
 * shares its hash tag, so the script may name them as BullMQ's scripts name job keys).
 * ARGV[1] the lifetime of a key this call creates (s), ARGV[2] the table (6 bytes per bucket: bucket u16 LE,
 * count u32 LE), ARGV[3] the packed numbers in table order, ARGV[4] bytes per number.
 * Returns how many buckets were appended to.
 */
const RECORD = `
local entries, numbers, width = ARGV[2], ARGV[3], tonumber(ARGV[4])
local pos, appended = 1, 0
for i = 1, #entries, ${TABLE_ENTRY_WIDTH} do
  local b0, b1, c0, c1, c2, c3 = string.byte(entries, i, i + 5)
  local len = (c0 + c1 * 256 + c2 * 65536 + c3 * 16777216) * width
  local key = KEYS[1] .. (b0 + b1 * 256)
  if redis.call('APPEND', key, string.sub(numbers, pos, pos + len - 1)) == len then
    redis.call('EXPIRE', key, ARGV[1])
  end
  pos = pos + len
  appended = appended + 1
end
return appended
`;

/**
 * KEYS[1] the prefix of all days' bucket keys (`<prefix>:sent-numbers:`), KEYS[2] the prefix of
 * the legacy sets (`<prefix>:sent-to:`). ARGV[1] first day, ARGV[2] last day (days since the
 * epoch, UTC), ARGV[3] buckets, ARGV[4] legacy buckets, ARGV[5] bytes per number, ARGV[6..] the
 * numbers. Returns one character per number: '1' recorded, '0' not.
 */
const CHECK = `
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
local buckets, legacy, width = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local flags = {}
for i = 6, #ARGV do
  local phone = ARGV[i]
  local found = false
  if #phone <= 15 and string.find(phone, '^[1-9]%d*$') then
    local value = tonumber(phone)
    local bucket = value % buckets
    local rest = (value - bucket) / buckets
    local bytes = {}
    for k = 1, width do
      bytes[k] = rest % 256
      rest = (rest - bytes[k]) / 256
    end
    local packed = string.char(unpack(bytes))
    for day = last, first, -1 do
      local log = redis.call('GET', KEYS[1] .. day .. ':' .. bucket)
      if log then
        local at = string.find(log, packed, 1, true)
        while at do
          if (at - 1) % width == 0 then
            found = true
            break
          end
          at = string.find(log, packed, at + 1, true)
        end
      end
      if found then break end
    end
    if not found then
      found = redis.call('SISMEMBER', KEYS[2] .. ((tonumber(string.sub(phone, -6)) or 0) % legacy), phone) == 1
    end
  end
  flags[#flags + 1] = found and '1' or '0'
end
return table.concat(flags)
`;

export interface SentNumbers {
  /** Remembers the numbers of one or more chunks (normalised numbers), in one round trip. */
  record(lists: readonly (readonly string[])[]): Promise<void>;
  /** For each number, whether smsq was asked to send to it within the retention period. */
  check(phones: readonly string[]): Promise<boolean[]>;
}

export interface SentNumbersOptions {
  redis: RedisConnection;
  keys: Keys;
  /** How long a number is remembered after the day it was recorded (at least). */
  retentionSeconds: number;
  clock: Clock;
}

export function createSentNumbers({ redis, keys, retentionSeconds, clock }: SentNumbersOptions): SentNumbers {
  const record = luaScript(redis, 'smsqRecordSentNumbers', RECORD, 1);
  const check = luaScript(redis, 'smsqCheckSentNumbers', CHECK, 2);
  return {
    async record(lists) {
      const packed = packByBucket(lists);
      if (packed.count === 0) return;
      const now = clock.now();
      const day = Math.floor(now / DAY_MS);
      // Relative, so that Redis's own clock counts it down: the key lives until the day ends, then retentionSeconds.
      const lifetime = Math.ceil(((day + 1) * DAY_MS - now) / 1000) + retentionSeconds;
      await record(`${keys.sentNumberLogPrefix()}${day}:`, lifetime, packed.table, packed.numbers, PACKED_WIDTH);
    },
    async check(phones) {
      if (phones.length === 0) return [];
      const now = clock.now();
      // A day before the oldest key that can still exist, and a day ahead for a producer whose clock runs ahead.
      const first = Math.floor((now - retentionSeconds * 1000) / DAY_MS) - 1;
      const last = Math.floor(now / DAY_MS) + 1;
      const flags = String(await check(keys.sentNumberLogPrefix(), keys.legacySentNumberPrefix(), first, last, SENT_NUMBER_BUCKETS, LEGACY_SENT_NUMBER_BUCKETS, PACKED_WIDTH, ...phones));
      return phones.map((_, i) => flags.charCodeAt(i) === 49);
    },
  };
}
