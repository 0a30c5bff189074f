import type { Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { isUnsent, type ChunkState, type ChunkStore } from '../queue/chunk-store.js';
import { isSendEnded, type SendState } from '../queue/lifecycle.js';
import { createNodeResolver, type RedisConnection } from '../queue/connection.js';
import { luaScript } from '../queue/lua.js';
import type { FollowUps } from '../queue/follow-ups.js';
import { CALLS_QUEUE, type Keys } from '../queue/keys.js';
import { MESSAGE_KINDS, type MessageKind } from '../queue/kinds.js';
import { COMPACT_FIELD, COMPACT_MAX_RECIPIENTS, type SendStore } from '../queue/send-store.js';
import { cancelQueuedChunks, endCutShortEnqueue, isAbandonedUnended, isCutShort, wakeParked } from '../queue/send-cancel.js';
import { WITHDRAWN_REASON } from '../queue/withdrawal.js';
import type { Completion } from '../receipts/completion.js';
import { foreignAttemptOf } from '../queue/out-id.js';
import { endForeignAttempt } from './foreign-attempt.js';
import { createChunkJobs, lookUpTimes, type JobsOfChunk, type JobState } from './chunk-jobs.js';
import { lastOfRun } from './prefix-search.js';
import {
  DEFAULT_JOB_SEARCH,
  decideChunk,
  decideEnqueuing,
  decideJob,
  decideCompact,
  decideSettle,
  decideWithdrawn,
  lookedUpAttempt,
  type ChunkSendSnapshot,
  type ChunkSnapshot,
  type ChunkVerdict,
  type JobSearchBounds,
  type SettleSnapshot,
} from './orphan-rules.js';
import { emptyRepairReport, totalFound, type RepairCategory, type RepairProgress, type RepairReport } from './repair-report.js';

export interface OrphanSweepOptions {
  /** On a Cluster, the scan runs on the master serving the deployment's slot (its keys share one hash tag). */
  redis: RedisConnection;
  keys: Keys;
  /** The calls queue: orphaned jobs are removed through it, so BullMQ's own lists stay right. */
  calls: Queue;
  chunks: ChunkStore;
  sends: SendStore;
  followUps: FollowUps;
  completion: Completion;
  /**
   * Compact an ended send whose compaction was cut off (SMSQ_COMPACT_FINISHED), as the worker
   * that saw it end would have. Default false: such a send is left as it is.
   */
  compactFinished?: boolean;
  clock: Clock;
  logger: Logger;
  /** The first reconcile look of an attempt waits this long after it started (ReconcileTiming.firstLookAfterMs). */
  firstLookAfterMs: number;
  /** A chunk changed more recently than this is left alone: its follow-up job may be on its way. Default 60 s. */
  minAgeMs?: number;
  /**
   * A send `enqueuing` with nothing written for this long has lost its producer, and one withdrawn
   * at enqueue (withdrawal.ts) this long ago has lost its retry: ended. Default 10 min.
   */
  enqueueGraceMs?: number;
  /**
   * A send still paused with less than this left of its record's lifetime (its kind's retention)
   * is cancelled, so that its queued recipients leave the totals across sends before its records
   * expire (nothing counts them out then). Twice the sweep's interval, so that one sweep meets it
   * in time. Default 10 min (twice the default interval).
   */
  retentionLapseMs?: number;
  /** Keys per SCAN round trip. Default 500. */
  scanCount?: number;
  /** Ids kept per category in the report. Default 5. */
  maxSamples?: number;
  jobSearch?: JobSearchBounds;
}

export interface SweepRunOptions {
  /** Report only; write nothing. */
  dryRun?: boolean;
  /** Called after each scanned batch. */
  onProgress?: (progress: RepairProgress) => void;
  /** Asked between batches; false stops the sweep there (its lease was lost, the worker stops). */
  shouldContinue?: () => Promise<boolean> | boolean;
}

export interface OrphanSweep {
  run(opts?: SweepRunOptions): Promise<RepairReport>;
}

/** A send past its enqueue, as the sweep read it, for settling or compacting. */
interface SettledSend {
  sendId: string;
  state: SendState;
  /** Its enqueue ended (enqueuedAt). */
  enqueued: boolean;
  announced: boolean;
  /** Recipients and numbers refused at the door, from its record. */
  recipients: number;
}

const CHUNK_FIELDS = ['state', 'attempt', 'outId', 'sentAt', 'sendId', 'code', 'updatedAt', 'kind', 'priorSentAt'] as const;

async function execRows(pipeline: ChainableCommander): Promise<unknown[]> {
  const rows = (await pipeline.exec()) ?? [];
  return rows.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** The send fields the chunk rules read, in {@link chunkSendOf}'s order. */
const CHUNK_SEND_FIELDS = ['state', 'control', 'code', 'enqueuedAt', 'deadline'] as const;

/** The send record as the chunk rules read it ({@link CHUNK_SEND_FIELDS}); undefined when it is gone (every record has a state). */
function chunkSendOf([state, control, code, enqueuedAt, deadline]: readonly (string | null | undefined)[]): ChunkSendSnapshot | undefined {
  if (!state) return undefined;
  return { state: state as SendState, control: control ?? undefined, code: code ?? undefined, enqueued: enqueuedAt != null, deadline: deadline ? Number(deadline) : undefined };
}

/** What the sweep does about a chunk, per verdict, as its log says it (docs/operations.md "Repair sweep"). */
const VERDICT_WORDS: Readonly<Record<Exclude<ChunkVerdict, { action: 'none' }>['action'], string>> = Object.freeze({
  'look-up-unknown': 'its attempt is looked up again, never resent before the look-up',
  'look-up-sending': 'marked unknown (SMSQ_ORPHANED) and looked up, never resent before the look-up',
  'look-up-queued': 'marked unknown (SMSQ_ORPHANED) at its next attempt and looked up (a claim lost with Redis writes may have sent it), then sent if not found',
  'end-foreign-attempt': 'ended without a call (its attempt is none smsq makes)',
  'end-with-send': 'ended as its send says (failed, cancelled or past its deadline), without a call',
  'end-send-missing': 'ended without a call (its send record is gone, SMSQ_SEND_MISSING)',
});

/** {@link OrphanSweepOptions.retentionLapseMs} by default: twice the default interval between sweeps (5 min). */
export const DEFAULT_RETENTION_LAPSE_MS = 600_000;

const kindOf = (v: string | null | undefined): MessageKind => (MESSAGE_KINDS as readonly string[]).includes(v ?? '') ? (v as MessageKind) : 'notification';

/**
 * Finds what a Redis that lost writes (a host crash, a failover) or a dead producer leaves
 * behind, and resolves it: chunks `queued`, `sending` or `unknown` with no job that will act on
 * them, jobs whose chunk or send is gone, sends stuck `enqueuing`, sends withdrawn at enqueue that
 * no retry took back, sends left unsettled. One SCAN over the deployment's
 * keys in batches (bounded memory, no blocking command); each batch is read with pipelines, the
 * decisions are orphan-rules.ts's, and every write goes through the chunk store's transition (so
 * counts and events move with it) or the follow-ups API (deterministic job ids). Each run also
 * trims the index of sends of expired entries, for every kind (trim-send-index.lua).
 */
export function createOrphanSweep(options: OrphanSweepOptions): OrphanSweep {
  const minAgeMs = options.minAgeMs ?? 60_000;
  const enqueueGraceMs = options.enqueueGraceMs ?? 600_000;
  const retentionLapseMs = options.retentionLapseMs ?? DEFAULT_RETENTION_LAPSE_MS;
  const scanCount = options.scanCount ?? 500;
  const maxSamples = options.maxSamples ?? 5;
  const bounds = options.jobSearch ?? DEFAULT_JOB_SEARCH;
  const head = `${options.keys.prefix}:`;
  const jobKey = (jobId: string) => `${options.keys.prefix}:${CALLS_QUEUE}:${jobId}`;
  const delayedJobs = `${options.keys.prefix}:${CALLS_QUEUE}:delayed`;
  const log = options.logger.child({ component: 'repair' });
  const chunkJobs = createChunkJobs(options.redis, options.keys, bounds);
  // Every key of a deployment carries its hash tag, so one node holds them all.
  const scanNode = createNodeResolver(options.redis, options.keys.repairLease());
  const trimIndexScript = luaScript(options.redis, 'trim-send-index');

  /**
   * The index of sends is trimmed when a send of a kind is created; a kind no longer sent would keep
   * its expired entries for good. One script a sweep trims every kind (the sweep runs on one worker).
   */
  async function trimSendIndex(): Promise<number> {
    const indexKeys = MESSAGE_KINDS.map((kind) => options.keys.sendIndex(kind));
    return Number(await trimIndexScript(1 + indexKeys.length, options.keys.sendIndexHorizon(), ...indexKeys, options.clock.now(), ...MESSAGE_KINDS));
  }

  return {
    async run(opts = {}) {
      const dryRun = opts.dryRun === true;
      const report = emptyRepairReport(dryRun, options.clock.now());
      if (!dryRun) {
        const trimmed = await trimSendIndex();
        if (trimmed > 0) log.debug({ trimmed }, 'repair sweep: entries of expired sends trimmed from the index of sends');
      }
      const note = (category: RepairCategory, id: string) => {
        report.found[category]++;
        if (report.samples[category].length < maxSamples) report.samples[category].push(id);
      };

      /** The highest look any reconcile job of `attempt` used: a new look must not reuse a finished job's id. */
      async function highestLook(chunkId: string, attempt: number): Promise<number> {
        return (await chunkJobs.lookUps(chunkId, attempt)).reduce((max, s) => (s.exists ? Math.max(max, s.look) : max), 0);
      }

      async function act(chunk: ChunkSnapshot, kind: MessageKind, verdict: Exclude<ChunkVerdict, { action: 'none' }>): Promise<boolean> {
        const { chunkId, sendId } = chunk;
        const lookUp = async (l: { attempt: number; look: number; at: number }) =>
          options.followUps.reconcile({ sendId, chunkId, attempt: l.attempt, look: l.look, dateIndex: 0, page: 1 }, kind, l.at);
        switch (verdict.action) {
          case 'look-up-unknown':
            await lookUp(verdict.lookUp);
            return true;
          case 'look-up-sending': {
            const t = await options.chunks.transition(chunkId, sendId, { trigger: 'orphan-sending', outId: verdict.outId });
            if (t.applied) await lookUp(verdict.lookUp);
            return t.applied;
          }
          case 'look-up-queued': {
            const t = await options.chunks.transition(chunkId, sendId, {
              trigger: 'orphan-lost-claim',
              outId: verdict.expectOutId,
              expectState: chunk.state,
              fields: { attempt: verdict.attempt, outId: verdict.outId, sentAt: options.clock.now() },
            });
            if (t.applied) await lookUp(verdict.lookUp);
            return t.applied;
          }
          case 'end-foreign-attempt':
            return endForeignAttempt({ chunks: options.chunks, completion: options.completion, logger: log }, { chunkId, sendId, state: chunk.state, outId: chunk.outId, foreignAttempt: verdict.attempt });
          case 'end-with-send':
            // Not a transition: the send's checks must be read in the script that ends the chunk,
            // the claim's own (send-ends-chunk.lua); the send is settled after, as after a claim's end.
            return (await options.chunks.endBySend(chunkId, sendId)).type === 'ended';
          case 'end-send-missing': {
            const t = await options.chunks.transition(chunkId, sendId, { trigger: 'send-missing', expectState: chunk.state });
            // The transition counted the move in the send's counts, which went with the send: do
            // not leave a counts hash without a lifetime behind.
            if ((await options.redis.exists(options.keys.send(sendId))) === 0) await options.redis.unlink(options.keys.sendCounts(sendId));
            return t.applied;
          }
        }
      }

      /**
       * A chunk not final whose last job BullMQ failed, and nothing of smsq's recorded it (the worker
       * that failed it died before its failure handler's writes, Redis refused them, or another
       * program failed it through BullMQ's API): the round's line only counts it as without a job.
       * Said once, with the failure's reason and what is done, as the worker's handler says its own.
       */
      function sayFailedJob(chunk: ChunkSnapshot, job: JobState, verdict: Exclude<ChunkVerdict, { action: 'none' }>): void {
        const { chunkId, sendId, state } = chunk;
        const what = `${dryRun ? 'would be ' : ''}${VERDICT_WORDS[verdict.action]}`;
        log.warn({ sendId, chunkId, state, jobId: job.id, job: 'failed', failedReason: job.failedReason }, `repair sweep: chunk ${chunkId} was left ${state} by its job ${job.id}, which BullMQ failed (${job.failedReason ?? ''}) without smsq recording it: ${what}`);
      }

      async function sweepChunks(chunkIds: readonly string[]): Promise<void> {
        if (chunkIds.length === 0) return;
        report.scanned.chunks += chunkIds.length;
        const p = options.redis.pipeline();
        for (const id of chunkIds) p.hmget(options.keys.chunk(id), ...CHUNK_FIELDS);
        const rows = (await execRows(p)) as (string | null)[][];
        const now = options.clock.now();
        const candidates: { chunk: ChunkSnapshot; kind: MessageKind }[] = [];
        rows.forEach((row, i) => {
          const [state, attempt, outId, sentAt, sendId, code, updatedAt, kind, priorSentAt] = row;
          if (!state || !sendId || !isUnsent(state as ChunkState)) return;
          const chunk: ChunkSnapshot = {
            chunkId: chunkIds[i] as string,
            sendId,
            state: state as ChunkState,
            attempt: Number(attempt ?? 0),
            outId: outId || undefined,
            ...lookUpTimes(sentAt, priorSentAt),
            code: code || undefined,
            updatedAt: Number(updatedAt ?? 0),
            foreignAttempt: foreignAttemptOf(attempt),
          };
          if (now - chunk.updatedAt >= minAgeMs) candidates.push({ chunk, kind: kindOf(kind) });
        });
        if (candidates.length === 0) return;
        const sendsPipeline = options.redis.pipeline();
        for (const c of candidates) sendsPipeline.hmget(options.keys.send(c.chunk.sendId), ...CHUNK_SEND_FIELDS);
        const sendRows = (await execRows(sendsPipeline)) as (string | null)[][];
        const ended = new Set<string>();
        for (const [i, { chunk, kind }] of candidates.entries()) {
          // Read just before the chunk is judged, not with the batch: acting on the chunks before it takes time.
          const jobs = (await chunkJobs.of([chunk], options.clock.now()))[0] as JobsOfChunk;
          if (jobs.live) continue;
          const send = chunkSendOf(sendRows[i] ?? []);
          // An unknown chunk's look-ups were read with its jobs (its own attempt is the one looked up).
          const attempt = lookedUpAttempt(chunk);
          const look = !send ? 0 : attempt === chunk.attempt && jobs.highestLook !== undefined ? jobs.highestLook : await highestLook(chunk.chunkId, attempt);
          const verdict = decideChunk(chunk, { send, hasLiveJob: false, highestLook: look }, { now: options.clock.now(), minAgeMs, firstLookAfterMs: options.firstLookAfterMs });
          if (verdict.action === 'none') continue;
          const category: RepairCategory =
            verdict.action === 'end-send-missing'
              ? 'chunksOfMissingSend'
              : verdict.action === 'end-foreign-attempt'
                ? 'attemptNotOurs'
              : verdict.action === 'end-with-send'
                ? 'queuedOfEndedSend'
                : chunk.state === 'queued'
                  ? 'queuedWithoutJob'
                  : chunk.state === 'sending'
                    ? 'sendingWithoutJob'
                    : 'unknownWithoutJob';
          if (dryRun || (await act(chunk, kind, verdict))) {
            note(category, chunk.chunkId);
            if (jobs.failed) sayFailedJob(chunk, jobs.failed, verdict);
            // A dry run writes nothing: its ended send is not announced or compacted either.
            if (verdict.action === 'end-with-send' && !dryRun) ended.add(chunk.sendId);
          } else report.movedOn++;
        }
        // An ended send whose last queued chunks these were: announced if it was not, and compacted, as after a claim's end.
        for (const sendId of ended) await options.completion.check(sendId);
      }

      /** How many chunks `0..n-1` of a send exist: they are written in order, so a search over the prefix finds it. */
      async function chunksWritten(sendId: string): Promise<number> {
        const exists = async (i: number) => (await options.redis.exists(options.keys.chunk(`${sendId}.${i}`))) === 1;
        return (await exists(0)) ? (await lastOfRun(exists, 0)) + 1 : 0;
      }

      async function sweepSends(sendIds: readonly string[]): Promise<void> {
        if (sendIds.length === 0) return;
        report.scanned.sends += sendIds.length;
        const p = options.redis.pipeline();
        for (const id of sendIds) {
          p.hmget(options.keys.send(id), 'state', 'createdAt', 'chunks', 'enqueuedAt', 'endNotifiedAt', COMPACT_FIELD, 'recipients', 'rejected', 'controlReason', 'stateChangedAt', 'code');
          p.scard(options.keys.sendParked(id)).pttl(options.keys.send(id));
        }
        const replies = await execRows(p);
        const settled: SettledSend[] = [];
        for (const [i, sendId] of sendIds.entries()) {
          const [state, createdAt, chunks, enqueuedAt, endNotifiedAt, compacted, recipients, rejected, controlReason, stateChangedAt, code] = replies[3 * i] as (string | null)[];
          const parked = Number(replies[3 * i + 1] ?? 0);
          const lifeLeftMs = Number(replies[3 * i + 2] ?? -1);
          // A compacted send was final and announced before it was compacted.
          if (!state || compacted != null) continue;
          const withdrawn = decideWithdrawn({ state: state as SendState, controlReason: controlReason ?? undefined, stateChangedAt: Number(stateChangedAt ?? 0) }, { now: options.clock.now(), graceMs: enqueueGraceMs });
          if (withdrawn.action === 'cancel') {
            await endWithdrawn(sendId, Number(chunks ?? 0), withdrawn.reason);
            continue;
          }
          if (isCutShort(state as SendState, enqueuedAt != null)) {
            await endCutShort(sendId);
            continue;
          }
          if (isAbandonedUnended(state as SendState, enqueuedAt != null, code ?? undefined)) {
            await endAbandoned(sendId);
            continue;
          }
          // -1: a record without a TTL (written by hand) lives on, and so may its pause.
          if (state === 'paused' && lifeLeftMs >= 0 && lifeLeftMs < retentionLapseMs) {
            await endPastRetention(sendId, Number(chunks ?? 0), enqueuedAt != null);
            continue;
          }
          // What ended it woke its parked jobs after its own writes (endAbandoned, endCutShort, a
          // cancel, a worker failing the send): cut off between the two, it is not found again as
          // unended, and its jobs would sleep out their park (parkMs, 30 min) with nothing to wake them.
          if (parked > 0 && isSendEnded(state as SendState)) await wakeEnded(sendId);
          // A send past its enqueue can only have been left unsettled. A send paused while
          // enqueuing has not finished its enqueue (its enqueuedAt says when it does).
          if (state !== 'enqueuing' && !(state === 'paused' && !enqueuedAt)) {
            settled.push({ sendId, state: state as SendState, enqueued: enqueuedAt != null, announced: endNotifiedAt != null, recipients: Number(recipients ?? 0) + Number(rejected ?? 0) });
            continue;
          }
          const written = await chunksWritten(sendId);
          const lastChunkAt = written > 0 ? Number((await options.redis.hget(options.keys.chunk(`${sendId}.${written - 1}`), 'createdAt')) ?? 0) : undefined;
          const verdict = decideEnqueuing(
            { sendId, createdAt: Number(createdAt ?? 0), chunks: Number(chunks ?? 0), chunksWritten: written, lastChunkAt },
            { now: options.clock.now(), graceMs: enqueueGraceMs },
          );
          if (verdict.action === 'none') continue;
          if (verdict.action === 'finish') {
            if (!dryRun) {
              await options.sends.markEnqueued(sendId);
              await options.completion.check(sendId);
            }
            note('enqueuingFinished', sendId);
          } else if (dryRun) {
            note('enqueuingAbandoned', sendId);
          } else if (await options.sends.fail(sendId, 'abandon', verdict.reason)) {
            await endAbandoned(sendId);
          }
          // Not failed: its producer ended its enqueue (or an operator moved it) since the read above; it goes on.
        }
        await settleSends(settled);
      }

      /**
       * Cancels a withdrawn send no retry took back, as an operator's cancel does (its queued chunks
       * cancelled, its parked jobs woken to end, its end announced); only while it still bears the
       * withdrawal's mark, so a retry that took it back since is not undone.
       */
      async function endWithdrawn(sendId: string, chunks: number, reason: string): Promise<void> {
        if (dryRun) {
          note('withdrawnNotRetried', sendId);
          return;
        }
        const moved = await options.sends.setControl(sendId, 'withdrawal-lapsed', reason, WITHDRAWN_REASON);
        if (!moved || moved.from === moved.to) {
          report.movedOn++;
          return;
        }
        await cancelQueuedChunks(options.chunks, sendId, chunks);
        await wakeParked({ redis: options.redis, keys: options.keys, queue: options.calls }, sendId);
        await options.completion.check(sendId);
        await forgetEndedMark(sendId);
        log.warn({ sendId, reason }, 'repair sweep: send withdrawn at enqueue and never retried: cancelled');
        note('withdrawnNotRetried', sendId);
      }

      /**
       * Cancels a send paused up to the end of its retention, as an operator's cancel does: its
       * records would expire with its recipients queued, and the totals across sends
       * (smsq_recipients) would count them queued for good, since nothing counts a record out as
       * it expires. A paused send whose enqueue had not ended (its producer still writing, or
       * gone) has it ended at the chunks written, as a cancel ends it.
       */
      async function endPastRetention(sendId: string, chunks: number, enqueued: boolean): Promise<void> {
        if (dryRun) {
          note('pausedPastRetention', sendId);
          return;
        }
        const reason = 'paused up to the end of its retention: cancelled by the repair sweep before its records expire';
        const moved = await options.sends.setControl(sendId, 'retention-lapsed', reason);
        if (!moved || moved.from === moved.to) {
          report.movedOn++;
          return;
        }
        const deps = { redis: options.redis, keys: options.keys, chunks: options.chunks, sends: options.sends };
        if (enqueued) await cancelQueuedChunks(options.chunks, sendId, chunks);
        else await endCutShortEnqueue(deps, sendId);
        await wakeParked({ redis: options.redis, keys: options.keys, queue: options.calls }, sendId);
        await options.completion.check(sendId);
        log.warn({ sendId }, 'repair sweep: send paused up to the end of its retention: cancelled, its queued chunks never sent');
        note('pausedPastRetention', sendId);
      }

      /**
       * Its idempotency key's mark that the enqueue ended (written before the confirmation that
       * failed) would answer a retry `duplicate` from the key alone once the send's records have
       * expired, for a send that never went out: without it, a retry is refused while the records
       * last (SMSQ_SEND_WITHDRAWN, read from them) and made again, once, after.
       */
      async function forgetEndedMark(sendId: string): Promise<void> {
        const key = (await options.sends.status(sendId))?.send.idempotencyKey;
        if (key === undefined) return;
        const mark = options.keys.idempotencyDone(key);
        if ((await options.redis.hget(mark, 'send')) === sendId) await options.redis.del(mark);
      }

      /**
       * Ends a send cancelled before its enqueue ended, as its cancel does now (send-cancel.ts):
       * one cancelled by an older smsq, or whose cancel was cut off before it ended the enqueue. A
       * cancelled send takes no new chunk, so no grace is waited for. Its end is announced (the
       * cancel may have announced it already) and, nothing pending, it is compacted.
       */
      async function endCutShort(sendId: string): Promise<void> {
        if (!dryRun) {
          await endCutShortEnqueue({ redis: options.redis, keys: options.keys, chunks: options.chunks, sends: options.sends }, sendId);
          await wakeParked({ redis: options.redis, keys: options.keys, queue: options.calls }, sendId);
          await options.completion.check(sendId);
          log.warn({ sendId }, 'repair sweep: send cancelled before its enqueue ended: enqueue ended at the chunks written');
        }
        note('cancelledMidEnqueue', sendId);
      }

      /**
       * Ends the enqueue of a send failed as abandoned (its producer died mid-list) at the chunks
       * written, as a cancel ends a cut-short one (send-cancel.ts): failed is final, so its enqueue
       * is over, and its totals are what it holds. Failed first, so one cut off between the two
       * is found again here ({@link isAbandonedUnended}). Its end is announced as any other: its
       * callback goes (a later sweep would find it unannounced).
       */
      async function endAbandoned(sendId: string): Promise<void> {
        if (!dryRun) {
          // Undefined: no longer a send failed as abandoned with its enqueue unended (its producer ended it first).
          if (!(await endCutShortEnqueue({ redis: options.redis, keys: options.keys, chunks: options.chunks, sends: options.sends }, sendId, 'abandoned'))) return;
          // Paused when its producer died, its jobs may be parked: they end now, not a park later.
          await wakeParked({ redis: options.redis, keys: options.keys, queue: options.calls }, sendId);
          await options.completion.check(sendId);
          log.warn({ sendId }, 'repair sweep: send abandoned by its producer mid-enqueue: failed, its enqueue ended at the chunks written');
        }
        note('enqueuingAbandoned', sendId);
      }

      /**
       * Wakes the jobs still parked of an ended send: each claim then ends its chunk as the send
       * says, or finds it ended. Only a job still delayed is one that what ended the send did not
       * wake: the set also keeps the ids of jobs that woke at their park's end (the send's
       * deadline) and ran, which nothing takes out; an ended send parks no job again, so those
       * are dropped without a word.
       */
      async function wakeEnded(sendId: string): Promise<void> {
        const parkedKey = options.keys.sendParked(sendId);
        const ids = await options.redis.smembers(parkedKey);
        const p = options.redis.pipeline();
        for (const id of ids) p.zscore(delayedJobs, id);
        const scores = ids.length > 0 ? await execRows(p) : [];
        const delayed = ids.filter((_, i) => scores[i] != null);
        const ran = ids.filter((_, i) => scores[i] == null);
        if (dryRun) {
          if (delayed.length > 0) note('parkedOfEndedSend', sendId);
          return;
        }
        if (ran.length > 0) await options.redis.srem(parkedKey, ...ran);
        if (delayed.length === 0) return;
        await wakeParked({ redis: options.redis, keys: options.keys, queue: options.calls }, sendId);
        note('parkedOfEndedSend', sendId);
      }

      /** Sends past their enqueue whose counts moved on without them (orphan-rules.ts decideSettle). */
      async function settleSends(sends: readonly SettledSend[]): Promise<void> {
        // Open sends may be unsettled; ended and announced ones (not compacted: those were left out) may be uncompacted.
        const open = sends.filter((s) => !isSendEnded(s.state) || (options.compactFinished === true && s.announced));
        const p = options.redis.pipeline();
        for (const { sendId } of open) p.exists(options.keys.sendCounts(sendId)).hmget(options.keys.sendCounts(sendId), 'queued', 'sending', 'unknown', 'accepted');
        const rows = open.length > 0 ? await execRows(p) : [];
        const counts = new Map<string, SettleSnapshot['counts']>();
        open.forEach(({ sendId }, i) => {
          if (rows[2 * i] !== 1) return;
          const [queued, sending, unknown, accepted] = (rows[2 * i + 1] as (string | null)[]).map((v) => Number(v ?? 0));
          counts.set(sendId, { unsent: (queued ?? 0) + (sending ?? 0) + (unknown ?? 0), accepted: accepted ?? 0 });
        });
        for (const send of sends) {
          if (isSendEnded(send.state) && send.announced) {
            if (options.compactFinished !== true || decideCompact({ enqueued: send.enqueued, recipients: send.recipients, counts: counts.get(send.sendId) }, COMPACT_MAX_RECIPIENTS).action === 'none') continue;
            // The script decides last (a receipt may have come since): refused, it is left as it is.
            if (dryRun || (await options.sends.compact(send.sendId)).compacted) note('sendsNotCompacted', send.sendId);
            continue;
          }
          if (decideSettle({ state: send.state, announced: send.announced, counts: counts.get(send.sendId) }).action === 'none') continue;
          if (!dryRun) await options.completion.check(send.sendId);
          note('sendsNotSettled', send.sendId);
        }
      }

      async function sweepJobs(ids: readonly string[]): Promise<void> {
        if (ids.length === 0) return;
        report.scanned.jobs += ids.length;
        const p = options.redis.pipeline();
        for (const id of ids) p.hmget(jobKey(id), 'data', 'finishedOn');
        const rows = (await execRows(p)) as (string | null)[][];
        const live: { jobId: string; sendId: string; chunkId: string }[] = [];
        rows.forEach(([data, finishedOn], i) => {
          if (data == null || finishedOn != null) return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(data);
          } catch {
            return; // not ours to judge: the processor fails a job with bad data
          }
          const { sendId, chunkId } = (parsed ?? {}) as { sendId?: unknown; chunkId?: unknown };
          if (typeof sendId === 'string' && typeof chunkId === 'string') live.push({ jobId: ids[i] as string, sendId, chunkId });
        });
        if (live.length === 0) return;
        const q = options.redis.pipeline();
        for (const j of live) q.exists(options.keys.chunk(j.chunkId)).exists(options.keys.send(j.sendId)).hexists(options.keys.send(j.sendId), COMPACT_FIELD);
        const present = await execRows(q);
        for (const [i, j] of live.entries()) {
          const [chunkExists, sendExists, sendCompacted] = present.slice(3 * i, 3 * i + 3).map((n) => n === 1);
          if (decideJob({ chunkExists: chunkExists === true, sendExists: sendExists === true, sendCompacted: sendCompacted === true }).action === 'none') continue;
          if (dryRun) {
            note('jobsWithoutChunkOrSend', j.jobId);
            continue;
          }
          // BullMQ refuses to remove a job a worker holds (locked): that one ends by itself.
          if ((await options.calls.remove(j.jobId)) === 1) note('jobsWithoutChunkOrSend', j.jobId);
          else report.movedOn++;
        }
      }

      let cursor = '0';
      do {
        const [next, batch] = await (await scanNode()).scan(cursor, 'MATCH', `${head}*`, 'COUNT', scanCount);
        cursor = next;
        report.scanned.keys += batch.length;
        const chunkIds: string[] = [];
        const sendIds: string[] = [];
        const jobIds: string[] = [];
        for (const key of batch) {
          const rest = key.slice(head.length);
          const colon = rest.indexOf(':');
          if (colon < 0) continue;
          const type = rest.slice(0, colon);
          const id = rest.slice(colon + 1);
          if (id.length === 0 || id.includes(':')) continue;
          if (type === 'chunk') chunkIds.push(id);
          else if (type === 'send') sendIds.push(id);
          else if (type === CALLS_QUEUE && /^[srq]\./.test(id)) jobIds.push(id);
        }
        // Jobs first: a chunk of a gone send whose job is removed here is ended when the scan reaches it (this batch or the next sweep).
        await sweepJobs(jobIds);
        await sweepSends(sendIds);
        await sweepChunks(chunkIds);
        opts.onProgress?.({ scannedKeys: report.scanned.keys, found: totalFound(report) });
        if (cursor !== '0' && opts.shouldContinue && !(await opts.shouldContinue())) {
          report.complete = false;
          break;
        }
      } while (cursor !== '0');
      report.durationMs = options.clock.now() - report.startedAt;
      if (totalFound(report) > 0) log.debug({ found: report.found }, 'repair sweep done');
      return report;
    },
  };
}
