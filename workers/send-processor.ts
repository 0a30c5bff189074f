import type { Retention } from '../src/queue/retention.js';
import type { Logger } from '../src/logger.js';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { ThrottleWarnings } from './throttle-warnings.js';
import type { CallJobDeps } from './call-job-deps.js';
import type { Keys } from '../src/queue/keys.js';
import type { ChunkPayload } from '../src/queue/chunk-payload.js';
import { chunkIdOf, type ChunkRecord, type ClaimResult, type NewChunk } from '../src/queue/chunk-store.js';
import { flowControlRetryAt, type FlowControlPolicy } from '../src/queue/flow-control-policy.js';
import { SendJobData } from '../src/queue/job-schemas.js';
import { parseJobData } from './job-data.js';
import { rankingKind, type MessageKind } from '../src/queue/kinds.js';
import { readCompactedChunk, type SendStore } from '../src/queue/send-store.js';
import { sayLateAnswerOfGoneChunk } from './late-answer.js';
import { quietUntil, type QuietHours } from '../src/queue/quiet-hours.js';
import type { SendResponse, SmsClient, SmsOutcome } from '../src/sms/types.js';
import type { ReconcileTiming } from '../src/queue/follow-ups.js';
import { blockAccount, pauseEveryWorker } from './account-pauses.js';
import { decideSend } from './send-decision.js';
import { moveBackUncounted, putBackUncounted } from './put-back.js';
import { createClaimDurabilityBackoff } from './claim-durability-backoff.js';
import { laneOfPriority, type CallPacer } from '../src/queue/call-pacer.js';
import type { DurabilityBarrier, WriteMark } from '../src/durability/barrier.js';
import { NotDurableError } from '../src/errors.js';
import type { ClaimJournal } from './claim-journal.js';
import type { ClaimsOutstanding, ClaimTrack } from './claims-outstanding.js';
import { endedSend } from '../src/receipts/completion.js';
import { endForeignAttempt } from '../src/repair/foreign-attempt.js';
import { parkJobs, wakeParked, wakeParkedJobs } from '../src/queue/send-cancel.js';

export interface SendProcessorDeps extends CallJobDeps {
  /**
   * The account-wide pacer, when the cap is kept by pacing: the claim reserves the call's slot in
   * its own round trip, and `client` must then be unpaced (the slot is awaited here).
   */
  pacer?: CallPacer;
  sends: SendStore;
  timing: ReconcileTiming;
  flowPolicy: FlowControlPolicy;
  keys: Keys;
  /** Flow-control retries are spread over this many ms after the window opens. */
  flowSpreadMs: number;
  /** Lifetime of each kind's records created here (split children, auto-pause outcomes). */
  retention: Retention;
  /** Campaign controls: quiet hours, parking of paused sends, auto-pause. */
  controls: SendControls;
  /** Confirms the claim is durable before the call (SMSQ_DURABILITY). */
  durability: DurabilityBarrier;
  /**
   * The confirmation waits (a WAIT mode: usesWait, src/durability/mode.ts): each claim is written
   * with its call gated, and the gate opened right before the call (open-call-gate-2.lua). Off
   * (fsync, none), the claim is confirmed when written and no round trip is added to a call.
   */
  gateCalls?: boolean;
  /** Remembers recent claims, to look them up if Redis comes back without them. */
  journal?: ClaimJournal;
  /** While Redis may have come back without recent claims (rollback-recovery.ts): await before claiming. */
  claimsHeld?: () => Promise<void> | undefined;
  /** Says throttling in a few lines rather than one per answer (throttle-warnings.ts); without it, one per answer. */
  throttleWarnings?: ThrottleWarnings;
  /**
   * Aborted once the worker is shutting down: a job it had already fetched makes no call any more.
   * A job waiting to enter its pacer lane stops waiting at once and goes back to the queue
   * untouched; a claim waiting for its pacer slot stops waiting at once, its chunk goes back to
   * `queued` and the job back to the queue; both for another worker.
   */
  closing?: AbortSignal;

  /** Counts each claim from when it is sent until its answer (or its undo) is recorded, for a forced exit to name. */
  outstanding?: ClaimsOutstanding;
}

/** How paused sends, quiet hours and auto-pause behave (see docs/receipts-and-controls.md "Campaign controls"). */
export interface SendControls {
  /** Marketing quiet window (China time); undefined = none. */
  quietHours: QuietHours | undefined;
  /**
   * How long a job of a paused send stays parked at most (ms), if nothing wakes it: what un-pauses
   * a send wakes its parked jobs (send-cancel.ts wakeParked), so this only bounds a wake that was
   * missed. A send's deadline cuts it short.
   */
  parkMs: number;
  /** A marketing job inside quiet hours re-checks at least this often (ms). */
  quietRecheckMs: number;
  /** Auto-pause a send when more than `failureRatio` of its last `window` chunks failed. */
  autoPause: { window: number; failureRatio: number } | undefined;
}

/**
 * Whether a claim would answer `paused` for a send hash with this `state` and `control`, as
 * claim-6.lua decides it before the deadline (send-ends-chunk.lua ends a chunk of a failed or
 * cancelled send; a missing record, which has no state, too).
 */
export function claimParks(state: string | null | undefined, control: string | null | undefined): boolean {
  return state != null && state !== 'failed' && control === 'paused';
}

/** What a send job returns (visible in Bull Board). */
export type SendJobResult =
  | { outcome: 'accepted'; bizId: string; attempt: number }
  | { outcome: 'failed' | 'cancelled' | 'expired'; code: string }
  | { outcome: 'unknown'; code: string; attempt: number }
  | { outcome: 'split'; children: number }
  | { outcome: 'skipped'; state: string };

function call(client: SmsClient, payload: ChunkPayload, outId: string): Promise<SmsOutcome<SendResponse>> {
  if (payload.api === 'SendSms') {
    return client.sendSms({
      phoneNumbers: payload.phones,
      signName: payload.signName,
      templateCode: payload.templateCode,
      templateParam: payload.templateParam,
      smsUpExtendCode: payload.smsUpExtendCode,
      outId,
    });
  }
  return client.sendBatchSms({
    phoneNumbers: payload.phones,
    signNames: payload.signNames,
    templateCode: payload.templateCode,
    templateParams: payload.templateParams,
    smsUpExtendCodes: payload.smsUpExtendCodes,
    outId,
  });
}

/** One number per chunk, to learn which numbers a flow-control refusal was about. */
function splitPayload(payload: ChunkPayload): ChunkPayload[] {
  return payload.phones.map((phone, i) =>
    payload.api === 'SendSms'
      ? { ...payload, phones: [phone] }
      : {
          api: 'SendBatchSms' as const,
          phones: [phone],
          signNames: [payload.signNames[i] as string],
          templateCode: payload.templateCode,
          ...(payload.templateParams ? { templateParams: [payload.templateParams[i] ?? {}] } : {}),
          ...(payload.smsUpExtendCodes ? { smsUpExtendCodes: [payload.smsUpExtendCodes[i] as string] } : {}),
        },
  );
}

/**
 * Processes one send job: exactly one Dysmsapi call. The attempt (with its OutId) is recorded
 * before the call and its outcome after; a job that finds its chunk mid-call (its worker died)
 * hands it to reconcile instead of calling again.
 */
export function createSendProcessor(deps: SendProcessorDeps) {
  const baseLog = deps.logger.child({ component: 'send' });

  async function splitChunk(sendId: string, chunkId: string, kind: MessageKind, index: string, payload: ChunkPayload, outId: string, track: ClaimTrack) {
    const children: NewChunk[] = splitPayload(payload).map((p, i) => ({ sendId, index: `${index}-${i}`, kind, payload: p }));
    const ok = await deps.chunks.split(chunkId, sendId, outId, children, deps.retention[kind]);
    track.done();
    if (ok) await Promise.all(children.map((c) => deps.followUps.send(sendId, chunkIdOf(sendId, c.index), kind, 1)));
    return children.length;
  }

  /**
   * Hands a job back to the queue untouched (the worker is shutting down); another worker runs it.
   * Its start is given back: a stop is not the job's doing, and a deployment stopped and started
   * often (rolling updates, autoscaling) must not bring a job nearer maxStartedAttempts.
   */
  const handBack = (job: Job, token: string | undefined): Promise<never> => putBackUncounted(deps.redis, job, token);

  /** How long a job whose claim was not confirmed durable waits: its starts no longer bound it. */
  const claimDurability = createClaimDurabilityBackoff(deps.clock);

  /** How long a job of a paused send is parked: until its deadline has passed, if that comes first. */
  const parkFor = (deadline: number | undefined): number =>
    // The claim expires a chunk once its deadline is behind it (deadline < now): 1 ms past it.
    deadline === undefined ? deps.controls.parkMs : Math.min(deps.controls.parkMs, Math.max(0, deadline - deps.clock.now()) + 1);

  const untracked: ClaimTrack = { claiming() {}, claimed() {}, calling() {}, answered() {}, undoing() {}, done() {} };

  return async function processSend(job: Job, token?: string): Promise<SendJobResult> {
    const track = deps.outstanding?.track() ?? untracked;
    try {
      return await processTracked(job, token, track);
    } finally {
      track.done();
    }
  };

  async function processTracked(job: Job, token: string | undefined, track: ClaimTrack): Promise<SendJobResult> {
    const { sendId, chunkId } = parseJobData(SendJobData, job, 'send');
    if (deps.closing?.aborted) return handBack(job, token);
    // Built only when this job logs: a child logger per job costs CPU on every call otherwise.
    let jobLog: Logger | undefined;
    const log = () => (jobLog ??= baseLog.child({ sendId, chunkId, jobId: job.id }));
    /** Ends a chunk at an attempt none of ours makes as the repair sweep does (src/repair/foreign-attempt.ts): expired as unknown, no call, no look-up. */
    const endForeign = async (chunk: ChunkRecord, foreignAttempt: string): Promise<SendJobResult> =>
      (await endForeignAttempt({ chunks: deps.chunks, completion: deps.completion, logger: log() }, { ...chunk, foreignAttempt }, { jobId: job.id }))
        ? { outcome: 'expired', code: 'SMSQ_OUTCOME_UNKNOWN' }
        : { outcome: 'skipped', state: chunk.state };

    // The claim reserves the call's slot; the job's priority decides how long it may have to wait
    // to be let reserve (verification codes never wait behind marketing's slots). A close stops
    // that wait at once: a notification or marketing job waits there behind the slots of queued
    // codes, up to the pacer's reach (2 s), and close() waited for each to be let in.
    const ticket = deps.pacer ? await deps.pacer.enter(laneOfPriority(job.opts.priority), deps.closing) : undefined;
    // Not let in (the worker is closing): nothing claimed, no slot to release.
    if (deps.pacer && !ticket) return handBack(job, token);
    const held = deps.pacer && ticket ? { pacer: deps.pacer, ticket } : undefined;
    let claim: ClaimResult;
    let since: WriteMark;
    try {
      // Let in after the worker began to close (it may have waited for its lane): no claim, no slot.
      if (deps.closing?.aborted) return await handBack(job, token);
      // Several reconnects in a row each hold the claims anew (rollback-recovery.ts): wait until none does.
      for (let recovering = deps.claimsHeld?.(); recovering; recovering = deps.claimsHeld?.()) {
        await recovering;
        // handBack throws (the job goes back to the queue); the catch below releases the slot.
        if (deps.closing?.aborted) return await handBack(job, token);
      }
      // Right before the claim is written: its confirmation must cover it (src/durability/barrier.ts).
      since = await deps.durability.mark();
      track.claiming(sendId, chunkId);
      claim = await deps.chunks.claim(chunkId, sendId, quietUntil(deps.clock.now(), deps.controls.quietHours), held?.pacer.slotArgs, deps.gateCalls);
    } catch (err) {
      held?.pacer.release(held.ticket);
      throw err;
    }
    // Only a claim that sends moved the chunk to `sending` (a forced exit from now leaves it so).
    if (claim.type === 'send') track.claimed();
    else track.done();
    // Only a claim that sends reserved a slot (the script reserves it with the attempt): the lanes
    // count it from now, while the claim is confirmed.
    if (held) {
      if (claim.type === 'send') held.pacer.heard(held.ticket, claim.slot);
      else held.pacer.release(held.ticket);
    }
    switch (claim.type) {
      case 'missing': {
        // A compacted send is final and deleted its chunks by design: this job ran again after
        // (stalled past its lock while the send ended), and there is nothing left to do. A chunk
        // gone under a send that is not (a record expired, evicted, never written) is still a failure.
        const kept = await readCompactedChunk(deps.redis, deps.keys, sendId, chunkId);
        if (kept) {
          if (baseLog.isLevelEnabled('debug')) log().debug({ state: kept.state }, 'send job ran after its send was finished and compacted: nothing to do');
          return { outcome: 'skipped', state: kept.state };
        }
        throw new UnrecoverableError(`chunk ${chunkId} does not exist (expired or never written)`);
      }
      case 'ended':
        await deps.completion.check(sendId);
        return { outcome: claim.state === 'failed' ? 'failed' : claim.state, code: claim.code };
      case 'send-missing':
        // No send to settle or call back: the record that would say so is what is missing.
        log().error(
          { code: 'SMSQ_SEND_MISSING', state: claim.state },
          'the send record is gone while this chunk was kept (deleted by hand, evicted under a maxmemory policy, or lost): ' +
            `chunk not sent, ${claim.state} (SMSQ_SEND_MISSING). Fix: set Redis maxmemory-policy to noeviction (smsq's records must not be evicted), ` +
            'and enqueue the message again for these recipients if they should still get it',
        );
        return { outcome: 'cancelled', code: 'SMSQ_SEND_MISSING' };
      // A hold makes no call, so it spends none of the job's starts (put-back.ts): counted,
      // the re-checks of a pause over ~3 h or of a night's quiet hours (one a minute) reached
      // maxStartedAttempts and failed the chunk SMSQ_GAVE_UP. The hold's own end (a resume, the
      // window's end, the send's deadline) bounds them instead.
      case 'paused': {
        // Parked until whatever un-pauses the send wakes it: re-run every minute instead, a paused
        // campaign's every chunk kept Redis and the workers busy for as long as the pause lasted.
        // Its deadline wakes it too (the claim then expires the chunk), and parkMs a wake that was missed.
        await parkJobs(deps, sendId, [job.id as string]);
        await moveBackUncounted(deps.redis, job, token, parkFor(claim.deadline));
        // A resume between our claim and the park must not leave this job asleep. Read as the
        // claim reads it (claim-6.lua): the control status() derives from the state could say
        // active where the claim says paused, and the job would be woken and parked again for ever.
        const [state, control] = await deps.redis.hmget(deps.keys.send(sendId), 'state', 'control');
        // As a resume wakes it (out of the set before its promote, back if the promote fails); a
        // failure here is the next wake's to mend, not this job's.
        if (!claimParks(state, control)) await wakeParkedJobs({ redis: deps.redis, keys: deps.keys, queue: deps.queue }, sendId, [job.id as string]).catch(() => undefined);
        throw new DelayedError();
      }
      case 'quiet':
        // Re-checked within the window, not delayed to its end: a deadline passing (the claim
        // expires the chunk) or workers restarted with other quiet hours (SMSQ_QUIET_HOURS=off) take
        // effect within a re-check, not at the end of the window the job was delayed by.
        return putBackUncounted(deps.redis, job, token, Math.min(Math.max(0, claim.until - deps.clock.now()), deps.controls.quietRecheckMs));
      case 'done': {
        // Chunks cancelled by `cancel()` end here: the last of them may be what completes the send.
        if (claim.state === 'cancelled') await deps.completion.check(sendId);
        if (claim.state === 'accepted') {
          // A re-run after a crash between acceptance and scheduling its receipts.
          const chunk = await deps.chunks.get(chunkId);
          // Without a kind no policy says how to look its receipts up: its window ends them.
          if (chunk?.kind) await deps.followUps.firstReceiptLook(sendId, chunkId, chunk.kind, chunk.acceptedAt ?? deps.clock.now());
        }
        if (claim.state === 'split') {
          // A re-run after a crash between the split and its jobs: make sure the children run.
          const chunk = await deps.chunks.get(chunkId);
          if (chunk) {
            // n, not the payload: one child per number, whether or not the stored payload still parses.
            const n = chunk.n;
            await Promise.all(
              Array.from({ length: n }, (_, i) => deps.followUps.send(sendId, chunkIdOf(sendId, `${chunk.index}-${i}`), rankingKind(chunk.kind), 1)),
            );
          }
        }
        return { outcome: 'skipped', state: claim.state };
      }
      case 'foreign-attempt': {
        // Queued at an attempt none of ours makes, sent back there by a look-up of a forged OutId.
        const chunk = await deps.chunks.get(chunkId);
        return chunk?.foreignAttempt === undefined ? { outcome: 'skipped', state: chunk?.state ?? 'missing' } : endForeign(chunk, chunk.foreignAttempt);
      }
      case 'unknown': {
        // The previous holder of this job died mid-call, or this is a re-run after a crash
        // between marking the chunk unknown and scheduling its look-up.
        const chunk = await deps.chunks.get(chunkId);
        // An earlier version's attempt none of ours makes: no look-up job can name it (its data would not parse).
        if (chunk?.foreignAttempt !== undefined) return endForeign(chunk, chunk.foreignAttempt);
        log().warn({ attempt: claim.attempt }, 'attempt outcome unknown (worker lost mid-call): looking it up before any resend');
        await deps.followUps.reconcile(
          { sendId, chunkId, attempt: claim.attempt, look: 1, dateIndex: 0, page: 1 },
          rankingKind(chunk?.kind),
          claim.sentAt + deps.timing.firstLookAfterMs,
        );
        return { outcome: 'unknown', code: 'SMSQ_WORKER_LOST', attempt: claim.attempt };
      }
      case 'unreadable': {
        // Nothing readable to send (or no kind to send it as), so nothing is sent; and no look-up is
        // owed: this attempt made no call (the record is read before any). Its recipients fail, the
        // reason says why.
        const t = await deps.chunks.transition(chunkId, sendId, { trigger: 'payload-unreadable', outId: claim.outId, fields: { reason: claim.problem } });
        if (t.applied) await deps.completion.check(sendId);
        log().error(
          { attempt: claim.attempt, code: 'SMSQ_PAYLOAD_UNREADABLE', reason: claim.problem, state: t.applied ? t.to : t.state },
          t.applied
            ? "the chunk's stored payload or kind does not parse: not sent, its recipients failed (SMSQ_PAYLOAD_UNREADABLE)"
            : "the chunk's stored payload or kind does not parse: not sent; it moved on before it could be failed",
        );
        return { outcome: 'failed', code: 'SMSQ_PAYLOAD_UNREADABLE' };
      }
      case 'send':
        break;
    }

    const { attempt, outId, payload, kind } = claim;
    /**
     * Nothing was sent on this attempt: undo it (the next claim starts a new one, with a new
     * OutId) and put the job back, to run again after `delayMs`; `uncounted`: its start given back.
     */
    const undoAttempt = async (code: string, delayMs: number, { leaveIfTakenOver = false, uncounted = false } = {}): Promise<SendJobResult> => {
      track.undoing();
      const undone = await deps.chunks.transition(chunkId, sendId, { trigger: 'undo-claim', outId, fields: { code } });
      track.done();
      // Another worker has taken the attempt over (it is `unknown` and being looked up): leave it to them.
      if (leaveIfTakenOver && !undone.applied) return { outcome: 'skipped', state: undone.state };
      if (uncounted) return putBackUncounted(deps.redis, job, token, delayMs);
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    };
    try {
      // The attempt must outlive a crash of Redis before anyone can receive it (design invariant 8).
      // With the claim's OutId: on a Cluster it is read back from the master checked (watch.ts confirmedByWatch).
      await deps.durability.confirm(`the claim of attempt ${attempt} of chunk ${chunkId}`, since, { key: deps.keys.chunk(chunkId), field: 'outId', value: outId });
    } catch (err) {
      held?.pacer.release(held.ticket);
      if (!(err instanceof NotDurableError)) throw err; // still `sending`: the next run looks it up
      // Undone before any call, so nothing is owed a look-up. Its start is given back (Redis's
      // durability is not the job's doing); the back-off, not maxStartedAttempts, keeps it from
      // coming back every second while replicas lag for hours (claim-durability-backoff.ts).
      const waitMs = claimDurability.notConfirmed();
      log().warn({ attempt, waitMs, err: err.message }, 'claim not confirmed durable: not sent; claimed again after a back-off, its start not counted');
      return undoAttempt(err.code, waitMs, { uncounted: true });
    }
    claimDurability.confirmed();
    if (held) {
      // A close stops the wait for the slot at once (the slot goes unused): the claim is undone
      // below now, not when its slot comes, up to the pacer's reach (2 s) later, and a second
      // signal meanwhile would leave it `sending`, to be looked up before anything is resent.
      if (deps.closing?.aborted) held.pacer.release(held.ticket);
      else await held.pacer.awaitReserved(held.ticket, undefined, deps.closing);
    }
    if (deps.closing?.aborted) {
      // Shutting down between the claim and the call: handed back for another worker, its start
      // given back as handBack's. No call was made with this OutId, so nothing is owed a look-up.
      log().info({ attempt }, 'worker shutting down: chunk not sent, handed back to the queue');
      return undoAttempt('SMSQ_SHUTDOWN', 0, { uncounted: true });
    }
    if (deps.gateCalls) {
      // A producer whose enqueue WAIT timed out withdraws its send (cancels it, or holds it paused
      // under an idempotency key) and tells its caller nothing of it goes out; this claim may have
      // been written before and confirmed after that (its own WAIT waits longer, or the replicas came
      // back in between). Its cancel ends queued chunks only, so this call must not be made unless
      // the send still goes on now. The check is one script with the gate's opening
      // (open-call-gate-2.lua), and the producer reads the gates after its withdrawal: a gate it finds
      // open was opened before the withdrawal (the call may be made: it says so), one shut stays shut.
      // A check here without the gate would leave a withdrawal between the check and the call
      // unseen by both. An operator's pause or cancel meanwhile holds it too. Before the call deadline's
      // check, not after it: the gate is a round trip, and one held up by a Redis stall (a worker's
      // commands queue while offline) let the call go past the deadline (review31b: 7.1 s after its
      // claim with a 4.5 s deadline). An opened gate with no call only makes a withdrawal's count of
      // recipients that may get it too high, which its words allow.
      const gate = await deps.chunks.openCallGate(chunkId, sendId, outId);
      if (gate.type === 'moved') {
        // Taken over (its lock lapsed while the confirmation waited: `unknown`, being looked up):
        // no call was made with this OutId, so the look-up finds none, as it would have. Queued
        // again (Redis came back without the claim): claimed anew, as the job would have been.
        log().warn({ attempt, state: gate.state }, 'chunk moved on while its claim was confirmed: not sent on this claim');
        if (gate.state === 'queued') return putBackUncounted(deps.redis, job, token, 0);
        return { outcome: 'skipped', state: gate.state || 'missing' };
      }
      if (gate.type === 'stopped') {
        // Its next claim parks the job (paused) or ends the chunk (cancelled, failed), as for a
        // queued chunk; its start given back (the send's control is not the job's doing).
        log().info({ attempt, state: gate.state, control: gate.control }, 'send paused or ended while the claim was confirmed: not sent, claimed again');
        return undoAttempt('SMSQ_SEND_STOPPED', 0, { uncounted: true, leaveIfTakenOver: true });
      }
    }
    const sentAt = deps.clock.now();
    if (sentAt - claim.claimedAt > deps.timing.callDeadlineMs) {
      // Held up since the claim (src/queue/call-deadline.ts): another worker may already be
      // looking this attempt up, and a call now could land after its proof of "not accepted".
      // (The pacer slot was taken above and is spent: the cap counts it like a call.)
      // Its start stays counted, unlike the other undos: it is the only bound on this loop. Put back
      // ready at once, a claim that waits past the deadline every time would be claimed, spend a slot
      // and be undone for ever. Settings that make every claim wait that long (a confirmation timeout
      // or the pacer's reach the deadline does not outlast) are refused at start (call-deadline.ts
      // claimHoldProblem); what is left is a worker held up again and again. A real hold-up (an outage,
      // a paused VM) is rare and costs one start of the 200, as its lock's lapse would anyway (BullMQ
      // counts the start of whoever takes a stalled job over).
      log().warn({ attempt, heldUpMs: sentAt - claim.claimedAt }, 'claim older than the call deadline: not sent; a new attempt will be made');
      return undoAttempt('SMSQ_CLAIM_EXPIRED', 0, { leaveIfTakenOver: true });
    }
    const pausedMs = deps.pauses?.remainingMs() ?? 0;
    if (pausedMs > 0) {
      // Dysmsapi throttled the account after this claim took its slot: BullMQ's pause holds job
      // starts, not claims already waiting, which made their calls into the pause. Undone, and
      // put back for after the pause with its start given back (a pause is not the job's fault,
      // and maxStartedAttempts must not fail it for waiting one out). Its slot goes unused.
      if (baseLog.isLevelEnabled('debug')) log().debug({ attempt, pausedMs }, 'account paused (throttled): chunk not sent, put back for after the pause');
      return undoAttempt('SMSQ_ACCOUNT_PAUSED', pausedMs, { uncounted: true, leaveIfTakenOver: true });
    }
    deps.journal?.record({ sendId, chunkId, kind, attempt, outId, sentAt });
    track.calling();
    const outcome = await call(deps.client, payload, outId);
    track.answered();
    const decision = decideSend(outcome);
    const ap = deps.controls.autoPause;
    const settle = async (
      trigger: 'answer-accepted' | 'answer-failed' | 'answer-not-sent' | 'answer-unknown' | 'request-not-built',
      fields: Record<string, string | number>,
      extra: { windowEndsAt?: number; ok?: boolean } = {},
    ) => {
      // Counted towards auto-pause by the same script that settles the chunk.
      const counted = ap && extra.ok !== undefined ? { ok: extra.ok, window: ap.window, maxFailureRatio: ap.failureRatio, ttlSeconds: deps.retention[kind] } : undefined;
      const t = await deps.chunks.transition(chunkId, sendId, {
        trigger,
        outId,
        fields,
        windowEndsAt: extra.windowEndsAt,
        outcome: counted,
        // Recorded only if the record, at a later attempt, takes this one back: its receipts are asked for on its day.
        ownSentAt: claim.claimedAt,
      });
      track.done();
      if (t.applied && t.adoptedAttempt !== undefined) {
        log().warn({ attempt, to: t.to }, 'the chunk record had lost this attempt (Redis lost writes): adopted it with its outcome');
      }
      if (t.applied && t.provedAttempt !== undefined) {
        // The later attempt came from a pushed report (anyone with its token can push one) or a
        // claim made after this call was taken for lost: this answer is Dysmsapi's own word.
        log().warn({ attempt, from: t.from }, 'the chunk record was in doubt at a later attempt (adopted from a pushed report, or claimed after this call was taken for lost): this accepted answer settles it at this attempt, nothing is resent');
      }
      if (t.applied && t.pauseReason) {
        log().error({ reason: t.pauseReason }, 'send auto-paused: too many chunks failed; inspect it, then `smsq campaign resume` or `cancel`');
        deps.metrics?.recordAutoPause(sendId, deps.clock.now());
      }
      return t;
    };

    switch (decision.type) {
      case 'accepted': {
        const acceptedAt = deps.clock.now();
        const t = await settle(
          'answer-accepted',
          { bizId: decision.bizId, code: 'OK', resolvedBy: 'answer', acceptedAt },
          { windowEndsAt: deps.followUps.windowEndsAt(acceptedAt), ok: true },
        );
        // Refused as already accepted at this very attempt: a pushed report of it came first (this
        // answer late). Its BizId is recorded here; its receipts are asked for again under the same
        // job id (once): the push's ingest asks when its own move applies, this covers one that
        // died between the two. The same transition run twice (its answer lost, sent again by the
        // client: ioredis's Cluster client on the slot's master, promoted replica included) is no
        // refusal: transition-7.lua answers it as it applied (cluster-resend.test.ts).
        const acceptedBefore = !t.applied && t.state === 'accepted' && t.outId === outId;
        if (t.applied || acceptedBefore) await deps.followUps.firstReceiptLook(sendId, chunkId, kind, acceptedAt);
        if (acceptedBefore) await deps.chunks.setBizId(chunkId, decision.bizId);
        // Gone: compacted once a report of this attempt ended its send (said by what the send keeps), or expired.
        else if (!t.applied && t.state === 'missing') sayLateAnswerOfGoneChunk(log(), await readCompactedChunk(deps.redis, deps.keys, sendId, chunkId), { outId, bizId: decision.bizId });
        else if (!t.applied) log().error({ outId, state: t.state }, 'accepted answer arrived after the chunk moved on; check for a duplicate');
        if (endedSend(t)) await deps.completion.check(sendId);
        if (baseLog.isLevelEnabled('debug')) log().debug({ attempt, bizId: decision.bizId, n: payload.phones.length }, 'chunk accepted');
        deps.throttleWarnings?.accepted();
        return { outcome: 'accepted', bizId: decision.bizId, attempt };
      }
      case 'fail-recipients':
        await settle('answer-failed', { code: decision.code }, { ok: false });
        await deps.completion.check(sendId);
        log().warn({ code: decision.code, n: payload.phones.length }, 'recipients failed permanently');
        return { outcome: 'failed', code: decision.code };
      case 'not-built': {
        // Nothing was written (the request could not be built), and the same payload fails the
        // same way every time: failed now, neither looked up nor resent. The reason names the field.
        const t = await settle('request-not-built', { reason: decision.message }, { ok: false });
        if (t.applied) await deps.completion.check(sendId);
        log().error(
          { attempt, code: 'SMSQ_REQUEST_NOT_BUILT', n: payload.phones.length, state: t.applied ? t.to : t.state },
          `the chunk's request could not be built, its recipients failed (SMSQ_REQUEST_NOT_BUILT): ${decision.message}`,
        );
        return { outcome: 'failed', code: 'SMSQ_REQUEST_NOT_BUILT' };
      }
      case 'fail-send': {
        const failed = await deps.sends.fail(sendId, 'fail', decision.message, decision.code);
        await settle('answer-failed', { code: decision.code });
        // Paused meanwhile, its other jobs may be parked: their claims end their chunks failed now,
        // not a park later. Best effort: the send's failure is recorded, and the park bounds a wake
        // that fails; failing this job over it would skip the completion check below.
        if (failed) {
          await wakeParked({ redis: deps.redis, keys: deps.keys, queue: deps.queue }, sendId).catch((err: unknown) =>
            log().warn({ err }, 'could not wake the jobs parked while the send was paused: they wait out their park (parkMs)'),
          );
        }
        await deps.completion.check(sendId);
        log().error({ code: decision.code }, 'signature or template unusable: the whole send fails; fix it in the console');
        return { outcome: 'failed', code: decision.code };
      }
      case 'block-account':
        // Nothing was sent: put the chunk back and keep the job until the account is fixed.
        await settle('answer-not-sent', { code: decision.code });
        return blockAccount(deps, job, token, decision.code, decision.message);
      case 'throttle':
        // Not accepted: slow every worker down, then this job runs again. Every worker's claims
        // waiting for their slots are told first (this process's at once, the others' by the
        // notice), before the answer is recorded: the notice is a hint that nothing waits on the
        // record for, and the record still comes before the pause is set (account-pauses.ts).
        await deps.pauses?.announce(decision.retryAfterMs);
        await settle('answer-not-sent', { code: decision.code });
        if (deps.throttleWarnings) deps.throttleWarnings.throttled(decision.code, decision.retryAfterMs, { sendId, chunkId });
        else log().warn({ code: decision.code, ms: decision.retryAfterMs }, 'throttled by Dysmsapi: all workers pause');
        return pauseEveryWorker(deps, decision.retryAfterMs, payload.api, { announced: true });
      case 'back-off':
        // Not sent (no connection was made, or no request built): the chunk goes back and the job
        // too, for any worker whose endpoint answers and whose setup is sound; this one backs off
        // by itself (the client told endpoint-backoff.ts).
        await settle('answer-not-sent', { code: decision.code });
        return putBackUncounted(deps.redis, job, token);
      case 'flow-control': {
        if (payload.phones.length > 1) {
          const children = await splitChunk(sendId, chunkId, kind, claim.index, payload, outId, track);
          log().warn({ code: decision.code, children }, 'flow control on a multi-number chunk: split to find the limited numbers');
          return { outcome: 'split', children };
        }
        const chunk = await deps.chunks.get(chunkId);
        const retries = chunk?.flowRetries ?? 0;
        const at = flowControlRetryAt(deps.flowPolicy, kind, retries, deps.clock.now(), Math.floor(Math.random() * deps.flowSpreadMs));
        if (at === undefined) {
          await settle('answer-failed', { code: decision.code });
          await deps.completion.check(sendId);
          // Said as every permanent failure is: the retries' own lines said only that one was coming.
          log().warn({ code: decision.code, n: 1, flowRetries: retries }, `per-number flow control: no retry left for its kind (${kind}), the recipient failed`);
          return { outcome: 'failed', code: decision.code };
        }
        // flowRetryAt: status names when the chunk goes again (send-wait-facts.ts).
        await settle('answer-not-sent', { code: decision.code, flowRetries: retries + 1, flowRetryAt: at });
        log().info({ retryAt: new Date(at).toISOString() }, 'per-number flow control: retrying after the window');
        // BullMQ schedules in wall-clock time; convert from our clock.
        await job.moveToDelayed(Date.now() + Math.max(0, at - deps.clock.now()), token);
        throw new DelayedError();
      }
      case 'unknown': {
        await settle('answer-unknown', { code: decision.code });
        log().warn({ code: decision.code, attempt }, 'send outcome unknown: looking it up before any resend');
        await deps.followUps.reconcile(
          { sendId, chunkId, attempt, look: 1, dateIndex: 0, page: 1, sentAt, outId },
          kind,
          sentAt + deps.timing.firstLookAfterMs,
        );
        return { outcome: 'unknown', code: decision.code, attempt };
      }
    }
  }
}
