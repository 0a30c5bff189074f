import type { Redis } from 'ioredis';
import { linkAddress, namesLink } from './node-address.js';
import { newestNaming } from './newest-primary.js';
import { askPrimaryNamed, sentinelFields } from './primary-named.js';
import type { DurabilityProblem } from './problem.js';
import type { PromotionFacts, SentinelReplica } from './promotion.js';
import { askAllSentinels } from './sentinel-ask.js';
import { askQuorum, quorumProblem } from './sentinel-quorum.js';

/** What the sentinels said: the promotion order when asked for it, and a lost quorum. */
export interface SentinelFacts {
  promotion?: PromotionFacts;
  quorum?: DurabilityProblem;
}

/**
 * Asks the sentinels a connection found its primary through which replicas they would promote
 * (`SENTINEL REPLICAS <name>`, when `replicas`) and whether they can fail over
 * (sentinel-quorum.ts), and answers from a sentinel of the newest configuration, the one naming
 * the node the connection is on if any does (newest-primary.ts newestNaming). Every sentinel is
 * asked at once, each within the connect timeout, on one connection per sentinel with where it
 * places the primary (primary-named.ts).
 *
 * Not the first sentinel to answer: one cut off through a failover still describes the old
 * primary. After a failover the first sentinel REDIS_URL lists had missed, it listed the old
 * primary's replicas, a preferred one (`replica-priority 10`) among them, and the check judged the
 * promoted primary's count of 1 against them: every send on the promoted primary was refused
 * (SMSQ_REDIS_NOT_DURABLE, naming the old primary's replicas) for as long as that sentinel stayed
 * cut off, and its CKQUORUM, knowing no other sentinel, said the deployment could not fail over
 * (test/integration/sentinel-replicas-newest.test.ts). Undefined for a connection made without
 * Sentinel: a plain primary URL tells nothing of how a failover chooses.
 */
export async function askSentinels(redis: Redis, replicas: boolean): Promise<SentinelFacts | undefined> {
  const on = linkAddress(redis.stream);
  const asked = await askAllSentinels(redis, async (client, name) => {
    const [primary, listed, noQuorum] = await Promise.all([
      askPrimaryNamed(client, name),
      replicas ? listReplicas(client, name) : undefined,
      askQuorum(client, name).catch((err: unknown) => {
        // A sentinel that lists its replicas but refuses CKQUORUM (too old, an ACL without it) has
        // answered the question that decides; asked for the quorum alone, it has not.
        if (!replicas) throw err;
        return undefined;
      }),
    ]);
    return { ...primary, listed, noQuorum };
  });
  if (asked === undefined) return undefined;
  const views = await Promise.all(
    asked.flatMap((a) => ('answer' in a ? [{ ...a.answer, sentinel: a.sentinel }] : [])).map(async (v) => ({ ...v, namesNode: on && v.named ? await namesLink(v.named[0], v.named[1], on) : undefined })),
  );
  const chosen = newestNaming(views);
  if (chosen === undefined) {
    const unanswered = asked.flatMap((a) => ('unanswered' in a ? [a.unanswered] : [])).join('; ');
    return replicas ? { promotion: { unanswered } } : {};
  }
  return {
    promotion: replicas ? { replicas: parseReplicas(chosen.listed) } : undefined,
    quorum: chosen.noQuorum === undefined ? undefined : quorumProblem(redis.options.name ?? '', chosen.sentinel, chosen.noQuorum),
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
