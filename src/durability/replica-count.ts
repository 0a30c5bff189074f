/**
 * `SMSQ_DURABILITY_REPLICAS=all` (through Sentinel): how many replicas a confirmation (WAIT,
 * WAITAOF) counts, following the replicas up instead of a fixed number.
 *
 * A fixed count that covers every replica up is what a failover leaving the old primary writable
 * needs (promotion.ts judgeLeftWritable), but it cannot follow a replica gone for good: after the
 * primary's host died, the promoted replica had one replica fewer, WAIT never met the count, and
 * every call was held until the dead host came back or an operator lowered the setting.
 *
 * What must hold: a write confirmed on this primary is on the replica Sentinel would promote. So
 * the count is the size of a set of replicas, by address: every replica attached to this primary
 * (INFO replication's `slaveN` lines), and every replica the sentinels list for it that could be
 * promoted. Counted apart and compared by size, the two could be different replicas: one attached
 * but cut off from the sentinels, another up for them but cut off from the primary; WAIT 1 met by
 * the first, the second promoted, and every write confirmed meanwhile lost (review31: a partition
 * {primary, one replica} against {the other replica, the sentinels}: 681 of 681 acknowledged sends
 * lost). In the set, a replica not attached is one WAIT never hears from: the count cannot be met,
 * and calls wait. A listed replica is left out only when a majority of the deployment's sentinels,
 * each naming this node as the primary, flag it `s_down` or `o_down` (a momentary `disconnected`
 * is not enough): only one side of a partition can hold a majority, and Sentinel needs one to
 * fail over. Without a majority naming this node, every replica any sentinel lists counts, and the
 * count never falls below the one before; when the sentinels name another primary (their newest
 * config epoch first, then a majority: newest-primary.ts, as a confirmation that falls short judges
 * it), nothing is confirmed here at all (the connection is moved: primary-moved.ts).
 */
import type { Redis } from 'ioredis';
import { parseInfo } from './probe.js';
import { linkAddress, namesLink, type LinkAddress } from './node-address.js';
import { namedElsewhere, newestViews, type PrimaryNamed } from './newest-primary.js';
import { askPrimaryNamed, sentinelFields } from './primary-named.js';
import { askAllSentinels } from './sentinel-ask.js';
import { listReplicas } from './sentinel-replicas.js';
import type { ReplicaCount } from './promotion.js';
import type { SentinelsListed } from './sentinels-listed.js';
import { leaveNamedElsewhere } from './primary-moved.js';
import { listedSentinels, majorityOf, onePerSentinel, sentinelsKnown } from './sentinel-majority.js';

export type { ReplicaCount };

/** A replica as one sentinel lists it for the primary. */
export interface ListedReplica {
  /** `ip:port`, as the primary's INFO names it (Sentinel learns replicas from that line). */
  address: string;
  /** Flagged `s_down` or `o_down`: this sentinel holds it down past its down-after-milliseconds. */
  down: boolean;
  /** `replica-priority` (0: never promoted; lower first). */
  priority: number;
  /** Sentinel's `runid` for it: the `run_id` of the process it last read INFO from there; empty or absent when it never has. */
  runId?: string;
}

/** One sentinel's view of the primary it monitors under the connection's name. */
export interface SentinelView extends PrimaryNamed {
  replicas: readonly ListedReplica[];
}

export interface ReplicaCountFacts {
  /** Sentinels the connection lists (asked, whether or not they answered). */
  listed: number;
  /** The views of the sentinels that answered. */
  views: readonly SentinelView[];
  /** The replicas attached to this primary now, `ip:port` (INFO replication). */
  attached: readonly string[];
  /**
   * The count made before on this connection, if any: a floor unless a majority names this node.
   * On whichever link, and primary, it was made: a floor only raises the count (WAIT must hear
   * from more replicas, never fewer), and kept to one link, a reconnect with the sentinels out of
   * reach would count only the replicas attached then, leaving out one cut off from the primary
   * that they could promote (review31); on a promoted primary, the replicas the sentinels have not
   * yet pointed at it.
   */
  previous: number | undefined;
}

/**
 * The set of replicas a confirmation must reach (the module's comment says why each is in it), or
 * `elsewhere`. Pure: {@link countReplicas} gathers the facts.
 */
export function replicasToConfirm(facts: ReplicaCountFacts): ReplicaCount {
  const views = onePerSentinel(facts.views);
  const majority = majorityOf(facts.listed, views);
  // Where the primary is, as a confirmation that falls short judges it (primary-moved.ts): the
  // newest config epoch first. A plain majority took a stale one's word over it.
  if (namedElsewhere(facts.listed, views)) return { elsewhere: true };
  // Only the newest configuration's word leaves a replica out: sentinels at an older epoch have
  // not heard of a failover, and their votes left out the replica it promoted (review32b). Too few
  // of them naming this node (others naming a host not resolved here), and nothing is left out.
  const naming = newestViews(views).filter((v) => v.namesNode === true);
  const counted = new Set(facts.attached);
  if (naming.length < majority) {
    for (const view of views) for (const r of view.replicas) counted.add(r.address);
    return { count: Math.max(counted.size, facts.previous ?? 0), leftOut: 0, replicas: [...counted] };
  }
  const downVotes = new Map<string, number>();
  const priority = new Map<string, number>();
  for (const view of naming) {
    for (const r of view.replicas) {
      downVotes.set(r.address, (downVotes.get(r.address) ?? 0) + (r.down ? 1 : 0));
      priority.set(r.address, Math.min(priority.get(r.address) ?? Infinity, r.priority));
    }
  }
  const gone = [...downVotes].filter(([address, votes]) => votes >= majority && !counted.has(address)).map(([address]) => address);
  for (const address of downVotes.keys()) if (!gone.includes(address)) counted.add(address);
  // A replica Sentinel would promote before every one counted is kept: back before it has
  // resynced, it would be promoted without what was confirmed while it was away.
  const first = Math.min(...[...counted].map((address) => promotable(priority.get(address))));
  const kept = counted.size === 0 ? [] : gone.filter((address) => promotable(priority.get(address)) < first);
  for (const address of kept) counted.add(address);
  return { count: counted.size, leftOut: gone.length - kept.length, replicas: [...counted] };
}

/**
 * The sentinels listed and the most any of them knows: the deployment's size is the larger, and
 * fewer listed is warned of (sentinels-listed.ts).
 */
export function sentinelsListed(facts: ReplicaCountFacts): SentinelsListed {
  return { listed: facts.listed, known: sentinelsKnown(facts.views) };
}

/** Sentinel's order of promotion: a lower priority first, 0 (or unknown) never. */
function promotable(priority: number | undefined): number {
  return priority === undefined || priority <= 0 ? Infinity : priority;
}

interface Counted {
  count: ReplicaCount;
  /** The connection's stream when counted: a reconnect may have reached another server. */
  link: unknown;
  /** Which count this is: a slower one begun earlier does not replace it. */
  sequence: number;
}
const counted = new WeakMap<Redis, Counted>();
const lastRecount = new WeakMap<Redis, number>();
let sequences = 0;
/** The least time between two recounts asked for by confirmations (ms). */
export const RECOUNT_GAP_MS = 1000;

/** The count made for `node` on its current link, if any. */
export function countedReplicas(node: Redis): ReplicaCount | undefined {
  const entry = counted.get(node);
  return entry && entry.link === node.stream ? entry.count : undefined;
}

/**
 * Counts for `node` now (the check, at start-up and every re-check, and a confirmation on a link
 * not yet counted): INFO replication on the connection, and every sentinel at once (each within
 * the connect timeout).
 */
export async function countReplicas(node: Redis): Promise<ReplicaCount> {
  const sequence = ++sequences;
  const link = node.stream;
  const on = linkAddress(link);
  const [replication, server] = await Promise.all([node.info('replication'), node.info('server')]);
  const attached = attachedReplicas(replication);
  const runId = parseInfo(server).get('run_id');
  const answers =
    (await askAllSentinels(node, async (client, name) => {
      const [primary, replicas] = await Promise.all([askPrimaryNamed(client, name), listReplicas(client, name)]);
      return { ...primary, replicas };
    })) ?? [];
  // Each view's names resolved at once: a host name costs a look-up, and one after another they
  // could outlast the confirmation's timeout.
  const views: SentinelView[] = await Promise.all(
    answers.flatMap((asked) => ('answer' in asked ? [asked.answer] : [])).map(async ({ id, named, configEpoch, sentinelsKnown, replicas }) => ({
      id,
      configEpoch,
      sentinelsKnown,
      namesNode: on && named ? await namesLink(named[0], named[1], on) : undefined,
      // A sentinel at an older epoch lists this node among the old primary's replicas: it can
      // confirm nothing to itself, and counted it held every call.
      replicas: on ? await notThisNode(listedReplicas(replicas), on, runId) : listedReplicas(replicas),
    })),
  );
  const before = counted.get(node);
  const previous = before && !('elsewhere' in before.count) ? before.count.count : undefined;
  const facts = { listed: listedSentinels(node), views, attached, previous };
  const count: ReplicaCount = { ...replicasToConfirm(facts), sentinels: sentinelsListed(facts) };
  // Kept only for the link it was made on, and not over a count begun after it.
  if (node.stream === link && (before === undefined || before.sequence < sequence)) counted.set(node, { count, link, sequence });
  // Nothing is confirmed here any more, and no WAIT falls short to move the connection: move it
  // now (a partition can leave this node a writable primary for as long as it lasts). On the
  // majority's word, not on the first sentinel's (primary-moved.ts leaveNamedElsewhere says why).
  if ('elsewhere' in count) leaveNamedElsewhere(node, link);
  return count;
}

/**
 * Counts again soon (at most once every {@link RECOUNT_GAP_MS}, not awaited): when a confirmation
 * fell short (a replica the sentinels' majority now holds down stops holding the calls), and while
 * one is left out (it may have come back and attached, and must count before a failover).
 */
export function recountSoon(node: Redis, now = Date.now()): void {
  const last = lastRecount.get(node);
  if (last !== undefined && now - last < RECOUNT_GAP_MS) return;
  lastRecount.set(node, now);
  countReplicas(node).catch(() => {});
}

/**
 * The replicas listed but the node `on` is connected to (whose INFO `run_id` is `runId`); `names`
 * is namesLink, or a test's own. By run id first: with sentinels that announce host names, a name
 * that does not resolve here (a DNS outage) left namesLink without an answer, and this node,
 * listed as a replica by a sentinel that missed its promotion, was counted: a replica that can
 * never confirm, and every call held. A run id is the process's own (160 random bits, Sentinel
 * reads it from that address's INFO), so no other replica is taken for this node. A name that
 * neither resolves nor carries this run id stays counted: it may be a replica cut off from the
 * primary that the sentinels could promote, and left out it would miss writes confirmed without
 * it (review31).
 */
export async function notThisNode(replicas: readonly ListedReplica[], on: LinkAddress, runId: string | undefined, names: typeof namesLink = namesLink): Promise<ListedReplica[]> {
  const self = await Promise.all(
    replicas.map((r) => {
      if (runId && r.runId === runId) return true;
      const colon = r.address.lastIndexOf(':');
      return names(r.address.slice(0, colon), r.address.slice(colon + 1), on);
    }),
  );
  return replicas.filter((_, i) => self[i] !== true);
}

/** `ip:port` of each `slaveN:ip=…,port=…,state=…` line of INFO replication. */
export function attachedReplicas(info: string): string[] {
  const attached: string[] = [];
  for (const [field, value] of parseInfo(info)) {
    if (!/^slave\d+$/.test(field)) continue;
    const parts = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
    if (parts.has('ip') && parts.has('port')) attached.push(`${parts.get('ip')}:${parts.get('port')}`);
  }
  return attached;
}

/** SENTINEL REPLICAS: each replica's `ip:port` and whether it is held down (`s_down`, `o_down`). */
function listedReplicas(reply: unknown): ListedReplica[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry: unknown) => {
    const fields = sentinelFields(entry);
    return {
      address: `${fields.get('ip') ?? '?'}:${fields.get('port') ?? '?'}`,
      down: /(^|,)(s_down|o_down)(,|$)/.test(fields.get('flags') ?? ''),
      priority: Number(fields.get('replica-priority') ?? fields.get('slave-priority') ?? 100),
      runId: fields.get('runid'),
    };
  });
}
