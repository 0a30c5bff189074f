/**
 * `SMSQ_DURABILITY_REPLICAS=all` leaves a replica out of the count only when a majority of the
 * deployment's sentinels hold it down (replica-count.ts), and smsq hears only the sentinels
 * REDIS_URL lists. The majority is of the larger of the two numbers, so a REDIS_URL listing fewer
 * sentinels than the deployment has makes it harder to reach, or, with fewer listed than a
 * majority, impossible: a replica lost for good holds every call until it is back, and nothing
 * said why. Pure: the numbers come from the count.
 */
import { mention } from '../setting-mention.js';
import type { DurabilityProblem } from './problem.js';

/** How many sentinels a count heard of: listed in REDIS_URL, and known to the deployment. */
export interface SentinelsListed {
  /** The distinct sentinels (`host:port`) REDIS_URL lists. */
  listed: number;
  /** The most sentinels any of them knows, itself included (SENTINEL MASTER's `num-other-sentinels` + 1); 0 when none answered. */
  known: number;
}

/** An example REDIS_URL listing three sentinels, for the fix. */
const EVERY_SENTINEL_URL = 'redis+sentinel://host1:26379,host2:26379,host3:26379/name';

/** The warning for a REDIS_URL listing fewer sentinels than the deployment has, or undefined. */
export function sentinelsListedProblem({ listed, known }: SentinelsListed): DurabilityProblem | undefined {
  if (listed >= known) return undefined;
  const majority = Math.floor(known / 2) + 1;
  const cost =
    listed < majority
      ? `fewer than a majority (${majority}), so no replica is ever left out: a replica lost (its host dead, or cut off) holds every call until it is back`
      : `so a replica is left out only when ${majority} of the ${listed} listed answer and flag it down: with ${listed - majority + 1} of them down or cut off, a replica lost holds every call until they are back`;
  return {
    severity: 'warn',
    what: `${mention('redis')} lists ${listed} sentinel(s), and the deployment has ${known} (SENTINEL MASTER's num-other-sentinels + 1): with ${mention('durability.replicas', 'all')} a replica stops counting only once a majority of the ${known} flag it down, and smsq asks only the ${listed} listed, ${cost}`,
    fix: `list every sentinel in ${mention('redis')}, e.g. ${mention('redis', EVERY_SENTINEL_URL)}`,
  };
}
