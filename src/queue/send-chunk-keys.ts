import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';

/**
 * The keys of a send's chunks as Redis holds them now: chunk 0 to `chunks - 1` of its record, and
 * the children of each split one (`<i>-<j>`, and theirs), read a level per round trip. For the
 * scripts that read other chunks of a send (compact-send.lua, expire-chunk-receipts.lua): Redis
 * Cluster routes a script by the keys it declares, so each names every key it touches, and a
 * script refuses one it needs that is not named (split since this read). At most `limit` chunks
 * of the send's record (none when it has no `chunks`).
 */
export async function sendChunkKeys(redis: RedisConnection, keys: Keys, sendId: string, limit: number): Promise<string[]> {
  const recorded = Number((await redis.hget(keys.send(sendId), 'chunks')) ?? '0');
  let level = Array.from({ length: Number.isSafeInteger(recorded) ? Math.max(0, Math.min(recorded, limit)) : 0 }, (_, i) => `${sendId}.${i}`);
  const found: string[] = [];
  while (level.length > 0) {
    found.push(...level.map((id) => keys.chunk(id)));
    const heads = (await redis.pipeline(level.map((id) => ['hmget', keys.chunk(id), 'state', 'n'])).exec()) ?? [];
    const next: string[] = [];
    for (const [k, [, head]] of heads.entries()) {
      const [state, n] = (head ?? []) as (string | null)[];
      if (state === 'split') for (let j = 0; j < Number(n ?? '0'); j++) next.push(`${level[k] as string}-${j}`);
    }
    level = next;
  }
  return found;
}
