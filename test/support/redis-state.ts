import { sendKeysOf } from './harness-cli.js';
import type { Harness } from './pipeline.js';

/**
 * Every key and value under the harness's prefix (the catalog's cache and the pacer left out),
 * each as text: what a refused request must leave as it was.
 */
export async function redisState(h: Harness): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await sendKeysOf(h)) {
    const type = await h.redis.type(key);
    if (type === 'string') out[key] = (await h.redis.get(key)) ?? '';
    else if (type === 'hash') out[key] = JSON.stringify(Object.entries(await h.redis.hgetall(key)).sort());
    else if (type === 'zset') out[key] = JSON.stringify(await h.redis.zrange(key, 0, -1, 'WITHSCORES'));
    else if (type === 'set') out[key] = JSON.stringify((await h.redis.smembers(key)).sort());
    else if (type === 'list') out[key] = JSON.stringify(await h.redis.lrange(key, 0, -1));
    else if (type === 'stream') out[key] = JSON.stringify(await h.redis.xrange(key, '-', '+'));
    else out[key] = type;
  }
  return out;
}
