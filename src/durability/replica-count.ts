/**
 * `SMSQ_DURABILITY_REPLICAS=all` (through Sentinel): how many replicas a confirmation (WAIT,
 * WAITAOF) counts, following the replicas up instead of a fixed number.
 *
 * A fixed count that covers every replica up is what a failover leaving the old primary writable
 * needs (promotion.ts judgeLeftWritable), but it cannot follow a replica gone for good: after the
 * primary's host died, the promoted replica had one replica fewer, WAIT never met the count, and
 * every call was held until the dead host came back or an operator lowered the setting.
 *
 * The count here is every replica the sentinels list for the primary, and the primary's own
 * `connected_slaves` when more; a replica is left out only when a majority of the deployment's
 * sentinels, each naming the node the connection is on as the primary, flag it down. A majority
 * because a partition leaves the old primary with some replicas and maybe a sentinel on its side:
 * that sentinel flags the far replicas down and names the old primary still, and counting by it
 * would let the replicas beside the old primary confirm writes the promoted one never gets. Only
 * one side of a partition can hold a majority of the sentinels, and a failover needs one too.
 * Without a majority that names this node, nothing is left out and the count never falls below
 * the one before: calls wait (SMSQ_NOT_DURABLE) rather than be confirmed by too few.
 */
import type { Redis } from 'ioredis';
import { parseInfo } from './probe.js';
import { linkAddress, namesLink } from './node-address.js';
import type { SentinelReplica } from './promotion.js';
import { askAllSentinels } from './sentinel-ask.js';
import { listReplicas, parseReplicas } from './sentinel-replicas.js';

/** One sentinel's view of the primary it monitors under the connection's name. */
export interface SentinelView {
  /** Whether the primary it names is the node the connection is on (undefined: not known). */
  namesNode: boolean | undefined;
  /** Sentinels it knows of, itself included (`num-other-sentinels` + 1). */
  sentinelsKnown: number;
  replicas: readonly SentinelReplica[];
}

export interface ReplicaCountFacts {
  /** Sentinels the connection lists (asked, whether or not they answered). */
  listed: number;
  /** The views of the sentinels that answered. */
  views: readonly SentinelView[];
  /** The primary's own count (INFO replication connected_slaves). */
  connectedReplicas: number;
  /** The count made before on this connection, if any: a floor unless a majority names this node. */
  previous: number | undefined;
}

/** The replicas a confirmation must count; 0 when none is up (nothing can confirm a write). */
export function replicasToConfirm(facts: ReplicaCountFacts): number {
  const deployment = Math.max(facts.listed, ...facts.views.map((v) => v.sentinelsKnown));
  const majority = Math.floor(deployment / 2) + 1;
  const naming = facts.views.filter((v) => v.namesNode === true);
  // Every replica listed by a sentinel naming this node, with how many of them flag it down.
  const downVotes = new Map<string, number>();
  for (const view of naming) for (const r of view.replicas) downVotes.set(r.address, (downVotes.get(r.address) ?? 0) + (r.down ? 1 : 0));
  if (naming.length < majority) return Math.max(facts.connectedReplicas, downVotes.size, facts.previous ?? 0);
  const gone = [...downVotes.values()].filter((votes) => votes >= majority).length;
  return Math.max(facts.connectedReplicas, downVotes.size - gone);
}

interface Counted {
  count: number;
  /** The connection's stream when counted: a reconnect may have reached another server. */
  link: unknown;
}
const counted = new WeakMap<Redis, Counted>();
const lastRecount = new WeakMap<Redis, number>();
/** The least time between two recounts a falling-short confirmation asks for (ms). */
export const RECOUNT_GAP_MS = 1000;

/** The count made for `node` on its current link, if any. */
export function countedReplicas(node: Redis): number | undefined {
  const entry = counted.get(node);
  return entry && entry.link === node.stream ? entry.count : undefined;
}

/**
 * Counts for `node` now (the check, at start-up and every re-check, and a confirmation on a link
 * not yet counted): INFO replication unless `connectedReplicas` is given, and every sentinel at
 * once (each within the connect timeout).
 */
export async function countReplicas(node: Redis, connectedReplicas?: number): Promise<number> {
  const link = node.stream;
  const on = linkAddress(link);
  const connected = connectedReplicas ?? Number(parseInfo(await node.info('replication')).get('connected_slaves') ?? 0);
  const answers =
    (await askAllSentinels(node, async (client, name) => ({ primary: await client.call('SENTINEL', 'MASTER', name), replicas: await listReplicas(client, name) }))) ?? [];
  const views: SentinelView[] = [];
  for (const asked of answers) {
    if (!('answer' in asked)) continue;
    const primary = fieldsOf(asked.answer.primary);
    const host = primary.get('ip');
    const port = primary.get('port');
    views.push({
      namesNode: on && host !== undefined && port !== undefined ? await namesLink(host, port, on) : undefined,
      sentinelsKnown: Number(primary.get('num-other-sentinels') ?? 0) + 1,
      replicas: parseReplicas(asked.answer.replicas),
    });
  }
  const count = replicasToConfirm({ listed: node.options.sentinels?.length ?? 0, views, connectedReplicas: connected, previous: counted.get(node)?.count });
  counted.set(node, { count, link });
  return count;
}

/**
 * A confirmation fell short on `node`: counts again (at most once every {@link RECOUNT_GAP_MS}),
 * so that a replica the sentinels' majority has flagged down stops holding the calls at once, not
 * at the next re-check. Not awaited: the refusal is said at once.
 */
export function recountSoon(node: Redis, now = Date.now()): void {
  const last = lastRecount.get(node);
  if (last !== undefined && now - last < RECOUNT_GAP_MS) return;
  lastRecount.set(node, now);
  countReplicas(node).catch(() => {});
}

/** A sentinel's flat `field value …` reply as a map. */
function fieldsOf(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  return fields;
}
