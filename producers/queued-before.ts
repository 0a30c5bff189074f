import { chunkIdOf } from '../src/queue/chunk-store.js';
import type { RedisConnection } from '../src/queue/connection.js';
import type { Keys } from '../src/queue/keys.js';
import { readStoredPayload } from '../src/queue/stored-payload.js';
import { PhoneSet } from './phone-set.js';
import { comparableDigest, type ListPrefix } from './list-digest.js';

/** The chunks an earlier request of a campaign wrote into its send before it was cut off. */
export interface QueuedBefore {
  /** How many: chunks `0..chunks-1` exist (a campaign writes them in order, so they are a prefix). */
  chunks: number;
  /** Recipients they hold. */
  recipients: number;
  /** Their numbers. */
  phones: PhoneSet;
  /**
   * How far the requests that wrote them had read their list, as their writes kept it
   * (chunk-store.ts ListRead), fewest rows first: a repeat must read the same rows that far
   * before it writes anything. Empty for chunks of a version before (or of another digest scheme).
   */
  list: ListPrefix[];
}

/** Chunk records read in one round trip. */
const READ_BATCH = 100;

/**
 * Reads the chunks a campaign's send already holds, for the request that takes it over under the
 * same idempotency key (producers/campaign.ts `queuedBefore`). That request routes its list again,
 * and chunks that exist are kept as they are: if it cut the list anew, one number that opted out
 * in between (a recipient of the first chunks replying TD) shifted every chunk after it, and the
 * numbers at the start of the first chunk not written were left out of every chunk
 * (test/integration/campaign-retry-opt-outs.test.ts: 5 of 6,000 recipients never sent, the send
 * reading complete). The numbers read here are skipped instead, and the rest cut into new chunks.
 */
export async function readQueuedBefore(redis: RedisConnection, keys: Keys, sendId: string): Promise<QueuedBefore> {
  const before: QueuedBefore = { chunks: 0, recipients: 0, phones: new PhoneSet(), list: [] };
  for (;;) {
    const p = redis.pipeline();
    for (let i = 0; i < READ_BATCH; i++) p.hmget(keys.chunk(chunkIdOf(sendId, String(before.chunks + i))), 'n', 'payload', 'listRows', 'listDigest');
    const rows = (await p.exec()) ?? [];
    for (const [err, row] of rows) {
      if (err) throw err;
      const [n, payload, listRows, listDigest] = row as [string | null, string | null, string | null, string | null];
      if (n === null) return { ...before, list: before.list.sort((x, y) => x.rows - y.rows) };
      if (listRows !== null && listDigest !== null && comparableDigest(listDigest)) before.list.push({ rows: Number(listRows), digest: listDigest });
      before.chunks++;
      before.recipients += Number(n);
      // A payload that does not parse is never sent (its chunk fails without a call): its numbers go in a new chunk.
      const stored = readStoredPayload(payload ?? undefined);
      if (stored.ok) for (const phone of stored.payload.phones) before.phones.add(phone);
    }
  }
}
