/**
 * Whether the replicas that confirm a WAIT include the one Sentinel would promote, and whether the
 * old primary, left writable by a failover, can still have writes confirmed. Pure: the replicas
 * come from a sentinel (sentinel-replicas.ts), the judgements feed mode.ts's list.
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
import type { SentinelsListed } from './sentinels-listed.js';

/** A replica as a sentinel lists it (`SENTINEL REPLICAS <name>`). */
export interface SentinelReplica {
  /** `ip:port` as the sentinel names it. */
  address: string;
  /** `replica-priority` (`slave-priority` in the reply): 0 never promoted, else lower first. */
  priority: number;
  /** Flagged `s_down`, `o_down` or `disconnected`: the sentinel does not reach it now. */
  down: boolean;
}

/**
 * `SMSQ_DURABILITY_REPLICAS=all` (replica-count.ts): the replicas a confirmation must count (0 when
 * none is up), which they are (`ip:port`), and how many listed ones a majority holds down (while any is, the count is made again
 * often: it may come back and attach); or `elsewhere` when the sentinels (newest-primary.ts) name another
 * primary. Declared here, beside the other facts mode.ts judges, not in replica-count.ts: that
 * module reads probe.ts, which reads mode.ts.
 */
export type ReplicaCount = ({ count: number; leftOut: number; replicas: readonly string[] } | { elsewhere: true }) & {
  /** How many sentinels the count heard of (sentinels-listed.ts), when it asked them. */
  sentinels?: SentinelsListed;
};

/** What the sentinels said about the primary's replicas, or why they could not be asked. */
export type PromotionFacts = { replicas: readonly SentinelReplica[] } | { unanswered: string };

/**
 * The problem with waiting for `waitFor` replicas when Sentinel promotes among these, or
 * undefined when any `waitFor` of them include one of the replicas Sentinel tries first (then the
 * one it promotes, having the most of the stream among those, holds every confirmed write).
 */
export function judgePromotion(mode: string, waitFor: number, facts: PromotionFacts, atLeast = 0): DurabilityProblem | undefined {
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
  // Not below what judgeLeftWritable asks (`atLeast`): its fix and this one name one count.
  const enough = Math.max(others + 1, atLeast);
  const raise = promotedFirst > 0 ? `${mention('durability.replicas', enough)}, so that every confirmation includes a replica Sentinel promotes first, or ` : '';
  return {
    severity: 'refuse',
    what: `${mention('durability.mode', mode)} waits for ${waitFor} replica(s), and ${waitFor} of the replicas the sentinels list may answer without the one they would promote (${listed}): Sentinel never promotes replica-priority 0 and takes the lowest other priority before it looks at which replica has the most, so a failover may promote a replica lacking sends the others confirmed`,
    fix: `${raise}give the replicas one non-zero replica-priority (CONFIG SET replica-priority 100 on each, and in redis.conf)`,
  };
}

/**
 * How many replicas a confirmation must count for a failover that leaves the old primary up to
 * lose none of it: every replica attached to the primary. A manual `SENTINEL FAILOVER` sends
 * `REPLICAOF NO ONE` to the replica it chose and converts the old primary only some 10 s later
 * (`+convert-to-slave`); a partition that leaves the old primary with some replicas keeps it
 * writable as long as it lasts. Meanwhile the replicas still attached to it answer WAIT, and smsq
 * acknowledges writes that the promoted replica never had and that the others drop when Sentinel
 * points them at it (test/integration/sentinel-manual-failover.test.ts: with two replicas and
 * WAIT 1, 108 to 398 acknowledged sends read SMSQ_NOT_FOUND). When WAIT counts every replica, the
 * promoted one holds every confirmed write, and once it leaves, WAIT on the old primary cannot
 * be met: smsq refuses (SMSQ_NOT_DURABLE), nothing acknowledged is lost.
 *
 * A replica the sentinels flag down (`s_down`, `disconnected`) is not counted: it confirms nothing
 * while it is away, and Sentinel lists a replica that has gone for good (a primary killed in a
 * failover, a host retired) until `SENTINEL RESET`, so counting it would ask for a count no WAIT
 * ever meets and hold every call for ever. But the primary's own count of its replicas
 * (`connected_slaves`) is taken when larger: a replica the sentinels cannot reach, or have not
 * found yet (they read the primary's INFO every 10 s), may be attached to it and confirm writes
 * all the same. A replica back from down is counted again at the next check.
 */
export function replicasToCount(facts: PromotionFacts | undefined, connectedReplicas: number): number {
  const up = facts && 'replicas' in facts ? facts.replicas.filter((r) => !r.down).length : 0;
  return Math.max(up, connectedReplicas);
}

/**
 * The problem with waiting for `waitFor` replicas when fewer than {@link replicasToCount} of them
 * would leave a writable old primary confirming writes the failover loses; undefined when none.
 */
export function judgeLeftWritable(mode: string, waitFor: number, facts: PromotionFacts | undefined, connectedReplicas: number): DurabilityProblem | undefined {
  // `waitaof` with 0 replicas, or a WAIT mode told 0: refused under Sentinel already (mode.ts failoverWithoutWait).
  if (waitFor < 1) return undefined;
  const needed = replicasToCount(facts, connectedReplicas);
  if (waitFor >= needed) return undefined;
  const listed = facts && 'replicas' in facts ? facts.replicas.filter((r) => !r.down).map((r) => r.address) : [];
  const named = listed.length ? `the sentinels list ${listed.join(', ')}` : 'the sentinels list none';
  const attached = connectedReplicas > listed.length ? `, and the primary has ${connectedReplicas} connected (INFO connected_slaves:${connectedReplicas})` : '';
  return {
    severity: 'refuse',
    what: `${mention('durability.mode', mode)} waits for ${waitFor} replica(s), and ${needed} replicas are up (${named}${attached}): a manual SENTINEL FAILOVER, or a network partition that leaves the old primary with some of its replicas, leaves the old primary writable with the replicas not promoted, and writes they confirm are lost when Sentinel points them at the promoted replica`,
    fix: `${mention('durability.replicas', needed)}, so that every confirmation includes the replica Sentinel promotes (a replica down then holds every call until it is back), or ${mention('durability.replicas', 'all')} (every replica up, one that a majority of the sentinels flag down left out)`,
  };
}
