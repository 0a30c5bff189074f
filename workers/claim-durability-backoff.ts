/**
 * How long a send job waits after its claim was not confirmed durable (SMSQ_NOT_DURABLE: WAIT or
 * WAITAOF timed out, the connection was lost under it). Its start is given back (put-back.ts):
 * Redis's durability is not the job's doing, and replicas lagging for hours must not fail queued
 * messages for want of starts. So the starts no longer bound how often it comes back; this does.
 *
 * One back-off per worker, not per job: a confirmation that does not come is Redis's state, met by
 * every claim the worker makes. The first refusal puts its job back for `firstMs`; every job refused
 * until then waits for the same moment; the first refused after it starts the next step, twice as
 * long, up to `maxMs`. So while it lasts each job is claimed at most once a step, and at most once
 * every `maxMs` in the end, wherever it is in the queue. A claim confirmed durable starts it over.
 */
import type { Clock } from '../src/clock.js';

export interface ClaimDurabilityBackoffSettings {
  /** The first wait (ms). Default 1000. */
  firstMs: number;
  /** The longest wait (ms): the doubling stops there. Default 60000. */
  maxMs: number;
}

export const DEFAULT_CLAIM_DURABILITY_BACKOFF: Readonly<ClaimDurabilityBackoffSettings> = Object.freeze({ firstMs: 1000, maxMs: 60_000 });

export interface ClaimDurabilityBackoff {
  /** A claim was not confirmed durable: how long (ms) its job waits before it is claimed again. */
  notConfirmed(): number;
  /** A claim was confirmed durable: the next refusal waits `firstMs` again. */
  confirmed(): void;
}

export function createClaimDurabilityBackoff(clock: Clock, settings: Partial<ClaimDurabilityBackoffSettings> = {}): ClaimDurabilityBackoff {
  const firstMs = Math.max(1, settings.firstMs ?? DEFAULT_CLAIM_DURABILITY_BACKOFF.firstMs);
  const maxMs = Math.max(firstMs, settings.maxMs ?? DEFAULT_CLAIM_DURABILITY_BACKOFF.maxMs);
  let nextMs = firstMs;
  /** When the current step ends; undefined while claims are confirmed. */
  let stepEndsAt: number | undefined;
  return {
    notConfirmed() {
      const now = clock.now();
      if (stepEndsAt === undefined || now >= stepEndsAt) {
        stepEndsAt = now + nextMs;
        nextMs = Math.min(nextMs * 2, maxMs);
      }
      return stepEndsAt - now;
    },
    confirmed() {
      stepEndsAt = undefined;
      nextMs = firstMs;
    },
  };
}
