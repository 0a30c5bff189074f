import type { Redis } from 'ioredis';
import { DroppableRedis } from '../queue/droppable-redis.js';
import { askAllSentinels } from './sentinel-ask.js';
import { namedElsewhere, type PrimaryNamed } from './newest-primary.js';
import { listedSentinels } from './sentinel-majority.js';
import { askPrimaryNamed } from './primary-named.js';
import { linkAddress, namesLink } from './node-address.js';

/** The least time between two questions to the sentinels for one connection (ms). */
export const PRIMARY_ASK_GAP_MS = 1000;

const lastAsked = new WeakMap<Redis, number>();
/** Connections with a question out: sentinels slow to answer (each has the connect timeout) are not asked again meanwhile. */
const asking = new WeakSet<Redis>();

/**
 * Called when a confirmation (WAIT, WAITAOF) fell short on `redis`: on a connection found through
 * Sentinel, asks every sentinel it lists at once which primary they name now, at most once every
 * {@link PRIMARY_ASK_GAP_MS} per connection, and drops the link when their newest configuration
 * names another node than the one the link is on (newest-primary.ts), so that ioredis asks the
 * sentinels again and reaches the promoted primary. Resolves true when it dropped the link.
 *
 * After a manual `SENTINEL FAILOVER` (or a partition that leaves the old primary reachable), the
 * old primary stays up and writable until Sentinel converts it to a replica, some 10 s after the
 * promotion; the connection left it only when it answered READONLY (connection.ts). Meanwhile
 * every WAIT there fell short, each holding the connection for the durability timeout: no write
 * was acknowledged, and requests queued behind one another for 5-13 s. This only moves the
 * connection sooner: the confirmation that fell short is refused all the same, and the commands on
 * the wire at the drop fail as a lost link's do (droppable-redis.ts dropLink), never sent again.
 *
 * Every sentinel, not the first that answers: the first REDIS_URL lists may be on the old
 * primary's side of a partition, naming it still (at an older epoch after a real failover, at the
 * same one when the sentinels were split another way), and trusted alone it held the connection
 * there, every confirmation refused, until the partition healed. Asked at once, each within the
 * connect timeout: one after another, sentinels whose hosts are down cost one timeout each.
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
  const answers = await askAllSentinels(redis, askPrimaryNamed).finally(() => asking.delete(redis));
  const views: PrimaryNamed[] = [];
  // A sentinel that did not answer, or does not know the name (GET-MASTER-ADDR-BY-NAME's nil), says nothing.
  for (const asked of answers ?? []) {
    if (!('answer' in asked) || !asked.answer.named) continue;
    const { id, named, configEpoch, sentinelsKnown } = asked.answer;
    views.push({ id, configEpoch, sentinelsKnown, namesNode: await namesLink(named[0], named[1], on) });
  }
  if (!namedElsewhere(listedSentinels(redis), views)) return false;
  // Only the link the question was about: one made since reached whatever the sentinels named then.
  if (redis.stream !== link || redis.status !== 'ready') return false;
  dropLink(redis);
  return true;
}

const lastLeft = new WeakMap<Redis, number>();

/**
 * Called when a count of the replicas (replica-count.ts), made on `link`, found the sentinels
 * naming another primary than the node `link` is on (judged as {@link leaveIfPrimaryMoved} judges
 * it: newest-primary.ts): drops that link, still ready, at
 * most once every {@link PRIMARY_ASK_GAP_MS} per connection (a reconnect that lands on the same
 * node is counted again, and must not drop it again at once), so that ioredis asks the sentinels
 * anew. True when it dropped the link.
 *
 * Not {@link leaveIfPrimaryMoved} itself: the finding is the count's own, made on `link`, and
 * asking the sentinels again would only say it twice (it once trusted the first sentinel to
 * answer, which may be on the minority side of a partition, naming this node still: the link was
 * never dropped, and every call was refused until the partition healed). ioredis asks the sentinels for the new link
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
