/**
 * The jobs of a chunk, as the repair sweep (orphan-sweep.ts) and `status` (send-wait.ts,
 * `job-failed` and `job-missing`) read them: whether one will still act on the chunk, and the last one BullMQ
 * failed. Read-only. A chunk's jobs are found by their deterministic ids (job-schemas.ts jobIds):
 * send jobs `s.<chunk>.a1 .. a<attempt+1>`, look-ups `r.<chunk>.a<attempt>.l<look>…`.
 */
import type { RedisConnection } from '../queue/connection.js';
import { isUnsent, type ChunkState } from '../queue/lifecycle.js';
import { chunkOfJob, jobIds } from '../queue/job-schemas.js';
import { chunkIdOf } from '../queue/chunk-store.js';
import { CALLS_QUEUE, type Keys } from '../queue/keys.js';
import { FLOW_CONTROL_WALK_MAX_CHUNKS, readChunkFields } from '../queue/send-wait-facts.js';
import type { StrandedChunks } from '../queue/send-wait.js';
import { lastOfRun } from './prefix-search.js';
import { DEFAULT_JOB_SEARCH, lookUpDateCount, reconcileJobCandidates, sendJobCandidates, type JobSearchBounds, type ReconcileCandidate } from './orphan-rules.js';

/** A job read for a chunk. */
export interface JobState {
  id: string;
  exists: boolean;
  /** It will still act: waiting, delayed, prioritized, active or retrying (not finished). */
  live: boolean;
  /** Finished as failed: BullMQ's reason. */
  failedReason: string | undefined;
}

/** What is read of a chunk to find its jobs. */
export interface ChunkForJobs {
  chunkId: string;
  state: ChunkState;
  attempt: number;
  code: string | undefined;
  /** Its `sentAt` and `priorSentAt`: at how many dates its look-up's jobs may stand (orphan-rules.ts lookUpDateCount). */
  sentAt?: number | undefined;
  priorSentAt?: number | undefined;
}

export interface ChunkJobs {
  /** Per job id: exists, live, failed. */
  states(ids: readonly string[]): Promise<JobState[]>;
  /**
   * The reconcile jobs of `attempt`: its first `maxLooks` looks and, when the chain goes on past
   * them, the `maxLooks` that end at its newest look. Looks are made one after another, and a chain
   * longer than the first window (a settling window of more looks, look-ups made anew) was cut
   * there: its live look was missed, and the sweep's new look took the id of a finished one, which
   * BullMQ ignores, so a chunk whose newest look failed stayed unknown for good, the sweep reporting
   * it resolved every round. Each look at `dates` SendDates (default two: the first dates, where
   * every look begins, are enough to find the highest look).
   */
  lookUps(chunkId: string, attempt: number, dates?: number): Promise<(JobState & { look: number })[]>;
  /** Whether a job of the chunk will still act on it, and the last one BullMQ failed. */
  of(chunk: ChunkForJobs): Promise<{ live: boolean; failed: JobState | undefined }>;
}

export function createChunkJobs(redis: RedisConnection, keys: Keys, bounds: JobSearchBounds = DEFAULT_JOB_SEARCH): ChunkJobs {
  const jobKey = (jobId: string) => `${keys.prefix}:${CALLS_QUEUE}:${jobId}`;
  const jobs: ChunkJobs = {
    async states(ids) {
      if (ids.length === 0) return [];
      const p = redis.pipeline();
      for (const id of ids) p.hmget(jobKey(id), 'name', 'finishedOn', 'failedReason');
      return ((await p.exec()) ?? []).map(([err, row], i) => {
        if (err) throw err;
        const [name, finishedOn, failedReason] = row as (string | null)[];
        const exists = name != null;
        return { id: ids[i] as string, exists, live: exists && finishedOn == null, failedReason: exists && finishedOn != null && failedReason != null ? failedReason : undefined };
      });
    },

    async lookUps(chunkId, attempt, dates) {
      const windowFrom = async (first: number) => {
        const candidates = reconcileJobCandidates(chunkId, attempt, bounds, first, dates);
        return (await jobs.states(candidates.map((c) => c.id))).map((state, i) => ({ ...state, look: (candidates[i] as ReconcileCandidate).look }));
      };
      const first = await windowFrom(1);
      if (!first.some((s) => s.exists && s.look === bounds.maxLooks)) return first;
      // The chain goes on past the first window: its newest look, found by its first page's job
      // (a look's other pages and dates follow it), and the window that ends there.
      const firstPage = async (look: number) => (await jobs.states([jobIds.reconcilePage({ chunkId, attempt, look, dateIndex: 0, page: 1 })]))[0]?.exists === true;
      const newest = await lastOfRun(firstPage, bounds.maxLooks);
      return newest === bounds.maxLooks ? first : [...first, ...(await windowFrom(Math.max(bounds.maxLooks + 1, newest - bounds.maxLooks + 1)))];
    },

    async of(chunk) {
      const read = await jobs.states(sendJobCandidates(chunk.chunkId, chunk.attempt, bounds));
      // A look-up still acts on an unknown chunk, and on a queued one it found "not accepted"
      // (a re-run schedules the resend).
      // Its live look may stand at any date its look-up asks: after an adoption, every day since the attempt before it.
      if (chunk.state === 'unknown' || (chunk.state === 'queued' && chunk.code === 'SMSQ_NOT_ACCEPTED')) read.push(...(await jobs.lookUps(chunk.chunkId, chunk.attempt, lookUpDateCount(chunk))));
      return { live: read.some((s) => s.live), failed: read.findLast((s) => s.failedReason !== undefined) };
    },
  };
  return jobs;
}

/** A chunk's `sentAt` and `priorSentAt` as read from its hash (an empty or missing field is none). */
export function lookUpTimes(sentAt: string | null | undefined, priorSentAt: string | null | undefined): { sentAt: number | undefined; priorSentAt: number | undefined } {
  return { sentAt: sentAt ? Number(sentAt) : undefined, priorSentAt: priorSentAt ? Number(priorSentAt) : undefined };
}

/**
 * Failed jobs read at most per status, the newest of those failed since the send was created
 * (BullMQ scores its failed set by the time a job finished): a status is polled (`--wait`,
 * `--watch`), and the failed set keeps a week of every send's failures.
 */
const MAX_FAILED_READ = 1_000;

/** The send's creation is the producer's clock, a failure's time the worker's: room for the two to differ. */
const CLOCKS_APART_MS = 5 * 60_000;

/**
 * A chunk changed more recently than this is not taken for one without a job: its follow-up job
 * may be on its way (the repair sweep's own `minAgeMs` default).
 */
export const NO_JOB_MIN_AGE_MS = 60_000;

/**
 * The chunks of a send that no job will send or settle: nothing moves them until the repair sweep
 * finds them (orphan-sweep.ts), and nobody was told. Those a send or look-up job BullMQ failed left
 * (its failed set read newest first from the send's creation, at most {@link MAX_FAILED_READ} ids); in a send of at most
 * {@link FLOW_CONTROL_WALK_MAX_CHUNKS} chunks (a code, a notification), also those with no job at
 * all, unchanged for {@link NO_JOB_MIN_AGE_MS} (Redis's time, `atMs`). A failure smsq's worker
 * recorded (a queued chunk given up, a chunk in doubt looked up) leaves no such chunk.
 */
export async function readStrandedChunks(redis: RedisConnection, keys: Keys, send: { sendId: string; chunks: number; createdAt: number }, atMs: number): Promise<StrandedChunks> {
  const jobs = createChunkJobs(redis, keys);
  const seen = new Set<string>();
  const out: StrandedChunks = {};
  const failedSet = `${keys.prefix}:${CALLS_QUEUE}:failed`;
  const mine = [`s.${send.sendId}.`, `r.${send.sendId}.`];
  const failedChunks = [...new Set((await redis.zrevrangebyscore(failedSet, '+inf', send.createdAt - CLOCKS_APART_MS, 'LIMIT', 0, MAX_FAILED_READ)).filter((id) => mine.some((m) => id.startsWith(m))).map(chunkOfJob))];
  if (failedChunks.length > 0) {
    const p = redis.pipeline();
    for (const chunkId of failedChunks) p.hmget(keys.chunk(chunkId), 'state', 'attempt', 'code', 'n', 'sentAt', 'priorSentAt');
    const rows = ((await p.exec()) ?? []).map(([err, row]) => (err ? [] : (row as (string | null)[])));
    for (const [i, chunkId] of failedChunks.entries()) {
      const [state, attempt, code, n, sentAt, priorSentAt] = rows[i] ?? [];
      if (!state || !isUnsent(state as ChunkState)) continue;
      seen.add(chunkId);
      const found = await jobs.of({ chunkId, state: state as ChunkState, attempt: Number(attempt ?? 0), code: code ?? undefined, ...lookUpTimes(sentAt, priorSentAt) });
      if (found.live || !found.failed) continue;
      const f = (out.failed ??= { chunks: 0, recipients: 0, jobId: found.failed.id, failedReason: found.failed.failedReason ?? '' });
      f.chunks++;
      f.recipients += Number(n ?? 0);
    }
  }
  if (send.chunks >= 1 && send.chunks <= FLOW_CONTROL_WALK_MAX_CHUNKS) {
    for (const c of await readChunkFields(redis, keys, send.sendId, send.chunks, ['attempt', 'code', 'updatedAt', 'sentAt', 'priorSentAt'])) {
      const chunkId = chunkIdOf(send.sendId, c.index);
      if (!c.state || !isUnsent(c.state as ChunkState) || seen.has(chunkId) || atMs - Number(c.updatedAt ?? 0) < NO_JOB_MIN_AGE_MS) continue;
      const found = await jobs.of({ chunkId, state: c.state as ChunkState, attempt: Number(c.attempt ?? 0), code: c.code ?? undefined, ...lookUpTimes(c.sentAt, c.priorSentAt) });
      if (found.live || found.failed) continue;
      const m = (out.missing ??= { chunks: 0, recipients: 0 });
      m.chunks++;
      m.recipients += Number(c.n ?? 0);
    }
  }
  return out;
}
