import type { Redis } from 'ioredis';
import { RedisNotDurableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeProblems, judgeDurability, type DurabilityOptions, type RedisDurabilityFacts } from './mode.js';
import { probeRedisDurability } from './probe.js';

/**
 * Start-up check of workers and producers: refuses (RedisNotDurableError, naming what to change)
 * when Redis cannot keep the configured mode, and logs one warning per lesser problem.
 */
export async function checkRedisDurability(redis: Redis, opts: DurabilityOptions, logger?: Logger): Promise<RedisDurabilityFacts> {
  const facts = await probeRedisDurability(redis);
  const problems = judgeDurability(opts, facts);
  const refused = problems.filter((p) => p.severity === 'refuse');
  if (refused.length) throw new RedisNotDurableError(opts.mode, describeProblems(refused));
  for (const p of problems) logger?.warn({ durability: opts.mode, fix: p.fix }, `DURABILITY: ${p.what}`);
  return facts;
}
