/**
 * What "durable" means for a deployment (SMSQ_DURABILITY), and whether a Redis can keep it. Pure:
 * the facts come from probe.ts, the writes are confirmed by barrier.ts.
 *
 * Two writes carry smsq's guarantees (design invariant 8): the claim of an attempt, before its API
 * call (lose it and the chunk is sent again under the same attempt), and an enqueue, before the
 * producer acknowledges it (lose it and the caller was told "queued" for nothing).
 */

import { mention } from '../setting-mention.js';
import type { DurabilityProblem } from './problem.js';
import { sentinelsListedProblem } from './sentinels-listed.js';
import { judgeLeftWritable, judgePromotion, replicasToCount, type PromotionFacts, type ReplicaCount } from './promotion.js';

export type { DurabilityProblem };

/**
 * - `fsync`: a single Redis with `appendonly yes` and `appendfsync always`: Redis fsyncs before it
 *   replies, so every reply smsq acts on is on disk. The default. Not on a replica's disk: refused
 *   where a failover promotes a replica on its own (Sentinel, a Cluster master with replicas),
 *   said loudly where a plain primary has replicas ({@link failoverWithoutWait}).
 * - `replicas`: `WAIT n timeout` after each of the two writes: n replicas hold them, so a promoted
 *   replica has them (Sentinel failover). The primary needs an AOF (a primary restarted empty
 *   empties its replicas too); under `everysec` a restart before a failover may still lose the
 *   last writes (durability.md).
 * - `fsync+replicas`: both.
 * - `waitaof`: `WAITAOF 1 n timeout` (Redis ≥ 7.2): fsynced locally and on n replicas. The primary
 *   must run `appendfsync always` all the same: under `everysec`, Valkey 8.0.1 answers WAITAOF's
 *   local count before the fsync (redis/redis#13793; durability.md shows it), and a version number
 *   does not tell which builds carry the fix. Where CONFIG is refused this cannot be checked, so
 *   `waitaof` is refused there too.
 * - `none`: no confirmation; a host crash or a failover may lose the last second of writes: a
 *   recipient may get an SMS twice and an acknowledged send may vanish. Opt-in, warned at start-up.
 */
export const DURABILITY_MODES = ['fsync', 'replicas', 'fsync+replicas', 'waitaof', 'none'] as const;
export type DurabilityMode = (typeof DURABILITY_MODES)[number];

/**
 * How writes are made durable (SMSQ_DURABILITY), as a producer's or worker's option: only the
 * modes that wait on replicas take how many and how long.
 */
export type DurabilityOptions =
  | {
      /** `fsync` (the default): Redis with `appendfsync always`; `none`: no confirmation. */
      mode: 'fsync' | 'none';
    }
  | {
      /** `replicas` (WAIT), `fsync+replicas` (both), `waitaof` (WAITAOF, Redis ≥ 7.2). */
      mode: 'replicas' | 'fsync+replicas' | 'waitaof';
      /**
       * Replicas that must confirm a write. Default 1. `'all'` (through Sentinel only): every
       * replica up, counted again at each check, a replica left out only once a majority of the
       * sentinels flag it down (replica-count.ts).
       */
      replicas?: number | 'all';
      /** How long a confirmation may take before the write counts as not durable (ms). Default 1000. */
      timeoutMs?: number;
    };

/** {@link DurabilityOptions} with every default applied: what the barrier and the checks read. */
export interface ResolvedDurability {
  mode: DurabilityMode;
  /** Replicas that must confirm a write in the `replicas`, `fsync+replicas` and `waitaof` modes; `all`: every replica up. */
  replicas: number | 'all';
  /** How long a confirmation may take before the write counts as not durable (ms). */
  timeoutMs: number;
}

/**
 * How often a running worker or producer checks again that Redis keeps the mode (ms): a CONFIG SET
 * that weakens Redis is caught within this long; a new server after a reconnect, before the
 * first write there. Each check is an INFO and a CONFIG GET.
 */
export const DURABILITY_RECHECK_MS = 30_000;

export const DEFAULT_DURABILITY: ResolvedDurability = Object.freeze({ mode: 'fsync', replicas: 1, timeoutMs: 1000 });

/**
 * A line for a Node caller's `durability.replicas` that is neither a whole number from 0 to 16 nor
 * `'all'`: `-1` made every WAIT answer at once with no replica, and `'ALL'` every WAIT fail.
 */
export function durabilityReplicasLine(where: string, durability: unknown): string | undefined {
  const replicas = typeof durability === 'object' && durability !== null ? (durability as { replicas?: unknown }).replicas : undefined;
  if (replicas === undefined || replicas === 'all' || (typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 && replicas <= MAX_DURABILITY_REPLICAS)) return undefined;
  return `${where}: durability.replicas must be a whole number from 0 to ${MAX_DURABILITY_REPLICAS} or 'all', got ${JSON.stringify(replicas) ?? String(replicas)}. Fix: leave it out (1), or give the replicas that must confirm a write, e.g. replicas: 2, or replicas: 'all' through Sentinel (as SMSQ_DURABILITY_REPLICAS)`;
}

/** The most replicas a confirmation may wait for (SMSQ_DURABILITY_REPLICAS). */
export const MAX_DURABILITY_REPLICAS = 16;

/** `opts` with the defaults of what it leaves out. */
export function resolveDurability(opts: DurabilityOptions): ResolvedDurability {
  return {
    mode: opts.mode,
    replicas: ('replicas' in opts ? opts.replicas : undefined) ?? DEFAULT_DURABILITY.replicas,
    timeoutMs: ('timeoutMs' in opts ? opts.timeoutMs : undefined) ?? DEFAULT_DURABILITY.timeoutMs,
  };
}

/** What a Redis says about itself (INFO, and CONFIG GET where it is allowed). */
export interface RedisDurabilityFacts {
  version: string;
  runId: string;
  role: string;
  aofEnabled: boolean;
  /** `undefined` when CONFIG is refused (managed Redis often renames or forbids it). */
  appendfsync: string | undefined;
  /**
   * `no-appendfsync-on-rewrite`: when true, Redis does not fsync while a child saves (BGSAVE, an
   * AOF rewrite, a replica's full sync), whatever appendfsync says. `undefined` when CONFIG is refused.
   */
  noFsyncDuringSaves: boolean | undefined;
  connectedReplicas: number;
  maxmemoryPolicy: string;
  /**
   * What promotes one of its replicas on its own when it fails: `sentinel` when smsq reaches it
   * through Sentinel, `cluster` when it is a Cluster master (its replicas, if any); undefined for
   * a plain URL, behind which a managed service may fail over all the same, unknown to smsq.
   */
  failover?: 'sentinel' | 'cluster';
  /**
   * The replicas the sentinels list, with the priorities they promote by (check.ts asks them in
   * the modes that WAIT). `undefined` when smsq reaches Redis without Sentinel.
   */
  promotion?: PromotionFacts;
  /** With `replicas: 'all'`, the replicas counted now (replica-count.ts). */
  replicasToConfirm?: ReplicaCount;
}


function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

const usesFsync = (mode: DurabilityMode) => mode === 'fsync' || mode === 'fsync+replicas';
export const usesWait = (mode: DurabilityMode) => mode === 'replicas' || mode === 'fsync+replicas' || mode === 'waitaof';

/**
 * The longest a claim's confirmation may keep it from its call (ms): the WAIT modes' timeout; none
 * in `fsync` (Redis fsyncs before it replies to the claim itself) and `none`.
 */
export function confirmationWaitMs(durability: ResolvedDurability): number {
  return usesWait(durability.mode) ? durability.timeoutMs : 0;
}

/** The problems that keep `opts` from holding on a Redis with these facts (empty: it holds). */
export function judgeDurability(asked: DurabilityOptions, facts: RedisDurabilityFacts): DurabilityProblem[] {
  const resolved = resolveDurability(asked);
  const follows = resolved.replicas === 'all';
  // `all` is judged as the count it stands for now.
  const counted = facts.replicasToConfirm;
  const opts = { ...resolved, replicas: resolved.replicas === 'all' ? (counted && 'count' in counted ? counted.count : 0) : resolved.replicas };
  const problems: DurabilityProblem[] = [];
  const strict = opts.mode !== 'none';
  if (facts.role !== 'master') {
    problems.push({ severity: 'refuse', what: `this Redis is a ${facts.role}, not a primary: smsq's writes would be refused`, fix: `point ${mention('redis')} at the primary (or use Sentinel so smsq follows it)` });
  }
  if (facts.maxmemoryPolicy !== 'noeviction') {
    problems.push({
      severity: strict ? 'refuse' : 'warn',
      what: `maxmemory-policy is ${facts.maxmemoryPolicy}: under memory pressure Redis deletes keys, and with them queued jobs and send records`,
      fix: 'CONFIG SET maxmemory-policy noeviction (and in redis.conf); size maxmemory for the working set',
    });
  }
  if (opts.mode === 'none') {
    problems.push({
      severity: 'warn',
      what: `${mention('durability.mode', 'none')}: a host crash or a failover may lose the last writes; a recipient may then get an SMS twice and an acknowledged send may vanish`,
      fix: `use ${mention('durability.mode', 'fsync')} (appendfsync always) or replicas (WAIT) in production`,
    });
    return problems;
  }
  if (usesFsync(opts.mode) || opts.mode === 'waitaof') {
    if (!facts.aofEnabled) {
      problems.push({
        severity: 'refuse',
        what: 'appendonly is off: a restart of Redis loses every queued send',
        fix: 'CONFIG SET appendonly yes and CONFIG SET appendfsync always (and both in redis.conf)',
      });
    }
  }
  // WAIT proves a replica has the write, not that it keeps it: a replica copies whatever its
  // primary holds after a restart, and a primary without an AOF restarted before any failover
  // (a supervisor brings it back within a second; Sentinel waits down-after-milliseconds) holds
  // nothing. An AOF narrows that to what everysec had not written or synced (durability.md).
  if (opts.mode === 'replicas' && !facts.aofEnabled) {
    problems.push({
      severity: 'refuse',
      what:
        'appendonly is off on the primary: restarted before a failover (a crash and a supervisor\'s restart: systemd, a container\'s restart policy) it comes back empty, and its replicas copy the empty dataset, so every send and claim the replicas confirmed is lost',
      fix: `CONFIG SET appendonly yes on the primary (and in redis.conf), with appendfsync always (${mention('durability.mode', 'fsync+replicas')}) for a restart to keep every confirmed write`,
    });
  }
  // Nor does an AOF that may lag: a host crash cuts it to what was fsynced, and while an fsync is
  // slow Redis postpones even its write of the AOF, answering meanwhile. The restarted primary
  // lacks those writes and its replicas drop them as they resync (4 of 5 confirmed sends lost
  // each way, test/integration/replicas-primary-restart.test.ts). Redis has no setting that keeps a
  // replica from copying an older primary, so smsq can only say it.
  if (opts.mode === 'replicas' && facts.aofEnabled && facts.appendfsync !== 'always') {
    problems.push({
      severity: 'warn',
      what: `${facts.appendfsync === undefined ? 'CONFIG GET appendfsync is refused here, so smsq cannot check that the primary fsyncs every write' : `appendfsync is ${facts.appendfsync} on the primary`}: if it is restarted before Sentinel fails over (a host crash, or a crash while its disk is slow, and a supervisor's restart), it comes back without its last writes and its replicas drop them as they resync, so sends the replicas confirmed may be lost`,
      fix: `${mention('durability.mode', 'fsync+replicas')} (appendfsync always on the primary), or no automatic restart of the primary (or a restart delay longer than Sentinel's down-after-milliseconds)`,
    });
  }
  if ((usesFsync(opts.mode) || opts.mode === 'waitaof') && facts.aofEnabled) {
    if (facts.appendfsync === undefined) {
      problems.push(
        opts.mode === 'waitaof'
          ? {
              severity: 'refuse',
              what: `CONFIG GET appendfsync is refused here, and ${mention('durability.mode', 'waitaof')} can be trusted only with appendfsync always (under everysec WAITAOF may answer before the fsync)`,
              fix: `use ${mention('durability.mode', 'fsync')} if your provider runs appendfsync always, or replicas (WAIT), which smsq can check`,
            }
          : {
              severity: 'warn',
              what: 'CONFIG GET appendfsync is refused here, so smsq cannot check that Redis fsyncs every write',
              fix: `make sure your provider runs appendfsync always with no-appendfsync-on-rewrite no, or use ${mention('durability.mode', 'replicas')} (WAIT), which smsq can check`,
            },
      );
    } else if (facts.appendfsync !== 'always') {
      const why =
        opts.mode === 'waitaof'
          ? `appendfsync is ${facts.appendfsync}: under it, WAITAOF may answer "fsynced locally" before the fsync (redis/redis#13793, seen on Valkey 8.0.1), so a host crash could still lose acknowledged writes (${mention('durability.mode', 'waitaof')} needs always)`
          : `appendfsync is ${facts.appendfsync}: a host crash loses up to a second of acknowledged writes (${mention('durability.mode', opts.mode)} needs always)`;
      problems.push({
        severity: 'refuse',
        what: why,
        // Not `durability.mode: "none"` as well: the refusal names that relaxation once, with its cost (RedisNotDurableError).
        fix: `CONFIG SET appendfsync always (and in redis.conf), or ${mention('durability.mode', 'replicas')} with replicas`,
      });
    }
    if (facts.noFsyncDuringSaves === true) {
      problems.push(
        opts.mode === 'waitaof'
          ? {
              // WAITAOF counts only what was fsynced, so it stays true; it waits out the save instead.
              severity: 'warn',
              what: 'no-appendfsync-on-rewrite is yes: while Redis saves in the background (BGSAVE, an AOF rewrite, a replica\'s full sync) it does not fsync, so WAITAOF waits until the save ends and writes may time out meanwhile',
              fix: 'CONFIG SET no-appendfsync-on-rewrite no (and in redis.conf)',
            }
          : {
              severity: 'refuse',
              what: `no-appendfsync-on-rewrite is yes: while Redis saves in the background (BGSAVE, an AOF rewrite, a replica's full sync) it does not fsync, so a host crash then loses acknowledged writes (${mention('durability.mode', opts.mode)} needs every write fsynced)`,
              fix: `CONFIG SET no-appendfsync-on-rewrite no (and in redis.conf), or ${mention('durability.mode', 'replicas')} with replicas`,
            },
      );
    }
  }
  // A WAIT mode told to wait for no replica (the Node API's `replicas: 0`; the env refuses it) waits for none as fsync does.
  if (follows && usesWait(opts.mode)) {
    const refusal = judgeFollowing(opts.mode, facts);
    if (refusal) {
      problems.push(refusal);
      return problems;
    }
    const listing = counted?.sentinels && sentinelsListedProblem(counted.sentinels);
    if (listing) problems.push(listing);
  }
  if (opts.mode === 'fsync' || (usesWait(opts.mode) && opts.replicas === 0)) {
    const failover = failoverWithoutWait(facts, opts.mode);
    if (failover) problems.push(failover);
  }
  if (opts.mode === 'waitaof' && !versionAtLeast(facts.version, 7, 2)) {
    problems.push({ severity: 'refuse', what: `WAITAOF needs Redis 7.2 or later; this one is ${facts.version}`, fix: `use ${mention('durability.mode', 'fsync')} (appendfsync always) or replicas, or upgrade Redis` });
  }
  if (usesWait(opts.mode) && facts.connectedReplicas < opts.replicas) {
    problems.push(follows ? waitingForListed(opts.mode, opts.replicas, facts.connectedReplicas) : {
      severity: 'refuse',
      what: `${facts.connectedReplicas} replica(s) connected, but ${mention('durability.mode', opts.mode)} waits for ${opts.replicas}: every write would time out`,
      fix: `connect ${opts.replicas} replica(s), or lower ${mention('durability.replicas')}`,
    });
  }
  // `all` counts every replica up by construction.
  if (usesWait(opts.mode) && facts.failover === 'sentinel' && !follows) {
    const leftWritable = judgeLeftWritable(opts.mode, opts.replicas, facts.promotion, facts.connectedReplicas);
    if (leftWritable) problems.push(leftWritable);
  }
  const promotion = usesWait(opts.mode) && facts.promotion ? judgePromotion(opts.mode, opts.replicas, facts.promotion, replicasToCount(facts.promotion, facts.connectedReplicas)) : undefined;
  if (promotion) problems.push(promotion);
  return problems;
}

/**
 * `SMSQ_DURABILITY_REPLICAS=all` needs the sentinels (a majority of them decides when a replica
 * stops counting) and a replica up to confirm writes.
 */
function judgeFollowing(mode: DurabilityMode, facts: RedisDurabilityFacts): DurabilityProblem | undefined {
  if (facts.failover !== 'sentinel') {
    return {
      severity: 'refuse',
      what: `${mention('durability.replicas', 'all')} counts the replicas up as a majority of the sentinels sees them, and smsq does not reach this Redis through Sentinel`,
      fix: `give ${mention('redis')} as a redis+sentinel:// URL, or a number: ${mention('durability.replicas', Math.max(1, facts.connectedReplicas))} (the replicas connected now, INFO connected_slaves:${facts.connectedReplicas})`,
    };
  }
  if (facts.replicasToConfirm && 'elsewhere' in facts.replicasToConfirm) {
    return {
      severity: 'refuse',
      what: `the sentinels name another primary than the node this connection is on (the newest config epoch, or a majority of them): writes here would be lost when Sentinel converts it (${mention('durability.replicas', 'all')})`,
      fix: 'wait: the connection moves to the primary the sentinels name (a failover under way), or check SENTINEL GET-MASTER-ADDR-BY-NAME <name> on each sentinel',
    };
  }
  if (!facts.replicasToConfirm || facts.replicasToConfirm.count < 1) {
    return {
      severity: 'refuse',
      what: `no replica is up to confirm a write (${mention('durability.mode', mode)} with ${mention('durability.replicas', 'all')}; INFO connected_slaves:${facts.connectedReplicas}, and the sentinels list none up)`,
      fix: 'bring a replica back (REPLICAOF the primary); calls wait meanwhile',
    };
  }
  return undefined;
}

/** `all` counts a replica the sentinels list up that is not attached to the primary (resyncing, or down and not yet flagged). */
function waitingForListed(mode: DurabilityMode, count: number, connected: number): DurabilityProblem {
  return {
    severity: 'refuse',
    what: `${count} replica(s) are up as the sentinels list them, but ${connected} connected to the primary (INFO connected_slaves:${connected}): with ${mention('durability.mode', mode)} and ${mention('durability.replicas', 'all')} every write would time out until they attach, or until a majority of the sentinels flag the others down (their down-after-milliseconds)`,
    fix: 'wait: calls go on once the replicas attach (a replica resyncing) or are flagged down; see SENTINEL REPLICAS <name> for their flags',
  };
}

/**
 * `fsync` puts each write on the primary's disk before it is acknowledged, and nothing on a
 * replica's: replication is asynchronous. A failover promotes a replica, which may lack the last
 * writes the primary acknowledged: an acknowledged send is gone (SMSQ_NOT_FOUND), and a claim made
 * during the lag is gone too, so its job runs again and its SMS goes out twice with no look-up
 * (test/integration/redis-topology.test.ts, "a replica that lags"). Refused where smsq knows a
 * failover promotes a replica on its own (Sentinel; a Cluster master with replicas); said where a
 * plain primary has replicas, which a managed service or a Sentinel smsq does not go through may
 * promote, or not: smsq cannot tell.
 */
function failoverWithoutWait(facts: RedisDurabilityFacts, mode: DurabilityMode): DurabilityProblem | undefined {
  const replicas = facts.connectedReplicas;
  const asked = mode === 'fsync' ? mention('durability.mode', 'fsync') : `${mention('durability.mode', mode)} with ${mention('durability.replicas', 0)}`;
  const waitForOne = `${mention('durability.mode', 'fsync+replicas')}, which also waits for ${mention('durability.replicas')} (default 1; ${replicas} connected now) to hold each write before it is acknowledged`;
  const loss = 'replication is asynchronous, so the promoted replica may lack the last writes this primary acknowledged: acknowledged sends vanish, and SMS claimed in the meantime are sent again';
  if (facts.failover === 'sentinel') {
    return {
      severity: 'refuse',
      what: `smsq reaches Redis through Sentinel, which fails over on its own: ${asked} puts each write on the primary's disk, not on a replica, and ${loss}`,
      fix: waitForOne,
    };
  }
  if (replicas === 0) return undefined;
  if (facts.failover === 'cluster') {
    return {
      severity: 'refuse',
      what: `this Redis Cluster master has ${replicas} replica(s) (connected_slaves:${replicas}), which the Cluster promotes on its own when it fails: ${asked} puts each write on the master's disk, not on a replica, and ${loss}`,
      fix: waitForOne,
    };
  }
  return {
    severity: 'warn',
    what: `this Redis primary has ${replicas} replica(s) connected (INFO replication connected_slaves:${replicas}): if a failover promotes one (a managed service's high availability, a Sentinel smsq does not go through), ${loss}`,
    fix: `${waitForOne}; if smsq's Redis fails over through Sentinel, give ${mention('redis')} as a redis+sentinel:// URL; nothing to do if no replica is ever promoted`,
  };
}

/** One line per problem, for the start-up refusal or warning. */
export function describeProblems(problems: readonly DurabilityProblem[]): string {
  return problems.map((p) => `${p.what}. Fix: ${p.fix}`).join('; ');
}
