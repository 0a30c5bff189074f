/**
 * A look-up's (receipt, reconcile) wait for its pacer slot, and what it does when the slot comes
 * while the account is paused by a throttle answer: no call, the job goes back for the end of the
 * pause, its start given back (put-back.ts), and nothing of the look-up changed.
 *
 * BullMQ's pause (`queue.rateLimit`, account-pauses.ts) holds job starts only. Look-ups wait for
 * their slots in the `bulk` lane, up to the pacer's reach; when the paced client waited for them,
 * each called when its slot came, pause or not: with 20 look-ups due at once, two workers at
 * SMS_QPS=20 and the first throttled, 17 of the 20 receipt queries called during the 1 s pause
 * (test/integration/throttle-waiting-lookups.test.ts), each with its chance of another throttle
 * answer, and a throttled one's start spent towards `maxStartedAttempts`. The slot is taken here,
 * so that the pause is asked after it, as the send path asks it after its claim's slot.
 *
 * Put back as the job it is: the same look, recipient, date and page when it runs again, none of
 * its tries spent (a pause is not the look-up's failure). A pause ends within a minute
 * (pause-notice.ts MAX_NOTICED_PAUSE_MS), and neither a receipt window nor a reconcile's settling
 * window counts from the look-up: a look-up made later reads no less.
 */
import type { Job } from 'bullmq';
import type { CallPacer } from '../src/queue/call-pacer.js';
import type { CallJobDeps } from './call-job-deps.js';
import { putBackUncounted } from './put-back.js';

/** `pauses`: the account's pause as this process knows it (no Redis round trip); `redis`: the put-back gives the job's start back. */
export interface LookupSlotDeps extends Pick<CallJobDeps, 'pauses' | 'redis'> {
  /**
   * Aborted once the worker is shutting down: a look-up waiting for its slot stops waiting at once
   * and goes back as it is, uncounted. Without it, close() waited for every waiting look-up's slot,
   * one every 1 / SMS_QPS s: 64 look-ups at SMS_QPS=20 held it ~2 s (test/integration/close-waiting-claims.test.ts).
   */
  closing?: AbortSignal;
  /**
   * The account-wide pacer, when the cap is kept by pacing: the look-up takes its slot here (lane
   * `bulk`), and `client` must then be unpaced. Without it (`window` mode) nothing is awaited.
   */
  pacer?: Pick<CallPacer, 'acquire'>;
}

/**
 * Resolves when the look-up may make its call: its slot has come and the account is not paused.
 * When it is, the job goes back for the rest of the pause, uncounted; when the worker closes
 * first, it goes back at once, uncounted, for another worker. Either way this throws BullMQ's
 * DelayedError, which the processor must let out.
 */
export async function awaitLookupSlot(deps: LookupSlotDeps, job: Job, token: string | undefined): Promise<void> {
  // Nothing of the look-up was done yet, and its slot (if one was reserved) goes unused.
  if (deps.pacer && !(await deps.pacer.acquire('bulk', deps.closing))) await putBackUncounted(deps.redis, job, token);
  const pausedMs = deps.pauses?.remainingMs() ?? 0;
  // The slot goes unused: the cap counts it like a call.
  if (pausedMs > 0) await putBackUncounted(deps.redis, job, token, pausedMs);
}
