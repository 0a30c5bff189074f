import type { Redis } from 'ioredis';
import type { DurabilityProblem } from './problem.js';
import type { PromotionFacts, SentinelReplica } from './promotion.js';
import { askEachSentinel } from './sentinel-ask.js';
import { askQuorum, quorumProblem } from './sentinel-quorum.js';

/** What the sentinels said: the promotion order when asked for it, and a lost quorum. */
export interface SentinelFacts {
  promotion?: PromotionFacts;
  quorum?: DurabilityProblem;
}

/**
 * Asks the sentinels a connection found its primary through, one sentinel after another until one
 * answers (sentinel-ask.ts), which replicas they would promote (`SENTINEL REPLICAS <name>`, when
 * `replicas`) and whether they can fail over (sentinel-quorum.ts). Both questions go to the same
 * sentinel on one connection: asked apart, each went through the list from its first sentinel
 * again, and a sentinel whose host is down (connections time out rather than refused) cost every
 * check, a producer's re-check on its send path among them, one connect timeout per question.
 * Undefined for a connection made without Sentinel: a plain primary URL tells nothing of how a
 * failover chooses.
 */
export async function askSentinels(redis: Redis, replicas: boolean): Promise<SentinelFacts | undefined> {
  const asked = await askEachSentinel(redis, async (client, name) => {
    const listed = replicas ? await listReplicas(client, name) : undefined;
    try {
      return { listed, noQuorum: await askQuorum(client, name) };
    } catch (err) {
      // A sentinel that listed its replicas but refuses CKQUORUM (too old, an ACL without it) has
      // answered the question that decides; asked alone, the next sentinel is tried.
      if (!replicas) throw err;
      return { listed, noQuorum: undefined };
    }
  });
  if (asked === undefined) return undefined;
  if (!('answer' in asked)) return replicas ? { promotion: { unanswered: asked.unanswered } } : {};
  const { listed, noQuorum } = asked.answer;
  return {
    promotion: replicas ? { replicas: parseReplicas(listed) } : undefined,
    quorum: noQuorum === undefined ? undefined : quorumProblem(redis.options.name ?? '', asked.sentinel, noQuorum),
  };
}

/** SENTINEL REPLICAS, or SLAVES on a sentinel older than Redis 5 that knows only that name. */
export async function listReplicas(client: Redis, name: string): Promise<unknown> {
  try {
    return await client.call('SENTINEL', 'REPLICAS', name);
  } catch (err) {
    if (!/unknown|subcommand/i.test(err instanceof Error ? err.message : '')) throw err;
    return client.call('SENTINEL', 'SLAVES', name);
  }
}

function parseReplicas(reply: unknown): SentinelReplica[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry: unknown) => {
    const fields = sentinelFields(entry);
    const priority = fields.get('replica-priority') ?? fields.get('slave-priority') ?? '100';
    const down = /(^|,)(s_down|o_down|disconnected)(,|$)/.test(fields.get('flags') ?? '');
    return { address: `${fields.get('ip') ?? '?'}:${fields.get('port') ?? '?'}`, priority: Number(priority), down };
  });
}

/** A sentinel's flat `field value …` reply (SENTINEL MASTER, an entry of SENTINEL REPLICAS) as a map. */
export function sentinelFields(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  return fields;
}
