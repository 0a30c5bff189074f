import type { Redis } from 'ioredis';
import { isCluster, type RedisConnection } from '../src/queue/connection.js';
import type { Clock } from '../src/clock.js';
import { redisRunId } from '../src/durability/probe.js';
import { createLatch } from '../src/latch.js';
import type { Logger } from '../src/logger.js';
import type { ChunkStore } from '../src/queue/chunk-store.js';
import type { FollowUps, ReconcileTiming } from '../src/queue/follow-ups.js';
import type { ClaimJournal } from './claim-journal.js';

export interface RollbackRecoveryOptions {
  /** The connection whose reconnects (`ready`) are watched. */
  redis: RedisConnection;
  /**
   * The server whose run_id is compared: a Cluster's master for the deployment's slot
   * (connection.ts createNodeResolver). Default: the connection itself, which must then be one Redis.
   */
  server?: () => Promise<Redis>;
  chunks: ChunkStore;
  followUps: FollowUps;
  journal: ClaimJournal;
  /** Whether a send was compacted once final (send-store.ts `compact`): its chunks are gone by design. */
  compacted?(sendId: string): Promise<boolean>;
  timing: ReconcileTiming;
  clock: Clock;
  logger: Logger;
  /** Stops and restarts this process's job intake around a recovery. */
  pauseIntake(): Promise<void>;
  resumeIntake(): void;
}

export interface RecoveryReport {
  /** Claims that Redis had lost: written back as `unknown` and looked up before any resend. */
  restored: number;
  /** Claims Redis still had (nothing to do). */
  intact: number;
  /** Chunks Redis no longer has at all (left to the orphan sweep). */
  missing: number;
  /** Claims whose attempt number Redis had already handed out again: the chunk may go out twice. */
  reused: number;
}

export interface RollbackRecovery {
  /** Reads the run_id to compare against; then watches every reconnect. */
  start(): Promise<void>;
  stop(): void;
  /**
   * Undefined while claims may go ahead; from a lost connection until the server it came back to
   * has been compared (and any recovery done), a promise to await before claiming.
   */
  claimsHeld(): Promise<void> | undefined;
  /** Restores this process's recent claims that Redis lost (exposed for tests and `start`). */
  recover(): Promise<RecoveryReport>;
}

/**
 * When Redis comes back as another server (its run_id changed: a restart, a failover), it may
 * have lost its last writes, and with them claims this process made and sent. Each recent claim
 * (claim-journal.ts) that Redis no longer has is written back as `unknown` at its attempt and
 * looked up before anything is resent. Job intake is paused meanwhile, so this process does not
 * re-claim those chunks first. In the `fsync` and `replicas` durability modes a claim is durable
 * before its call and this finds nothing; it is what narrows the risk in `none`.
 */
export function createRollbackRecovery(options: RollbackRecoveryOptions): RollbackRecovery {
  const log = options.logger.child({ component: 'rollback-recovery' });
  let runId: string | undefined;
  const redis = options.redis;
  if (!options.server && isCluster(redis)) throw new Error('rollback recovery on a Cluster needs `server`: the master of the deployment\'s slot');
  const server = options.server ?? (async () => redis as Redis);
  let running: Promise<void> | undefined;
  // Pausing intake stops new fetches, but jobs already fetched (or fetched while the reconnect
  // raced the recovery) would claim a lost chunk first: claims wait on this instead.
  const claims = createLatch();
  // Connections lost so far: a comparison releases the claims only if none was lost after it began.
  let losses = 0;
  let stopped = false;
  const holdClaims = () => {
    losses++;
    claims.close();
  };
  const releaseClaims = () => claims.open();

  async function recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { restored: 0, intact: 0, missing: 0, reused: 0 };
    for (const claim of options.journal.recent()) {
      const chunk = await options.chunks.get(claim.chunkId);
      if (!chunk) {
        // A send that ended and was compacted since the claim keeps its outcome in its send hash.
        if (options.compacted && (await options.compacted(claim.sendId))) report.intact++;
        else report.missing++;
        continue;
      }
      if (chunk.attempt > claim.attempt || chunk.outId === claim.outId) {
        report.intact++;
        continue;
      }
      const t = await options.chunks.transition(claim.chunkId, claim.sendId, { trigger: 'rollback-lost-claim', outId: claim.outId });
      if (!t.applied) {
        // Same attempt number, another OutId: a claim made after the rollback already reused it.
        report.reused++;
        log.error({ chunkId: claim.chunkId, attempt: claim.attempt }, 'a lost claim was made again after the rollback: its recipients may get the SMS twice');
        continue;
      }
      report.restored++;
      await options.followUps.reconcile(
        { sendId: claim.sendId, chunkId: claim.chunkId, attempt: claim.attempt, look: 1, dateIndex: 0, page: 1, sentAt: claim.sentAt, outId: claim.outId },
        claim.kind,
        claim.sentAt + options.timing.firstLookAfterMs,
      );
    }
    return report;
  }

  async function onReady(): Promise<void> {
    const now = await redisRunId(await server());
    if (runId === undefined || now === runId) {
      runId = now;
      return;
    }
    log.warn({ previous: runId, current: now }, 'Redis came back as another server (restart or failover): looking up recent claims it may have lost before any resend');
    await options.pauseIntake();
    try {
      const report = await recover();
      // Only once the claims are restored: a recovery that failed is tried again.
      runId = now;
      (report.restored || report.reused || report.missing ? log.error.bind(log) : log.info.bind(log))(report, 'rollback recovery done');
    } finally {
      options.resumeIntake();
    }
  }

  /** Compares (and recovers) until it succeeds, then releases the claims unless a newer loss came since. */
  async function compareAfterReconnect(lossesSeen: number): Promise<void> {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await onReady();
        break;
      } catch (err) {
        // Claims stay held: releasing them now would let a free slot re-claim a lost chunk.
        log.error({ err, attempt }, 'rollback recovery failed; claims stay held and it is tried again');
        if (losses !== lossesSeen) return; // a later reconnect compares again
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** attempt)).unref?.());
      }
    }
    if (losses === lossesSeen && redis.status === 'ready') releaseClaims();
  }

  const listener = () => {
    const lossesSeen = losses;
    running = (running ?? Promise.resolve()).then(() => compareAfterReconnect(lossesSeen));
  };

  return {
    async start() {
      stopped = false;
      runId = await redisRunId(await server());
      options.redis.on('close', holdClaims);
      options.redis.on('ready', listener);
    },
    stop() {
      stopped = true;
      options.redis.off('close', holdClaims);
      options.redis.off('ready', listener);
      releaseClaims();
    },
    claimsHeld: () => claims.wait(),
    recover,
  };
}
