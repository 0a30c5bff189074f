/**
 * How the sent-number log (sent-numbers.ts) lays numbers out. A number's value v (phone-value.ts)
 * goes to bucket `v % SENT_NUMBER_BUCKETS`, where it is stored as `floor(v / SENT_NUMBER_BUCKETS)`
 * in {@link PACKED_WIDTH} bytes, little-endian: the bucket is the rest of the value, so nothing is
 * lost, and the low byte comes first because it varies most (a byte search through a bucket then
 * rarely stops at a place that is not a match).
 *
 * Values are below 10^15, so the stored part is below 10^15 / 1024 < 2^40: five bytes.
 */
import { phoneValue } from '../sms/phone-value.js';

export const SENT_NUMBER_BUCKETS = 1024;
export const PACKED_WIDTH = 5;
/** Bytes of one table entry: the bucket (2 bytes) and how many numbers follow for it (4 bytes), little-endian. */
export const TABLE_ENTRY_WIDTH = 6;

/** Numbers grouped by bucket, ready for the log's record script. */
export interface PackedNumbers {
  /** One {@link TABLE_ENTRY_WIDTH}-byte entry per bucket that has numbers, in the order of `numbers`. */
  table: Buffer;
  /** Every number, {@link PACKED_WIDTH} bytes each, grouped by bucket in the order of `table`. */
  numbers: Buffer;
  count: number;
}

/** The bucket of a number and the bytes it is stored as there. */
export function packNumber(phone: string): { bucket: number; bytes: Buffer } {
  const value = valueOrThrow(phone);
  const stored = Math.floor(value / SENT_NUMBER_BUCKETS);
  const bytes = Buffer.alloc(PACKED_WIDTH);
  writeStored(bytes, 0, stored);
  return { bucket: value - stored * SENT_NUMBER_BUCKETS, bytes };
}

/** The numbers of one or more lists (a chunk's numbers each), grouped by bucket; a counting sort, two passes. */
export function packByBucket(lists: readonly (readonly string[])[]): PackedNumbers {
  let count = 0;
  for (const list of lists) count += list.length;
  // Division by a power of two and Math.floor are exact on these integers, and cheaper than `%` on doubles.
  const stored = new Float64Array(count);
  const bucketOf = new Uint16Array(count);
  const perBucket = new Uint32Array(SENT_NUMBER_BUCKETS);
  let k = 0;
  for (const list of lists) {
    for (const phone of list) {
      const value = valueOrThrow(phone);
      const quotient = Math.floor(value / SENT_NUMBER_BUCKETS);
      const bucket = value - quotient * SENT_NUMBER_BUCKETS;
      stored[k] = quotient;
      bucketOf[k] = bucket;
      perBucket[bucket] = (perBucket[bucket] as number) + 1;
      k++;
    }
  }
  let used = 0;
  for (let b = 0; b < SENT_NUMBER_BUCKETS; b++) if (perBucket[b]) used++;
  const table = Buffer.allocUnsafe(used * TABLE_ENTRY_WIDTH);
  // Where each bucket's numbers start (in numbers), reused as the fill position.
  const at = new Uint32Array(SENT_NUMBER_BUCKETS);
  let offset = 0;
  let entry = 0;
  for (let b = 0; b < SENT_NUMBER_BUCKETS; b++) {
    const n = perBucket[b] as number;
    if (n === 0) continue;
    table.writeUInt16LE(b, entry);
    table.writeUInt32LE(n, entry + 2);
    entry += TABLE_ENTRY_WIDTH;
    at[b] = offset;
    offset += n;
  }
  const numbers = Buffer.allocUnsafe(count * PACKED_WIDTH);
  for (let i = 0; i < count; i++) {
    const bucket = bucketOf[i] as number;
    const slot = at[bucket] as number;
    at[bucket] = slot + 1;
    writeStored(numbers, slot * PACKED_WIDTH, stored[i] as number);
  }
  return { table, numbers, count };
}

/** The numbers stored in one bucket's log, back as strings (tests and tools). */
export function unpackBucket(bucket: number, log: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i + PACKED_WIDTH <= log.length; i += PACKED_WIDTH) out.push(String(log.readUIntLE(i, PACKED_WIDTH) * SENT_NUMBER_BUCKETS + bucket));
  return out;
}

/** Writes a stored part (below 2^40) in PACKED_WIDTH bytes, low byte first. */
function writeStored(into: Buffer, at: number, stored: number): void {
  const high = Math.floor(stored / 0x1_0000_0000);
  const low = stored - high * 0x1_0000_0000;
  into[at] = low & 0xff;
  into[at + 1] = (low >>> 8) & 0xff;
  into[at + 2] = (low >>> 16) & 0xff;
  into[at + 3] = low >>> 24;
  into[at + 4] = high;
}

function valueOrThrow(phone: string): number {
  const value = phoneValue(phone);
  // normalizePhone never yields such a number: recording one is a bug, not bad input.
  if (value === 0) throw new RangeError(`not a normalised phone number (1-15 digits, no leading zero; got ${phone.length} characters)`);
  return value;
}
