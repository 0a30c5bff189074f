/**
 * Whether the replicas that confirm a WAIT include the one Sentinel would promote. Pure: the
 * replicas come from a sentinel (sentinel-replicas.ts), the judgement feeds mode.ts's list.
 *
 * WAIT n returns once any n replicas hold a write. Sentinel never promotes a replica with
 * `replica-priority 0`, and among the others it takes the lowest priority first and only then the
 * one that has the most of the stream. So a confirmation given only by replicas outside that first
 * group proves nothing about the replica that takes over: with one priority-0 replica and one
 * lagging promotable one, WAIT 1 answered by the first, every send acknowledged while the second
 * lagged was lost at the failover (test/integration/sentinel-promotion-order.test.ts).
 */
import { mention } from '../setting-mention.js';
import type { DurabilityProblem } from './problem.js';

/** A replica as a sentinel lists it (`SENTINEL REPLICAS <name>`). */
export interface SentinelReplica {
  /** `ip:port` as the sentinel names it. */
  address: string;
  /** `replica-priority` (`slave-priority` in the reply): 0 never promoted, else lower first. */
  priority: number;
}

/** What the sentinels said about the primary's replicas, or why they could not be asked. */
export type PromotionFacts = { replicas: readonly SentinelReplica[] } | { unanswered: string };

/**
 * The problem with waiting for `waitFor` replicas when Sentinel promotes among these, or
 * undefined when any `waitFor` of them include one of the replicas Sentinel tries first (then the
 * one it promotes, having the most of the stream among those, holds every confirmed write).
 */
export function judgePromotion(mode: string, waitFor: number, facts: PromotionFacts): DurabilityProblem | undefined {
  // `waitaof` with 0 replicas waits for the primary's own fsync alone: no replica's word to judge.
  if (waitFor < 1) return undefined;
  if ('unanswered' in facts) {
    return {
      severity: 'warn',
      what: `no sentinel answered SENTINEL REPLICAS (${facts.unanswered}), so smsq cannot check that a replica confirming a write is one Sentinel would promote`,
      fix: "let smsq reach a sentinel (the hosts in REDIS_URL, with ?sentinelPassword= if they require it; a connection of your own is asked with its sentinelUsername, sentinelPassword and sentinelTLS)",
    };
  }
  const { replicas } = facts;
  const promotable = replicas.filter((r) => r.priority > 0);
  const first = Math.min(...promotable.map((r) => r.priority));
  const promotedFirst = promotable.filter((r) => r.priority === first).length;
  // Any `waitFor` replicas include one of the first group unless the others alone number `waitFor`.
  const others = replicas.length - promotedFirst;
  if (waitFor > others) return undefined;
  const listed = replicas.map((r) => `${r.address} (replica-priority ${r.priority})`).join(', ');
  const enough = others + 1;
  const raise = promotedFirst > 0 ? `${mention('durability.replicas', enough)}, so that every confirmation includes a replica Sentinel promotes first, or ` : '';
  return {
    severity: 'refuse',
    what: `${mention('durability.mode', mode)} waits for ${waitFor} replica(s), and ${waitFor} of the replicas the sentinels list may answer without the one they would promote (${listed}): Sentinel never promotes replica-priority 0 and takes the lowest other priority before it looks at which replica has the most, so a failover may promote a replica lacking sends the others confirmed`,
    fix: `${raise}give the replicas one non-zero replica-priority (CONFIG SET replica-priority 100 on each, and in redis.conf)`,
  };
}
