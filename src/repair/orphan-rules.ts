/**
 * What the repair sweep does with one chunk or one send it found, as pure functions of what it
 * read: the sweep (orphan-sweep.ts) reads, these decide, the sweep acts. See docs/operations.md "Repair sweep".
 *
 * The rule every decision keeps (design invariant 1): a chunk that may have been handed to
 * Dysmsapi is never given a plain send job; it is looked up first (the reconcile path), and only
 * a look-up that finds nothing after the settling window resends it, with a new attempt.
 */
import { jobIds, RECONCILE_LAST_DATE_INDEX } from '../queue/job-schemas.js';
import { reconcileSendDates } from '../sms/dates.js';
import { CHUNK_LIFECYCLE, isSendEnded, isUnsent, targetOf, type ChunkState, type SendState } from '../queue/lifecycle.js';
import { isWithdrawn, lapsedReason } from '../queue/withdrawal.js';

/** How far back the sweep looks for the jobs a chunk may have (a cost bound, not a safety one). */
export interface JobSearchBounds {
  /** Send job ids `s.<chunk>.a1 .. a<attempt+1>`, at most this many (the newest). Default 32. */
  maxSendJobs: number;
  /** Reconcile looks read per round trip: 1..maxLooks, and the maxLooks that end at the newest look of a longer chain. Default 16. */
  maxLooks: number;
  /** QuerySendDetails pages per look and date. Default 2. */
  maxPages: number;
}

export const DEFAULT_JOB_SEARCH: JobSearchBounds = Object.freeze({ maxSendJobs: 32, maxLooks: 16, maxPages: 2 });

/**
 * The ids a send job of this chunk may have. The first job is `a1`; a resend after a look-up
 * found nothing is `a<attempt+1>`; a throttled or flow-controlled job keeps its id while the
 * attempt grows, so any id up to `a<attempt+1>` may be the one still holding the chunk.
 */
export function sendJobCandidates(chunkId: string, attempt: number, bounds: JobSearchBounds): string[] {
  const last = attempt + 1;
  const first = Math.max(1, last - bounds.maxSendJobs + 1);
  const ids: string[] = [];
  if (first > 1) ids.push(jobIds.send(chunkId, 1));
  // Counted, not walked up to `last`: past 2^53 (a record holding 1e+20) a + 1 is a again, and the
  // walk never ended, the sweep's worker blocked for good.
  for (let i = 0; i <= last - first; i++) ids.push(jobIds.send(chunkId, first + i));
  return ids;
}

/** A reconcile job id of an attempt, with the look it belongs to. */
export interface ReconcileCandidate {
  id: string;
  look: number;
}

/** The dates a look-up's jobs are looked for at when the record cannot say more: its day, and the one beside it near midnight. */
export const ORDINARY_LOOK_UP_DATES = 2;

/**
 * At how many SendDates (`dateIndex` 0..n-1) the reconcile jobs of a chunk's own attempt may stand:
 * as many as its look-up asks (reconcileSendDates, from the record's `sentAt` and, after an
 * adoption, every day since its `priorSentAt`), never fewer than {@link ORDINARY_LOOK_UP_DATES}.
 * A look at a later date than these was read for too few: it was missed, and a second chain of
 * look-ups was started beside it. A record without `sentAt` but with `priorSentAt` (half-written)
 * may stand at any date.
 */
export function lookUpDateCount(chunk: { sentAt?: number | undefined; priorSentAt?: number | undefined }): number {
  if (chunk.sentAt === undefined) return chunk.priorSentAt === undefined ? ORDINARY_LOOK_UP_DATES : RECONCILE_LAST_DATE_INDEX + 1;
  return Math.min(RECONCILE_LAST_DATE_INDEX + 1, Math.max(ORDINARY_LOOK_UP_DATES, reconcileSendDates(chunk.sentAt, chunk.priorSentAt).length));
}

/**
 * The ids the reconcile jobs of one attempt may have (each look, date and page is its own job), for
 * `bounds.maxLooks` looks from `firstLook`, at `dates` SendDates each ({@link lookUpDateCount}). A
 * chain longer than one window (a settling window of more than `maxLooks` looks, look-ups made
 * anew) is read at its newest looks too (chunk-jobs.ts).
 */
export function reconcileJobCandidates(chunkId: string, attempt: number, bounds: JobSearchBounds, firstLook = 1, dates = ORDINARY_LOOK_UP_DATES): ReconcileCandidate[] {
  const out: ReconcileCandidate[] = [];
  if (attempt < 1) return out;
  for (let look = firstLook; look < firstLook + bounds.maxLooks; look++) {
    for (let dateIndex = 0; dateIndex < dates; dateIndex++) {
      for (let page = 1; page <= bounds.maxPages; page++) out.push({ id: jobIds.reconcilePage({ chunkId, attempt, look, dateIndex, page }), look });
    }
  }
  return out;
}

/** What the sweep read about one chunk. */
export interface ChunkSnapshot {
  chunkId: string;
  sendId: string;
  state: ChunkState;
  attempt: number;
  outId: string | undefined;
  sentAt: number | undefined;
  /** The start of the attempt it held before an adoption, from which its look-up asks (transition-7.lua). */
  priorSentAt?: number | undefined;
  code: string | undefined;
  /** When the chunk last changed (ms). */
  updatedAt: number;
  /** Its recorded attempt when it is none our claims make (out-id.ts foreignAttemptOf); then {@link attempt} means nothing. */
  foreignAttempt?: string;
}

/** What the sweep read of a chunk's send record. */
export interface ChunkSendSnapshot {
  state: SendState;
  /** Its operator control (`cancelled` once cancelled). */
  control: string | undefined;
  /** Its code (a failed send's failure). */
  code: string | undefined;
  /** Its enqueue ended (enqueuedAt): no producer will add a job for a chunk of it any more. */
  enqueued: boolean;
  /** Its deadline (ms); undefined when it has none. */
  deadline: number | undefined;
}

/** What the sweep learned around one chunk. */
export interface ChunkSurroundings {
  /** The send record; undefined when it is gone. */
  send: ChunkSendSnapshot | undefined;
  /** A job that will still act on the chunk exists (waiting, delayed, active or retrying). */
  hasLiveJob: boolean;
  /** The highest look of a reconcile job (live or finished) that exists for the attempt looked up. */
  highestLook: number;
}

export interface ChunkRuleOptions {
  now: number;
  /** A chunk changed more recently than this is left alone (its follow-up job may be on its way). */
  minAgeMs: number;
  /** The first look of an attempt waits this long after it started (the call is surely over). */
  firstLookAfterMs: number;
}

/** The look-up the sweep schedules: the reconcile job of `attempt`, at a look no job has used. */
export interface LookUp {
  attempt: number;
  look: number;
  /** When the look happens (ms). */
  at: number;
}

export type ChunkVerdict =
  | { action: 'none' }
  /** `unknown` without a job: schedule its look-up. */
  | { action: 'look-up-unknown'; lookUp: LookUp }
  /** `sending` without a job (its worker's job is gone): mark it unknown, then look it up. */
  | { action: 'look-up-sending'; outId: string; lookUp: LookUp }
  /**
   * `queued` without a job: an attempt may have been claimed and sent before a rollback erased
   * the claim. Mark it unknown at the next attempt (the one a lost claim would have made) with
   * that attempt's OutId and look it up; found → accepted, not found after settling → resent.
   */
  | { action: 'look-up-queued'; expectOutId: string | undefined; attempt: number; outId: string; lookUp: LookUp }
  /**
   * Its recorded attempt is none our claims make: no look-up can name it. Ended without one or any
   * call (foreign-attempt.ts says why): expired as unknown, or a `queued` one failed SMSQ_GAVE_UP.
   */
  | { action: 'end-foreign-attempt'; attempt: string }
  /** The send record is gone: end the chunk without another call (`send-missing`: `queued` → cancelled, else expired). */
  | { action: 'end-send-missing'; to: ChunkState }
  /**
   * `queued` without a job, its send failed, cancelled or past its deadline: end it as its claim
   * would ({@link endedBySend}), without a call. `end` is what the sweep read; the store's
   * end-by-send-5.lua checks the send again when it writes, with the claim's own checks.
   */
  | { action: 'end-with-send'; end: SendEnd };

/** How a claim ends a `queued` chunk of its send instead of starting an attempt (includes/send-ends-chunk.lua). */
export type SendEnd = { trigger: 'send-failed'; code: string } | { trigger: 'cancel' } | { trigger: 'deadline' };

/**
 * Whether the chunk's send says that a claim of its `queued` chunk ends it without a call, and
 * how: the same checks, in the same order, as the claim (includes/send-ends-chunk.lua): failed →
 * failed with the send's code, cancelled → cancelled, past its deadline → expired.
 */
function endedBySend(send: ChunkSendSnapshot, now: number): SendEnd | undefined {
  if (send.state === 'failed') return { trigger: 'send-failed', code: send.code ?? 'SMSQ_SEND_FAILED' };
  if (send.control === 'cancelled') return { trigger: 'cancel' };
  if (send.deadline !== undefined && send.deadline < now) return { trigger: 'deadline' };
  return undefined;
}

/**
 * The OutId the sweep records for the attempt a lost claim of a `queued` chunk would have made.
 * It is the form a claim writes (`<chunkId>.<attempt>`), so a look-up that matches OutIds finds a
 * lost attempt that was accepted.
 */
export function orphanOutId(chunkId: string, attempt: number): string {
  return `${chunkId}.${attempt}`;
}

/** Which attempt a chunk's look-up concerns: its own, or for a `queued` chunk the next one. */
export function lookedUpAttempt(chunk: Pick<ChunkSnapshot, 'state' | 'attempt'>): number {
  return chunk.state === 'queued' ? chunk.attempt + 1 : chunk.attempt;
}

export function decideChunk(chunk: ChunkSnapshot, around: ChunkSurroundings, options: ChunkRuleOptions): ChunkVerdict {
  if (!isUnsent(chunk.state)) return { action: 'none' };
  if (options.now - chunk.updatedAt < options.minAgeMs) return { action: 'none' };
  if (around.hasLiveJob) return { action: 'none' };
  const ended = targetOf(CHUNK_LIFECYCLE, 'send-missing', chunk.state);
  if (!around.send) return ended ? { action: 'end-send-missing', to: ended } : { action: 'none' };
  if (chunk.state === 'queued') {
    // Whatever a lost claim may have sent, its claim would now end it without a call
    // (claim-6.lua), and nothing of it is resent: invariant 1 holds without a look-up. Looking
    // it up first spent the account's cap (QuerySendDetails) on chunks their send ends anyway:
    // a killed producer's chunks written without their jobs, failed as abandoned, or past their
    // send's deadline by the time the sweep finished its enqueue. A lost claim's SMS that did go
    // out is then not recorded as accepted, as its claim would not record it either.
    const end = endedBySend(around.send, options.now);
    if (end) return { action: 'end-with-send', end };
    // Its producer may still add its job; if it died, the enqueue's verdict (decideEnqueuing)
    // ends the send, and the chunk with it.
    if (!around.send.enqueued) return { action: 'none' };
  }
  // Looked up, it made a job that fails at once, every round, the chunk never decided.
  if (chunk.foreignAttempt !== undefined) return { action: 'end-foreign-attempt', attempt: chunk.foreignAttempt };
  const look = around.highestLook + 1;
  switch (chunk.state) {
    case 'unknown': {
      if (!chunk.outId || chunk.sentAt === undefined || chunk.attempt < 1) break;
      return { action: 'look-up-unknown', lookUp: { attempt: chunk.attempt, look, at: Math.max(options.now, chunk.sentAt + options.firstLookAfterMs) } };
    }
    case 'sending': {
      if (!chunk.outId || chunk.sentAt === undefined || chunk.attempt < 1) break;
      return {
        action: 'look-up-sending',
        outId: chunk.outId,
        lookUp: { attempt: chunk.attempt, look, at: Math.max(options.now, chunk.sentAt + options.firstLookAfterMs) },
      };
    }
    default:
      break;
  }
  // `queued`, or a half-written `sending`/`unknown` (no OutId or time): the look-up is for the
  // attempt a lost claim would have made, timed from now (any lost attempt started before now).
  const attempt = chunk.state === 'queued' ? chunk.attempt + 1 : Math.max(1, chunk.attempt);
  return {
    action: 'look-up-queued',
    expectOutId: chunk.outId,
    attempt,
    outId: orphanOutId(chunk.chunkId, attempt),
    lookUp: { attempt, look, at: options.now + options.firstLookAfterMs },
  };
}

/** What the sweep read around a job that will still act (waiting, delayed, active or retrying). */
export interface JobSurroundings {
  /** Its chunk record exists. */
  chunkExists: boolean;
  /** Its send record exists. */
  sendExists: boolean;
  /**
   * Its send was compacted once final (send-store.ts `compact`): its chunks are deleted by design,
   * every recipient is final, and nothing of it can be repaired.
   */
  sendCompacted: boolean;
}

export type JobVerdict = { action: 'none' } | { action: 'remove' };

/**
 * A job whose chunk or send is gone will never do anything: removed. A job of a compacted send is
 * left alone: its chunk is gone because the send ended, not because writes were lost, and the job
 * finds no chunk and ends when it runs (compact-send.lua), as it does for a send past retention.
 */
export function decideJob(around: JobSurroundings): JobVerdict {
  if (around.sendCompacted) return { action: 'none' };
  if (around.chunkExists && around.sendExists) return { action: 'none' };
  return { action: 'remove' };
}

/** What the sweep read about a send still `enqueuing`. */
export interface EnqueuingSnapshot {
  sendId: string;
  /** When the producer created the record (ms). */
  createdAt: number;
  /** The chunk count the record was created with (0 for a campaign, known only at the end). */
  chunks: number;
  /** How many chunks `0..n-1` exist (they are written in order, so the ones that exist are a prefix). */
  chunksWritten: number;
  /** When the last written chunk was created (ms); undefined when none was. */
  lastChunkAt: number | undefined;
}

export type EnqueuingVerdict =
  | { action: 'none' }
  /** Every chunk the record names exists: nothing was lost, finish the enqueue. */
  | { action: 'finish' }
  /** The producer died part-way: fail the send so the chunks not sent yet are never sent. */
  | { action: 'abandon'; reason: string };

export function decideEnqueuing(send: EnqueuingSnapshot, options: { now: number; graceMs: number }): EnqueuingVerdict {
  const lastActivity = Math.max(send.createdAt, send.lastChunkAt ?? 0);
  if (options.now - lastActivity < options.graceMs) return { action: 'none' };
  if (send.chunks > 0 && send.chunksWritten >= send.chunks) return { action: 'finish' };
  const idleMinutes = Math.round((options.now - lastActivity) / 60_000);
  return {
    action: 'abandon',
    reason: `enqueue abandoned: ${send.chunksWritten} chunk(s) written${send.chunks > 0 ? ` of ${send.chunks}` : ''}, nothing written for ${idleMinutes} min (its producer died before acknowledging it)`,
  };
}

/** What the sweep read about a send whose enqueue finished, for its withdrawal (withdrawal.ts). */
export interface WithdrawnSnapshot {
  state: SendState;
  controlReason: string | undefined;
  /** When it reached `state` (ms): for a withdrawn send, when it was withdrawn. */
  stateChangedAt: number;
}

export type WithdrawnVerdict = { action: 'none' } | { action: 'cancel'; reason: string };

/**
 * A send withdrawn at enqueue (not confirmed durable, refused SMSQ_NOT_DURABLE) waits for the retry
 * of its request to take it back. Past `graceMs` its caller is taken to have given up: it is
 * cancelled, so that nothing of it goes out minutes after a refusal nobody followed, as an enqueue
 * its producer never acknowledged is ended after the same grace ({@link decideEnqueuing}).
 */
export function decideWithdrawn(send: WithdrawnSnapshot, options: { now: number; graceMs: number }): WithdrawnVerdict {
  if (!isWithdrawn(send)) return { action: 'none' };
  if (options.now - send.stateChangedAt < options.graceMs) return { action: 'none' };
  return { action: 'cancel', reason: lapsedReason(options.graceMs) };
}

/** What the sweep read about a send whose enqueue finished and that is not compacted. */
export interface SettleSnapshot {
  state: SendState;
  /** Its end was announced (endNotifiedAt): its callback job added, or none due. */
  announced: boolean;
  /** From its counts hash: recipients not past the API (queued, sending, unknown) and accepted awaiting a receipt; undefined without one. */
  counts: { unsent: number; accepted: number } | undefined;
}

export type SettleVerdict = { action: 'none' } | { action: 'settle' };

/** What the sweep read about an ended, announced send that is not compacted. */
export interface CompactSnapshot {
  /** Its enqueue ended (enqueuedAt): compact-send.lua refuses one whose enqueue did not. */
  enqueued: boolean;
  /** Recipients and numbers refused at the door, from its record (compact-send.lua bounds the two together). */
  recipients: number;
  /** From its counts hash, as for {@link SettleSnapshot}; undefined without one. */
  counts: { unsent: number; accepted: number } | undefined;
}

export type CompactVerdict = { action: 'none' } | { action: 'compact' };

/**
 * A send is compacted (send-store.ts `compact`) by whoever settles its end or its last pending
 * recipient, in a command of its own after the announcement. Redis or the process dying between
 * the two left it as it was for its whole retention: nothing settles an end already announced,
 * and Alibaba's push again finds its receipt there. Compacting it then is what that command would
 * have done. Only one the script would take: its enqueue ended, nothing pending, not too large (it
 * would refuse every round, and a dry run would report what no run does), with a counts hash (zero
 * read from a missing hash is not "nothing pending").
 */
export function decideCompact(send: CompactSnapshot, maxRecipients: number): CompactVerdict {
  if (!send.enqueued || !send.counts || send.counts.unsent > 0 || send.counts.accepted > 0) return { action: 'none' };
  return send.recipients > maxRecipients ? { action: 'none' } : { action: 'compact' };
}

/**
 * A send is settled (completion.ts) after each change that may end it, by whoever made the
 * change, in a command of its own. A process or a Redis that dies between the change and the
 * settle leaves a send whose counts moved on without it (`active` with nothing left to send, `sent`
 * with every receipt in), or an end without its announcement (no callback job, no endNotifiedAt);
 * nothing later settles it when that change was its last (Alibaba's push again, or a look-up job
 * tried again, finds the receipt already there). Settling it then is what that settle would have
 * done. A send without a counts hash is left alone: zero read from a missing hash is not "nothing
 * pending".
 */
export function decideSettle(send: SettleSnapshot): SettleVerdict {
  if (isSendEnded(send.state)) return send.announced ? { action: 'none' } : { action: 'settle' };
  if (!send.counts || send.counts.unsent > 0) return { action: 'none' };
  if (send.state === 'sent' && send.counts.accepted > 0) return { action: 'none' };
  return { action: 'settle' };
}
