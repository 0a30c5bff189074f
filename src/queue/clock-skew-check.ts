/**
 * A worker's check of its own clock against Redis's (src/clock-skew.ts), at start and with every
 * refresh of its settings word (worker-settings.ts): the measure is recorded in Redis, where
 * `/metrics` (smsq_worker_clock_skew_seconds) and `/readyz` read it, and one warning is logged
 * when the skew passes SMSQ_CLOCK_SKEW_WARN_MS (one line again when it is back within).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './connection.js';
import { clockSkewOf, DEFAULT_CLOCK_SKEW_WARN_MS, durationText, redisTimeMs, skewPastThreshold, skewText, type ClockSkew } from '../clock-skew.js';
import { clockSkewField } from '../metrics/clock-skews.js';
import { metricKeys } from '../metrics/metric-keys.js';
import { isRedisConnectionError } from './redis-errors.js';

export interface ClockSkewCheckDeps {
  redis: RedisConnection;
  /** The key prefix (SMSQ_PREFIX) the record is kept under. */
  prefix: string;
  /** The clock the worker gives its Lua scripts: the one measured. */
  clock: Clock;
  logger: Logger;
  /** Names the record (the worker's id, shared with its other words). */
  workerId: string;
  /** SMSQ_CLOCK_SKEW_WARN_MS. Default {@link DEFAULT_CLOCK_SKEW_WARN_MS}. */
  thresholdMs?: number;
  /** The skew between two workers that this worker's timing allows (call-deadline.ts clockSkewMarginMs), named in the warning. Default: the defaults' 24 s. */
  marginMs?: number;
}

export interface ClockSkewCheck {
  /** Measures the skew now and records it; undefined when Redis did not answer (said at most once per failing run), or once stopped. Never throws. */
  check(): Promise<ClockSkew | undefined>;
  /**
   * Takes the record back (a worker closing), after the check in flight if any: its write would
   * otherwise land after the delete and keep the worker's gauge series up for the hour the server
   * keeps records. A failure is ignored: the record ages out.
   */
  stop(): Promise<void>;
}

export function createClockSkewCheck(deps: ClockSkewCheckDeps): ClockSkewCheck {
  const key = metricKeys(deps.prefix).clockSkews;
  const thresholdMs = deps.thresholdMs ?? DEFAULT_CLOCK_SKEW_WARN_MS;
  const margin = deps.marginMs === undefined ? '24 s by default' : `${durationText(deps.marginMs)} with this worker's settings`;
  const log = deps.logger.child({ component: 'clock' });
  let warned = false;
  let failing = false;
  let stopped = false;
  // Those of a slow Redis can overlap (start's and a refresh's): stop waits for each.
  const inFlight = new Set<Promise<unknown>>();

  /** The skew now, recorded; `past`: beyond the threshold (as recorded, and as told). */
  async function measure(): Promise<{ skew: ClockSkew; past: boolean }> {
    const sentAtMs = deps.clock.now();
    const time = await deps.redis.time();
    const skew = clockSkewOf(sentAtMs, time, deps.clock.now());
    const past = skewPastThreshold(skew, thresholdMs);
    const atMs = redisTimeMs(time);
    await deps.redis.hset(key, deps.workerId, clockSkewField({ ...skew, thresholdMs, past, atMs }));
    return { skew, past };
  }

  function tell(skew: ClockSkew, past: boolean): void {
    const fields = { skewMs: Math.round(skew.skewMs), roundTripMs: skew.roundTripMs, thresholdMs };
    if (past && !warned) {
      log.warn(
        fields,
        `this worker's clock is ${skewText(skew.skewMs)} Redis's (SMSQ_CLOCK_SKEW_WARN_MS=${thresholdMs}): smsq's Lua scripts take the time from the worker that runs them. A send's deadline and the quiet hours are judged on this clock; whether an unanswered attempt was accepted is judged on the reconciling worker's clock against the claiming worker's, so a claiming worker behind another by more than the settling window's margin (SMSQ_RECONCILE_SETTLE_MS - call deadline - SMS timeouts, ${margin}) could see its attempt resent while it still calls. ` +
          'Fix: run NTP on this host (chrony or systemd-timesyncd) and check that it is in sync (chronyc tracking, timedatectl)',
      );
    } else if (!past && warned) {
      log.info(fields, `this worker's clock is back within SMSQ_CLOCK_SKEW_WARN_MS=${thresholdMs} of Redis's (${skewText(skew.skewMs)})`);
    }
    warned = past;
  }

  return {
    async check() {
      if (stopped) return undefined;
      const run = measure();
      const settled = run.catch(() => {}).finally(() => inFlight.delete(settled));
      inFlight.add(settled);
      try {
        const { skew, past } = await run;
        failing = false;
        tell(skew, past);
        return skew;
      } catch (err) {
        // Redis gone: the Redis watch says so; anything else once per failing run.
        if (!failing && !isRedisConnectionError(err)) log.warn({ err }, 'could not measure this worker\'s clock against Redis\'s; trying again at the next refresh');
        failing = true;
        return undefined;
      }
    },
    async stop() {
      stopped = true;
      await Promise.all(inFlight);
      await deps.redis.hdel(key, deps.workerId).catch(() => {});
    },
  };
}
