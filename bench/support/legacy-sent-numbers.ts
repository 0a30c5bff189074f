/**
 * The recording of sent numbers as it was before the packed log (src/receipts/sent-numbers.ts):
 * one script per chunk, one SADD per number into 4096 sets by the last six digits, and an EXPIRE
 * per set it touched. Kept here only so that the campaign bench can measure both side by side
 * (`--recording 1`); nothing in smsq writes these sets any more.
 */
import type { Redis } from 'ioredis';
import { LEGACY_SENT_NUMBER_BUCKETS } from '../../src/receipts/sent-numbers.js';

/** KEYS[1] the sets' key prefix; ARGV[1] ttl (s), ARGV[2] buckets, ARGV[3..] numbers. Returns how many numbers were new. */
const RECORD = `
local buckets, added, touched = tonumber(ARGV[2]), 0, {}
for i = 3, #ARGV do
  local key = KEYS[1] .. (tonumber(string.sub(ARGV[i], -6)) or 0) % buckets
  added = added + redis.call('SADD', key, ARGV[i])
  touched[key] = true
end
for key in pairs(touched) do redis.call('EXPIRE', key, ARGV[1]) end
return added
`;

/** Records one chunk's numbers the old way. */
export function createLegacyRecorder(redis: Redis, setPrefix: string, retentionSeconds: number): (phones: readonly string[]) => Promise<void> {
  // Bench-only, so not among smsq's scripts (src/queue/lua/): defined on the connection here.
  const name = 'smsqBenchLegacyRecordSentNumbers';
  const commands = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys: 1, lua: RECORD });
  return async (phones) => {
    if (phones.length) await (commands[name] as (...args: (string | number)[]) => Promise<unknown>).call(redis, setPrefix, retentionSeconds, LEGACY_SENT_NUMBER_BUCKETS, ...phones);
  };
}
