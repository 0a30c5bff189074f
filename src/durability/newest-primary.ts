/**
 * Whether the sentinels, taken together, name another primary than the node a connection is on:
 * by Sentinel's own rule for which configuration is newer, not by the first sentinel's word.
 *
 * A sentinel adopts another's primary only when it carries a higher config epoch (a failover
 * raises it: the epoch the leader won its election in); between equal epochs neither gives way.
 * So the views of the newest epoch any sentinel answers with decide, and an older one is a
 * sentinel that has not heard of the failover yet (cut off through it, or just resumed): the first
 * sentinel REDIS_URL lists, cut off with the old primary, named it at epoch 0 while the others
 * named the promoted node at epoch 1, and trusted first it held the connection on the old primary,
 * every confirmation refused, until the partition healed. Among the newest views:
 * - none names this node and one names another: the connection moves. A single sentinel answering
 *   (the others unreachable) moves it as its answer did before; a stale one that names a former
 *   primary sends ioredis to a replica, whose role it refuses (it asks the next sentinel).
 * - some name this node and some another (equal epochs: Sentinel never settles it): it moves only
 *   when a majority of the deployment (sentinel-majority.ts) names another node, the side that
 *   could have failed over. Fewer, a tie among them included, and it stays.
 * - none names another node (every one names this node, or a host that does not resolve here,
 *   which ioredis could not reach either): it stays.
 * Sentinels that do not answer count in neither side, only in the deployment's size. Pure: the
 * views come from primary-moved.ts.
 */
import { majorityOf, onePerSentinel, type CountedSentinel } from './sentinel-majority.js';

/** One sentinel's answer for the connection's name. */
export interface PrimaryNamed extends CountedSentinel {
  /** Whether the primary it names is the node the connection is on (undefined: its host does not resolve here). */
  namesNode: boolean | undefined;
  /** SENTINEL MASTER's `config-epoch`: the epoch of the failover that made its primary one (0: none yet). */
  configEpoch: bigint;
}

/** True when the sentinels' newest configuration names another node than the connection's (the module's comment says how). */
export function namedElsewhere(listed: number, answers: readonly PrimaryNamed[]): boolean {
  const views = onePerSentinel(answers);
  if (views.length === 0) return false;
  const current = newestViews(views);
  const elsewhere = current.filter((v) => v.namesNode === false).length;
  if (elsewhere === 0) return false;
  if (!current.some((v) => v.namesNode === true)) return true;
  return elsewhere >= majorityOf(listed, views);
}

/** The views at the newest config epoch among `views` (each sentinel once): the configuration the others give way to. */
export function newestViews<T extends PrimaryNamed>(views: readonly T[]): T[] {
  const distinct = onePerSentinel(views);
  const newest = distinct.reduce<bigint | undefined>((max, v) => (max === undefined || v.configEpoch > max ? v.configEpoch : max), undefined);
  return distinct.filter((v) => v.configEpoch === newest);
}

/**
 * The view a question about the connection's deployment is answered from (its replicas, its
 * quorum: sentinel-replicas.ts): one of the newest configuration, the first (in the order given)
 * that names the node the connection is on, else the first of them; undefined when none answered.
 */
export function newestNaming<T extends PrimaryNamed>(views: readonly T[]): T | undefined {
  const newest = newestViews(views);
  return newest.find((v) => v.namesNode === true) ?? newest[0];
}
