/**
 * What this process knows of the account's pause after a throttle answer, for the claims and
 * look-ups waiting for their pacer slots (send-processor.ts, lookup-slot.ts): one that reaches its
 * slot during the pause makes no call and goes back for after it.
 *
 * BullMQ's pause (`queue.rateLimit`, account-pauses.ts) holds job starts only. A claim started
 * before it waits for its slot up to the pacer's reach (2 s at a low SMS_QPS) and then called into
 * the pause: 1 of 20 codes throttled, the 19 others went out during it. Asking Redis at each slot
 * would cost every call a round trip for a rare event, and BullMQ's own knowledge of the limit
 * (`Worker.isRateLimited`) comes only from a worker's next fetch, which a worker whose claims all
 * wait for slots does not make (and it also says "limited" when the backstop window is merely
 * full). So the pause is known in-process, at no cost per call:
 * - the worker that got the answer notes it at once and publishes it (`announce`), before it writes
 *   anything (send-processor.ts; a look-up's throttle, with nothing to record, in pauseEveryWorker),
 *   on a channel every worker subscribes to, on a connection of its own: the other processes hear
 *   it within a round trip.
 * A notice lost (the subscriber reconnecting) costs what it cost before: calls in the pause,
 * throttled again and retried, never a resend without a look-up (the answer said "not sent").
 * So is a channel Redis refuses (an ACL user without it): said once (pause-notice-refusals.ts).
 */
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import { connectTimeoutOf, type RedisConnection } from '../src/queue/connection.js';
import { finishedWithin } from '../src/finished-within.js';
import { createNoticeRefusals } from './pause-notice-refusals.js';

/** The longest pause a notice may set (ms): BullMQ's `maximumRateLimitDelay` of the calls worker. */
export const MAX_NOTICED_PAUSE_MS = 60_000;

export interface PauseNotice {
  /** How long the account stays paused as far as this process knows (ms, 0 when not). No Redis. */
  remainingMs(): number;
  /** This process heard a pause of `ms` from now (a throttle answer). */
  note(ms: number): void;
  /** Notes it, and tells every worker of the deployment (PUBLISH); never rejects. */
  announce(ms: number): Promise<void>;
  /**
   * Subscribes to other workers' notices, on a connection of its own. Resolves once subscribed, so
   * that a worker takes no job before it can hear a pause; or once Redis refused (said once), or
   * after `subscribeWithinMs` without an answer (said; the subscription goes on, and notices are
   * heard from when it lands). Never rejects: a worker without notices still sends.
   */
  start(): Promise<void>;
  /** Ends the subscription and its connection. */
  stop(): void;
}

export interface PauseNoticeOptions {
  /** The worker's connection: it publishes, and a duplicate of it subscribes. */
  redis: RedisConnection;
  /** The deployment's channel (keys.pauseNotices()). */
  channel: string;
  clock: Clock;
  /** Says a channel Redis refuses (NOPERM). */
  logger: Logger;
  /** The refusals already said. Default: this process's (pause-notice-refusals.ts). */
  warned?: Set<string>;
  /** How long start() waits for the subscription (ms). Default: the connection's connect timeout. */
  subscribeWithinMs?: number;
}

/** A pause length as published, checked: a whole number of ms in 1..MAX_NOTICED_PAUSE_MS, or undefined. */
export function parsePauseMs(message: string): number | undefined {
  const ms = Number(message);
  return Number.isInteger(ms) && ms > 0 ? Math.min(ms, MAX_NOTICED_PAUSE_MS) : undefined;
}

export function createPauseNotice(options: PauseNoticeOptions): PauseNotice {
  let until = 0;
  let subscriber: RedisConnection | undefined;
  let subscribing: Promise<void> | undefined;
  const refusals = createNoticeRefusals({ logger: options.logger, channel: options.channel, redis: options.redis, said: options.warned });
  const note = (ms: number) => {
    if (!(ms > 0)) return;
    until = Math.max(until, options.clock.now() + Math.min(ms, MAX_NOTICED_PAUSE_MS));
  };
  return {
    remainingMs: () => Math.max(0, until - options.clock.now()),
    note,
    async announce(ms) {
      note(ms);
      // Only the waiting claims of other processes depend on it: a failed publish must not keep
      // the throttled job from its pause. A refused channel is said; an outage the connection reports.
      await options.redis.publish(options.channel, String(Math.round(ms))).catch((err: unknown) => refusals.failed('publish', err));
    },
    start() {
      if (subscribing) return subscribing;
      const s = options.redis.duplicate();
      subscriber = s;
      // The worker's own connection reports an outage; this one reconnects and subscribes again by
      // itself. A refusal of the resubscription after a reconnect comes here too.
      s.on('error', (err: unknown) => refusals.failed('subscribe', err));
      s.on('message', (channel: string, message: string) => {
        if (channel !== options.channel) return;
        const ms = parsePauseMs(message);
        if (ms !== undefined) note(ms);
      });
      const subscribed = s.subscribe(options.channel).then(
        () => true,
        (err: unknown) => (refusals.failed('subscribe', err), false),
      );
      const withinMs = options.subscribeWithinMs ?? connectTimeoutOf(options.redis);
      const startedAt = performance.now();
      subscribing = finishedWithin(subscribed, withinMs).then((inTime) => {
        // Stopped meanwhile: the subscription was ended, not late.
        if (inTime || subscriber !== s) return;
        options.logger.warn(
          { channel: options.channel, waitedMs: withinMs },
          `not subscribed to ${options.channel} within ${withinMs} ms (Redis does not answer the subscriber connection): starting without other workers' throttle pauses until it is; claims waiting for their pacer slots may call into a pause meanwhile, are throttled again and retried, nothing is sent twice`,
        );
        // The warning says "until it is": say when it is, or the operator cannot tell it ended.
        void subscribed.then((ok) => {
          if (ok && subscriber === s) options.logger.info({ channel: options.channel, afterMs: Math.round(performance.now() - startedAt) }, `subscribed to ${options.channel} after all: this worker hears other workers' throttle pauses again`);
        });
      });
      return subscribing;
    },
    stop() {
      subscriber?.disconnect();
      subscriber = undefined;
      subscribing = undefined;
    },
  };
}
