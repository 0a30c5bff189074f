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
import type { StatusChunk } from '../queue/send-wait-facts.js';
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
  /** When it finished (ms, the clock of the worker that finished it). */
  finishedOn: number | undefined;
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
  /** When it last changed (ms): a job that failed before then did not leave it as it is. */
  updatedAt?: number | undefined;
}

/** Whether a job of the chunk will still act on it, and the failed job that left it as it is. */
export interface JobsOfChunk {
  live: boolean;
  /** The last job BullMQ failed at or after the chunk's last change, at least {@link FAILURE_SETTLE_MS} before `atMs`. */
  failed: JobState | undefined;
  /** The highest look of a reconcile job of the chunk's own attempt that exists, when its look-ups were read (0: none). */
  highestLook: number | undefined;
}

/**
 * A failed job is blamed for its chunk only this long after it failed: BullMQ fails the job, then
 * smsq's failure handler (workers/sms-worker.ts onJobFailed) records what becomes of the chunk, and
 * a chunk read between the two was not left by the job.
 */
export const FAILURE_SETTLE_MS = 5_000;

export interface ChunkJobs {
  /** Per job id: exists, live, failed (one pipelined round trip). */
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
  /**
   * {@link JobsOfChunk} of each chunk, judged at `atMs`. Every chunk's candidate jobs are read in
   * one pipelined round trip, whatever their number: status asks this of every unsent chunk of a
   * send on each poll. Only a chain of looks longer than the first window needs more (its newest
   * look is searched for), for that chunk alone.
   */
  of(chunks: readonly ChunkForJobs[], atMs: number): Promise<JobsOfChunk[]>;
}

type LookState = JobState & { look: number };

export function createChunkJobs(redis: RedisConnection, keys: Keys, bounds: JobSearchBounds = DEFAULT_JOB_SEARCH): ChunkJobs {
  const jobKey = (jobId: string) => `${keys.prefix}:${CALLS_QUEUE}:${jobId}`;
  const withLooks = (states: JobState[], candidates: readonly ReconcileCandidate[]): LookState[] => states.map((state, i) => ({ ...state, look: (candidates[i] as ReconcileCandidate).look }));

  /** The looks past a first window read as `first`, when the chain goes on past it; none otherwise. */
  async function pastFirstWindow(chunkId: string, attempt: number, first: readonly LookState[], dates: number | undefined): Promise<LookState[]> {
    if (!first.some((s) => s.exists && s.look === bounds.maxLooks)) return [];
    // Its newest look, found by its first page's job (a look's other pages and dates follow it), and the window that ends there.
    const firstPage = async (look: number) => (await jobs.states([jobIds.reconcilePage({ chunkId, attempt, look, dateIndex: 0, page: 1 })]))[0]?.exists === true;
    const newest = await lastOfRun(firstPage, bounds.maxLooks);
    if (newest === bounds.maxLooks) return [];
    const candidates = reconcileJobCandidates(chunkId, attempt, bounds, Math.max(bounds.maxLooks + 1, newest - bounds.maxLooks + 1), dates);
    return withLooks(await jobs.states(candidates.map((c) => c.id)), candidates);
  }

  const jobs: ChunkJobs = {
    async states(ids) {
      if (ids.length === 0) return [];
      const p = redis.pipeline();
      for (const id of ids) p.hmget(jobKey(id), 'name', 'finishedOn', 'failedReason');
      return ((await p.exec()) ?? []).map(([err, row], i) => {
        if (err) throw err;
        const [name, finishedOn, failedReason] = row as (string | null)[];
        const exists = name != null;
        const finished = exists && finishedOn != null;
        return { id: ids[i] as string, exists, live: exists && !finished, failedReason: finished && failedReason != null ? failedReason : undefined, finishedOn: finished ? Number(finishedOn) : undefined };
      });
    },

    async lookUps(chunkId, attempt, dates) {
      const candidates = reconcileJobCandidates(chunkId, attempt, bounds, 1, dates);
      const first = withLooks(await jobs.states(candidates.map((c) => c.id)), candidates);
      return [...first, ...(await pastFirstWindow(chunkId, attempt, first, dates))];
    },

    async of(chunks, atMs) {
      const plans = chunks.map((chunk) => {
        // A look-up still acts on an unknown chunk, and on a queued one it found "not accepted"
        // (a re-run schedules the resend).
        const looksUp = chunk.state === 'unknown' || (chunk.state === 'queued' && chunk.code === 'SMSQ_NOT_ACCEPTED');
        // Its live look may stand at any date its look-up asks: after an adoption, every day since the attempt before it.
        const dates = lookUpDateCount(chunk);
        return { chunk, looksUp, dates, sends: sendJobCandidates(chunk.chunkId, chunk.attempt, bounds), looks: looksUp ? reconcileJobCandidates(chunk.chunkId, chunk.attempt, bounds, 1, dates) : [] };
      });
      const read = await jobs.states(plans.flatMap((p) => [...p.sends, ...p.looks.map((c) => c.id)]));
      let at = 0;
      const firsts = plans.map((p) => {
        const sends = read.slice(at, (at += p.sends.length));
        return { sends, looks: withLooks(read.slice(at, (at += p.looks.length)), p.looks) };
      });
      // Chains past their first window are searched for their newest look together, not one after another.
      const pasts = await Promise.all(plans.map((p, i) => (p.looksUp ? pastFirstWindow(p.chunk.chunkId, p.chunk.attempt, firsts[i]?.looks ?? [], p.dates) : [])));
      return plans.map((p, i) => {
        const looks = [...(firsts[i]?.looks ?? []), ...(pasts[i] ?? [])];
        const all = [...(firsts[i]?.sends ?? []), ...looks];
        return {
          live: all.some((s) => s.live),
          failed: all.findLast((s) => leftBy(s, p.chunk, atMs)),
          highestLook: p.looksUp ? looks.reduce((max, s) => (s.exists ? Math.max(max, s.look) : max), 0) : undefined,
        };
      });
    },
  };
  return jobs;
}

/**
 * Whether a failed job left the chunk as it is: it failed at or after the chunk's last change (an
 * older failure, recorded by smsq, was followed by a change, and whatever holds the chunk now is
 * another matter), and long enough ago for smsq's failure handler to have written
 * ({@link FAILURE_SETTLE_MS}).
 */
function leftBy(job: JobState, chunk: ChunkForJobs, atMs: number): boolean {
  if (job.failedReason === undefined || job.finishedOn === undefined) return false;
  return job.finishedOn >= (chunk.updatedAt ?? 0) && atMs - job.finishedOn >= FAILURE_SETTLE_MS;
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
 * (its failed set read newest first from the send's creation, at most {@link MAX_FAILED_READ} ids;
 * a failure older than the chunk's last change, or newer than {@link FAILURE_SETTLE_MS}, is none);
 * and those with no job at all, unchanged for {@link NO_JOB_MIN_AGE_MS} (Redis's time, `atMs`):
 * among the chunks a failed job names, and in a send whose chunks status walks (`walked`,
 * send-wait-facts.ts readStatusChunks: up to 64 chunks, a small campaign's too) among all. A failure smsq's worker
 * recorded (a queued chunk given up, a chunk in doubt looked up) leaves no such chunk. The jobs of
 * every chunk are read together (createChunkJobs of): a few round trips, whatever their number.
 */
export async function readStrandedChunks(redis: RedisConnection, keys: Keys, send: { sendId: string; createdAt: number }, atMs: number, walked: readonly StatusChunk[] | undefined): Promise<StrandedChunks> {
  const failedSet = `${keys.prefix}:${CALLS_QUEUE}:failed`;
  const mine = [`s.${send.sendId}.`, `r.${send.sendId}.`];
  const failedChunks = new Set((await redis.zrevrangebyscore(failedSet, '+inf', send.createdAt - CLOCKS_APART_MS, 'LIMIT', 0, MAX_FAILED_READ)).filter((id) => mine.some((m) => id.startsWith(m))).map(chunkOfJob));
  const rows = new Map<string, ChunkRow>((walked ?? []).map((c) => [chunkIdOf(send.sendId, c.index), c]));
  const unread = [...failedChunks].filter((id) => !rows.has(id));
  if (unread.length > 0) {
    const p = redis.pipeline();
    for (const chunkId of unread) p.hmget(keys.chunk(chunkId), ...CHUNK_ROW_FIELDS);
    for (const [i, [err, row]] of ((await p.exec()) ?? []).entries()) {
      const f = err ? [] : (row as (string | null)[]);
      rows.set(unread[i] as string, Object.fromEntries(CHUNK_ROW_FIELDS.map((name, j) => [name, f[j] ?? null])) as ChunkRow);
    }
  }
  // A chunk changed within the minute may have its follow-up job on its way: not taken for one without a job.
  const candidates = [...rows].filter(([chunkId, c]) => c.state && isUnsent(c.state as ChunkState) && (failedChunks.has(chunkId) || atMs - Number(c.updatedAt ?? 0) >= NO_JOB_MIN_AGE_MS));
  const found = await createChunkJobs(redis, keys).of(
    candidates.map(([chunkId, c]) => ({ chunkId, state: c.state as ChunkState, attempt: Number(c.attempt ?? 0), code: c.code ?? undefined, updatedAt: Number(c.updatedAt ?? 0), ...lookUpTimes(c.sentAt, c.priorSentAt) })),
    atMs,
  );
  const out: StrandedChunks = {};
  let named: JobState | undefined;
  for (const [i, [, c]] of candidates.entries()) {
    const jobs = found[i] as JobsOfChunk;
    if (jobs.live) continue;
    if (jobs.failed) {
      // The newest failure is the one named.
      const newest = (named = (jobs.failed.finishedOn ?? 0) > (named?.finishedOn ?? -1) ? jobs.failed : (named ?? jobs.failed));
      const f = (out.failed ??= { chunks: 0, recipients: 0, jobId: '', failedReason: '' });
      f.chunks++;
      f.recipients += Number(c.n ?? 0);
      f.jobId = newest.id;
      f.failedReason = newest.failedReason ?? '';
    } else if (atMs - Number(c.updatedAt ?? 0) >= NO_JOB_MIN_AGE_MS) {
      const m = (out.missing ??= { chunks: 0, recipients: 0 });
      m.chunks++;
      m.recipients += Number(c.n ?? 0);
    }
  }
  return out;
}

/** What {@link readStrandedChunks} reads of a chunk. */
const CHUNK_ROW_FIELDS = ['state', 'n', 'attempt', 'code', 'updatedAt', 'sentAt', 'priorSentAt'] as const;
type ChunkRow = Record<(typeof CHUNK_ROW_FIELDS)[number], string | null>;
