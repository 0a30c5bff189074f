/**
 * What an enqueue does when Redis cannot confirm it durable, and what a retry under the same
 * idempotency key does with what it left (design invariant 8; src/queue/withdrawal.ts holds the
 * mark and the predicates). The producer acknowledges a send only once it would outlive a crash of
 * Redis; one it cannot confirm is withdrawn before the error is thrown. A worker may have claimed a
 * chunk of it meanwhile, and that claim's own confirmation may succeed after this one failed (it
 * waits longer, or the replicas came back in between): in a WAIT mode its call waits behind a gate
 * that opens only while the send goes on (open-call-gate-2.lua), and what the refusal says is read
 * from the gates after the withdrawal (a chunk past its gate may go out, and the refusal says so).
 * "Not confirmed" is not "not replicated": a
 * replica may hold the send without its withdrawal and be promoted, so the outcome is unknown, like
 * a SendSms that timed out, and only a retry under the same idempotency key is safe.
 */
import { connectionLostSince, type DurabilityBarrier, type WriteMark } from '../src/durability/barrier.js';
import { NotDurableError, SendAlreadySentError, SendWithdrawnError } from '../src/errors.js';
import { mention } from '../src/setting-mention.js';
import type { Logger } from '../src/logger.js';
import type { SendMove, SendStore } from '../src/queue/send-store.js';
import { endedWithdrawn, isWithdrawn, WITHDRAWN_REASON } from '../src/queue/withdrawal.js';

export interface EnqueueWithdrawalDeps {
  barrier: DurabilityBarrier;
  sends: SendStore;
  log: Logger | undefined;
  /** The producer's cancel of a whole send (its queued chunks, parked jobs and callback with it). */
  cancelSend(sendId: string, reason: string): Promise<unknown>;
  /** An operator's move, answered once it is as durable as an enqueue. */
  durableControl<T>(action: 'resume', sendId: string, move: () => Promise<T>): Promise<T>;
  /** Wakes a resumed send's parked jobs. */
  wakeParked(sendId: string): Promise<unknown>;
  /**
   * Recipients of the send that workers have taken, or may be taking, to the API (a chunk's call
   * gate opened, or the chunk past `sending`: send-cancel.ts recipientsTakenToApi). Read after the
   * withdrawal, no more can join them.
   */
  takenToApi(sendId: string): Promise<number>;
}

export interface EnqueueWithdrawal {
  /**
   * Confirms the enqueue of `sendId` (its writes since `since`), or withdraws it and throws
   * NotDurableError. `hold` (a request with an idempotency key): the send is paused with the
   * withdrawal's mark for that retry to take back ({@link EnqueueWithdrawal.answerEarlier});
   * cancelled, it was answered to the retry as queued and never sent. The repair sweep cancels it
   * if no retry comes. `cancel`: without a key no retry can take it back; nor can one take back a
   * campaign held part-way (its key answers SMSQ_IDEMPOTENCY_KEY_CUT_SHORT).
   */
  confirmOrWithdraw(sendId: string, since: WriteMark, idempotencyKey: string | undefined, how?: 'hold' | 'cancel'): Promise<void>;
  /**
   * Answers a send that an earlier request with the same key and body enqueued, once it is durable
   * (that request may have died before confirming it). This request's own commands on the same
   * server (the key's claim; for an early answer, producer.repeatOf, only the read of the key's
   * mark) came after that send's writes, and WAIT and WAITAOF cover every write of the server's
   * history up to this connection's last command: Redis sets a client's replication offset after
   * each command it runs, a read included, so confirming here confirms those writes. A send that
   * request withdrew (its confirmation failed) is taken back once confirmed: the retry its refusal
   * asked for is answered with it live, sent once. Confirmation failing leaves a send as it was:
   * one not withdrawn is not this request's to withdraw, and one withdrawn stays so. One the repair
   * sweep cancelled since is refused (SendWithdrawnError): nothing of it goes out any more.
   */
  answerEarlier(sendId: string, since: WriteMark, idempotencyKey: string | undefined): Promise<void>;
}

export function createEnqueueWithdrawal({ barrier, sends, log, cancelSend, durableControl, wakeParked, takenToApi }: EnqueueWithdrawalDeps): EnqueueWithdrawal {
  async function confirmOrWithdraw(sendId: string, since: WriteMark, idempotencyKey: string | undefined, how: 'hold' | 'cancel' = idempotencyKey === undefined ? 'cancel' : 'hold'): Promise<void> {
    try {
      await barrier.confirm(`send ${sendId}`, since);
    } catch (err) {
      if (!(err instanceof NotDurableError)) throw err;
      const retry = 'retry with the same idempotency key (it returns this send if it survived, and sends nothing twice)';
      // In the producer's caller's words; the CLI and the server say the command (src/setting-mention.ts).
      const status = `${mention('producer.recipientPage', sendId)} (GET /v1/sends/${sendId}/recipients)`;
      // A worker's claim made before the withdrawal may have passed its call's gate before it too:
      // those recipients go out whatever this says (undefined: the gates could not be read). A gate's
      // opening is not confirmed: after a lost connection (a failover) the server read now may lack
      // one opened before, and a count of none would say "cancelled" of a send that went out.
      const unread = connectionLostSince(since);
      const taken = () => (unread ? Promise.resolve(undefined) : takenToApi(sendId).catch(() => undefined));
      const takenWords = (n: number | undefined) =>
        n === undefined
          ? `but whether workers had already taken some of it to the API could not be read (${unread ? 'the connection to Redis was lost since the enqueue, and a promoted replica may lack what they marked' : 'Redis did not answer'}), so it may still be sent: ${status} says where it is`
          : `but workers had already taken ${n} of its recipients to the API before the withdrawal, and they may get it (${status} says who)`;
      if (how === 'hold') {
        const moved = await sends.setControl(sendId, 'withdraw', WITHDRAWN_REASON).catch(() => undefined);
        if (moved && moved.from !== moved.to) {
          log?.warn({ sendId }, 'enqueue not confirmed durable: send withdrawn (held paused) until a retry of its request takes it back');
          const n = await taken();
          if (n !== 0) {
            throw new NotDurableError(
              `send ${sendId}`,
              `${err.detail}; it is withdrawn (held paused), ${takenWords(n)}; the rest is held, but a replica may have it without the withdrawal and be promoted, so ${retry}: the retry resumes what is held once the replicas confirm it, and without one the repair sweep cancels it after ${mention('repair.enqueueGraceMs')}`,
            );
          }
          throw new NotDurableError(
            `send ${sendId}`,
            `${err.detail}; it is withdrawn (held paused: nothing more of it is sent), but a replica may have it without the withdrawal and be promoted, so ${retry}: the retry resumes it once the replicas confirm it, and without one the repair sweep cancels it after ${mention('repair.enqueueGraceMs')}`,
          );
        }
        // Not withdrawn: an operator's pause or cancel came first (the withdrawal moves an active send
        // only), or Redis did not take it. Saying "held" would promise what is not so.
        const why = moved ? `it was not withdrawn: it is ${moved.to}, as something else left it meanwhile, and it goes on as that says` : 'withdrawing it failed (Redis did not take the write), so it may still be sent';
        throw new NotDurableError(`send ${sendId}`, `${err.detail}; ${why}; ${retry}`);
      }
      // Saying "cancelled" must be so: a send a worker already sent in full is refused the cancel
      // (SendAlreadySentError), and a cancel Redis did not take may leave it going on.
      const cancel = await cancelSend(sendId, WITHDRAWN_REASON).then(
        () => 'cancelled' as const,
        (cancelErr: unknown) => (cancelErr instanceof SendAlreadySentError ? ('sent' as const) : ('unconfirmed' as const)),
      );
      if (cancel === 'sent') {
        // `sent` is every recipient past the API or ended without a call: not every one delivered.
        throw new NotDurableError(
          `send ${sendId}`,
          `${err.detail}; it was not cancelled: workers had already taken every recipient past the API (or ended it without a call), though a replica promoted now may lack its record`,
          `do not enqueue it again as it is: ${status} shows who got it, and a new send can reach those who did not; check the replicas (INFO replication) or raise ${mention('durability.timeoutMs')}`,
        );
      }
      const then = idempotencyKey === undefined ? 'a retry may send it twice (a request with an idempotency key is held instead, and its retry sends it once)' : retry;
      if (cancel === 'unconfirmed') {
        throw new NotDurableError(`send ${sendId}`, `${err.detail}; cancelling it failed too (Redis did not take the write), so it may still be sent: ${status} says where it is; ${then}`);
      }
      const n = await taken();
      if (n !== 0) {
        throw new NotDurableError(`send ${sendId}`, `${err.detail}; it was cancelled, ${takenWords(n)}; the rest is not sent, but a replica may have it without the cancel and be promoted, so ${then}`);
      }
      throw new NotDurableError(`send ${sendId}`, `${err.detail}; it was cancelled, but a replica may have it without the cancel and be promoted, so ${then}`);
    }
  }

  async function answerEarlier(sendId: string, since: WriteMark, idempotencyKey: string | undefined): Promise<void> {
    const send = (await sends.status(sendId))?.send;
    if (send && endedWithdrawn(send)) throw new SendWithdrawnError(idempotencyKey ?? '', sendId, send.controlReason ?? WITHDRAWN_REASON);
    const withdrawn = send !== undefined && isWithdrawn(send);
    const what = `send ${sendId} (enqueued by an earlier request with this idempotency key${withdrawn ? ', withdrawn as not confirmed durable' : ''})`;
    try {
      await barrier.confirm(what, since);
    } catch (err) {
      if (!(err instanceof NotDurableError) || !withdrawn) throw err;
      throw new NotDurableError(what, `${err.detail}; it stays withdrawn (held paused), so retry with the same idempotency key again: the retry that finds it confirmed resumes it, and nothing is sent twice`);
    }
    if (withdrawn) await takeBack(sendId, idempotencyKey);
    // Taken back by an earlier retry whose wake failed (Redis went away between the resume and
    // the wake): this retry wakes them, as an operator's resume given again does.
    else if (send && send.state !== 'paused') await wakeParked(sendId);
  }

  /**
   * Resumes a withdrawn send for a retry of its request, only while it still bears the mark: the
   * repair sweep cancelling it, or an operator moving it, in between is not undone. Confirmed as an
   * operator's resume is: the caller is told it is queued.
   */
  async function takeBack(sendId: string, idempotencyKey: string | undefined): Promise<void> {
    const moved: SendMove | undefined = await durableControl('resume', sendId, async () => {
      const moved = await sends.setControl(sendId, 'resume', 'resumed: a retry of its request (same idempotency key) found it confirmed durable', WITHDRAWN_REASON);
      // Also when it was resumed already: a retry before this one may have resumed it and failed
      // to wake its jobs, which would then sleep out their park (the worker's parkMs, 30 minutes by default).
      if (moved && moved.to !== 'paused') await wakeParked(sendId);
      return moved;
    }).catch((err: unknown) => {
      if (!(err instanceof NotDurableError)) throw err;
      // Resumed on the primary: the next retry finds it live (or, on a replica promoted without the resume, withdrawn) and answers it.
      throw new NotDurableError(`the resume of withdrawn send ${sendId}`, err.detail, 'retry with the same idempotency key once the replicas answer (INFO replication): it returns this send, and sends nothing twice');
    });
    if (moved && moved.from !== moved.to) {
      log?.info({ sendId }, 'withdrawn send taken back by a retry of its request: resumed');
      return;
    }
    const now = (await sends.status(sendId))?.send;
    if (now && endedWithdrawn(now)) throw new SendWithdrawnError(idempotencyKey ?? '', sendId, now.controlReason ?? WITHDRAWN_REASON);
  }

  return { confirmOrWithdraw, answerEarlier };
}
