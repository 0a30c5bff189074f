import type { Clock } from '../clock.js';
import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';
import { packByBucket, packNumber, PACKED_WIDTH, TABLE_ENTRY_WIDTH } from './sent-number-packing.js';
import { phoneValue } from '../sms/phone-value.js';

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
 * bytes (a match across two numbers is not one). The scripts: ../queue/lua/record-sent-numbers.lua
 * and check-sent-numbers.lua.
 */

const DAY_MS = 86_400_000;

/** Numbers a check script reads at most (each names a key per day of the retention, and one more). */
const CHECK_BATCH = 200;

/**
 * Before the log, numbers were kept in sets by their last six digits, 4096 of them
 * (`<prefix>:sent-to:<bucket>`), each living retentionSeconds after its last addition. They are
 * no longer written; the check still reads them, so a number recorded before an upgrade is still
 * believed until they expire.
 */
export const LEGACY_SENT_NUMBER_BUCKETS = 4096;

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
  /** One day's log of a bucket: what the record writes and the check reads. */
  const dayBucketKey = (day: number, bucket: number) => `${keys.sentNumberLogPrefix()}${day}:${bucket}`;
  const record = luaScript(redis, 'record-sent-numbers');
  const check = luaScript(redis, 'check-sent-numbers');
  return {
    async record(lists) {
      const packed = packByBucket(lists);
      if (packed.count === 0) return;
      const now = clock.now();
      const day = Math.floor(now / DAY_MS);
      // Relative, so that Redis's own clock counts it down: the key lives until the day ends, then retentionSeconds.
      const lifetime = Math.ceil(((day + 1) * DAY_MS - now) / 1000) + retentionSeconds;
      // Every bucket key named (KEYS), in the table's order: Redis Cluster routes a script by the keys it declares.
      const bucketKeys: string[] = [];
      for (let at = 0; at < packed.table.length; at += TABLE_ENTRY_WIDTH) bucketKeys.push(dayBucketKey(day, packed.table.readUInt16LE(at)));
      await record(bucketKeys.length, ...bucketKeys, lifetime, packed.table, packed.numbers, PACKED_WIDTH);
    },
    async check(phones) {
      if (phones.length === 0) return [];
      const now = clock.now();
      // A day before the oldest key that can still exist, and a day ahead for a producer whose clock runs ahead.
      const first = Math.floor((now - retentionSeconds * 1000) / DAY_MS) - 1;
      const last = Math.floor(now / DAY_MS) + 1;
      // Every key the script reads is named (KEYS): Redis Cluster routes a script by the keys it
      // declares. A day's key per number: CHECK_BATCH numbers a call, so that a call names a few
      // thousand keys at most.
      const found = phones.map(() => false);
      const valid = [...phones.keys()].filter((i) => phoneValue(phones[i] as string) !== 0);
      const days = last - first + 1;
      await Promise.all(
        Array.from({ length: Math.ceil(valid.length / CHECK_BATCH) }, async (_, b) => {
          const batch = valid.slice(b * CHECK_BATCH, (b + 1) * CHECK_BATCH);
          const names: string[] = [];
          const args: (string | Buffer)[] = [];
          for (const i of batch) {
            const phone = phones[i] as string;
            const { bucket, bytes } = packNumber(phone);
            for (let day = last; day >= first; day--) names.push(dayBucketKey(day, bucket));
            names.push(`${keys.legacySentNumberPrefix()}${Number(phone.slice(-6)) % LEGACY_SENT_NUMBER_BUCKETS}`);
            args.push(bytes, phone);
          }
          const flags = String(await check(names.length, ...names, days, PACKED_WIDTH, ...args));
          for (const [k, i] of batch.entries()) found[i] = flags.charCodeAt(k) === 49;
        }),
      );
      return found;
    },
  };
}
