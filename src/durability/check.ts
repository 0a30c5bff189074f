import type { Redis } from 'ioredis';
import { RedisNotDurableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeProblems, judgeDurability, usesWait, type DurabilityOptions, type RedisDurabilityFacts } from './mode.js';
import { probeRedisDurability } from './probe.js';
import { askSentinels } from './sentinel-replicas.js';
import { countReplicas } from './replica-count.js';

/**
 * The check of workers and producers, at start-up and again later (watch.ts, the producer's
 * re-check): refuses (RedisNotDurableError, naming what to change) when Redis cannot keep the
 * configured mode, and logs one warning per lesser problem. `warned` remembers the warnings a
 * caller that checks again has already logged, so each is said once, not at every check.
 */
export async function checkRedisDurability(redis: Redis, opts: DurabilityOptions, logger?: Logger, warned?: Set<string>): Promise<RedisDurabilityFacts> {
  // Sentinel's order of promotion decides whose confirmation counts (promotion.ts); asked at each
  // check, as the other facts are, since replicas and their priorities change under a running process.
  const probed = await probeRedisDurability(redis);
  const sentinels = await askSentinels(redis, usesWait(opts.mode));
  // `all` stands for the replicas up now, as a majority of the sentinels sees them (replica-count.ts).
  const following = usesWait(opts.mode) && 'replicas' in opts && opts.replicas === 'all' && probed.failover === 'sentinel';
  const replicasToConfirm = following ? await countReplicas(redis) : undefined;
  const facts = { ...probed, promotion: sentinels?.promotion, replicasToConfirm };
  const problems = judgeDurability(opts, facts);
  const refused = problems.filter((p) => p.severity === 'refuse');
  if (refused.length) throw new RedisNotDurableError(opts.mode, describeProblems(refused));
  // Not durability, but this check is what asks the sentinels every 30 s: a lost quorum (sentinels
  // down) lets every write through, and shows only once the primary fails and nothing takes over.
  if (sentinels?.quorum) problems.push(sentinels.quorum);
  for (const p of problems) {
    if (warned?.has(p.what)) continue;
    warned?.add(p.what);
    logger?.warn({ durability: opts.mode, fix: p.fix }, `DURABILITY: ${p.what}`);
  }
  return facts;
}
