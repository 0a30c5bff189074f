import type { Redis } from 'ioredis';
import type { PromotionFacts, SentinelReplica } from './promotion.js';
import { askEachSentinel } from './sentinel-ask.js';

/**
 * Asks the sentinels a connection found its primary through which replicas they would promote
 * (`SENTINEL REPLICAS <name>`), one sentinel after another until one answers (sentinel-ask.ts).
 * Undefined for a connection made without Sentinel: a plain primary URL tells nothing of how a
 * failover chooses.
 */
export async function askSentinelReplicas(redis: Redis): Promise<PromotionFacts | undefined> {
  const asked = await askEachSentinel(redis, listReplicas);
  if (asked === undefined) return undefined;
  return 'answer' in asked ? { replicas: parseReplicas(asked.answer) } : { unanswered: asked.unanswered };
}

/** SENTINEL REPLICAS, or SLAVES on a sentinel older than Redis 5 that knows only that name. */
async function listReplicas(client: Redis, name: string): Promise<unknown> {
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
    const fields = new Map<string, string>();
    const flat = Array.isArray(entry) ? entry.map(String) : [];
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
    const priority = fields.get('replica-priority') ?? fields.get('slave-priority') ?? '100';
    const down = /(^|,)(s_down|o_down|disconnected)(,|$)/.test(fields.get('flags') ?? '');
    return { address: `${fields.get('ip') ?? '?'}:${fields.get('port') ?? '?'}`, priority: Number(priority), down };
  });
}
