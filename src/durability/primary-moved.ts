import type { Redis } from 'ioredis';
import { DroppableRedis } from '../queue/droppable-redis.js';
import { askEachSentinel } from './sentinel-ask.js';
import { linkAddress, namesLink } from './node-address.js';

/** The least time between two questions to the sentinels for one connection (ms). */
export const PRIMARY_ASK_GAP_MS = 1000;

const lastAsked = new WeakMap<Redis, number>();
/** Connections with a question out: sentinels slow to answer (each has the connect timeout) are not asked again meanwhile. */
const asking = new WeakSet<Redis>();

/**
 * Called when a confirmation (WAIT, WAITAOF) fell short on `redis`: on a connection found through
 * Sentinel, asks a sentinel which primary it names now (`SENTINEL GET-MASTER-ADDR-BY-NAME`), at
 * most once every {@link PRIMARY_ASK_GAP_MS} per connection, and drops the link when it names
 * another node than the one the link is on, so that ioredis asks the sentinels again and reaches
 * the promoted primary. Resolves true when it dropped the link.
 *
 * After a manual `SENTINEL FAILOVER` (or a partition that leaves the old primary reachable), the
 * old primary stays up and writable until Sentinel converts it to a replica, some 10 s after the
 * promotion; the connection left it only when it answered READONLY (connection.ts). Meanwhile
 * every WAIT there fell short, each holding the connection for the durability timeout: no write
 * was acknowledged, and requests queued behind one another for 5-13 s. This only moves the
 * connection sooner: the confirmation that fell short is refused all the same, and the commands on
 * the wire at the drop fail as a lost link's do (droppable-redis.ts dropLink), never sent again.
 */
export async function leaveIfPrimaryMoved(redis: Redis): Promise<boolean> {
  const now = Date.now();
  if (!redis.options.sentinels?.length || redis.status !== 'ready') return false;
  const last = lastAsked.get(redis);
  if (last !== undefined && now - last < PRIMARY_ASK_GAP_MS) return false;
  lastAsked.set(redis, now);
  const link = redis.stream;
  const on = linkAddress(link);
  if (!on) return false;
  if (asking.has(redis)) return false;
  asking.add(redis);
  const asked = await askEachSentinel(redis, (client, name) => client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).finally(() => asking.delete(redis));
  // No sentinel answered, or none knows the name: nothing says the primary moved.
  if (!asked || !('answer' in asked) || !Array.isArray(asked.answer) || asked.answer.length < 2) return false;
  const [host, port] = (asked.answer as unknown[]).map(String) as [string, string];
  // The node the link is on, or a host that does not resolve here (ioredis could not reach it either).
  if ((await namesLink(host, port, on)) !== false) return false;
  // Only the link the question was about: one made since reached whatever the sentinels named then.
  if (redis.stream !== link || redis.status !== 'ready') return false;
  dropLink(redis);
  return true;
}

const lastLeft = new WeakMap<Redis, number>();

/**
 * Called when a count of the replicas (replica-count.ts), made on `link`, found a majority of the
 * sentinels naming another primary than the node `link` is on: drops that link, still ready, at
 * most once every {@link PRIMARY_ASK_GAP_MS} per connection (a reconnect that lands on the same
 * node is counted again, and must not drop it again at once), so that ioredis asks the sentinels
 * anew. True when it dropped the link.
 *
 * Not {@link leaveIfPrimaryMoved}: it trusts the first sentinel that answers, and the first one
 * REDIS_URL lists may be on the minority side of a partition, naming this node still: the link
 * was never dropped, and every call was refused (nothing is confirmed here) until the partition
 * healed. The majority is the count's own finding. ioredis asks the sentinels for the new link
 * from the one after the sentinel it found this node through (its SentinelIterator keeps its place
 * after a connect), so a reconnect does not ask the same minority sentinel first again; one that
 * lands here all the same is dropped again once the gap has passed.
 */
export function leaveNamedElsewhere(redis: Redis, link: unknown, now = Date.now()): boolean {
  if (!redis.options.sentinels?.length || redis.stream !== link || redis.status !== 'ready') return false;
  const last = lastLeft.get(redis);
  if (last !== undefined && now - last < PRIMARY_ASK_GAP_MS) return false;
  lastLeft.set(redis, now);
  dropLink(redis);
  return true;
}

/** Drops `redis`'s link and connects again; the commands on the wire fail (droppable-redis.ts). */
function dropLink(redis: Redis): void {
  if (redis instanceof DroppableRedis) redis.dropLink();
  else redis.disconnect(true);
}
