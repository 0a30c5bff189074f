/**
 * Redis refusing commands for its own state (OOM at `maxmemory` under `noeviction`, MISCONF after a
 * failed save, READONLY from a replica, ...: redis-errors.ts redisStateRefusal) while a worker holds
 * jobs. A refused command (a script: at its first write) changed nothing, and Redis takes it again
 * once its state is mended, so the refusal is Redis's, not the job's: a job whose run was refused is
 * put back with its start given back (put-back.ts), to run again after a back-off, whatever stage it
 * had reached (the chunk's state, not the job, decides what its next run does: a claim left
 * `sending` is looked up before anything is resent). Failed instead, a send job gave its queued
 * recipients up (SMSQ_GAVE_UP, no call made) and a look-up spent its tries.
 *
 * The put-back is a write too, and may be refused with the rest; BullMQ may still fail the job (its
 * script frees memory at its first write, which Redis lets run). Such a job is moved back from
 * `failed` after the back-off, again while Redis refuses that, until the worker closes (the repair
 * sweep then finds its chunk).
 *
 * One back-off per worker, as claim-durability-backoff.ts's (Redis's state is met by every job):
 * 1 s, doubling up to 30 s, started over once a run is not refused. One log line per step, naming
 * the refusal, its fix and how many runs were refused since the last line: under OOM every job of
 * the worker was refused within a second, each said with a stack.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Clock } from '../src/clock.js';
import type { RedisConnection } from '../src/queue/connection.js';
import { isRedisConnectionError, redisStateRefusal, STATE_REFUSAL_FIX, type RedisStateRefusal } from '../src/queue/redis-errors.js';
import { createClaimDurabilityBackoff, type ClaimDurabilityBackoffSettings } from './claim-durability-backoff.js';
import { putBackUncounted } from './put-back.js';

export const REFUSAL_BACKOFF: Readonly<ClaimDurabilityBackoffSettings> = Object.freeze({ firstMs: 1000, maxMs: 30_000 });

export interface RedisRefusals {
  /** `process`, its runs that Redis refused put back for after the back-off. */
  wrap<R>(process: (job: Job, token?: string) => Promise<R>): (job: Job, token?: string) => Promise<R>;
  /** True when BullMQ failed `job` for good for a refusal: then {@link retryFailed} it rather than give its chunk up. */
  failedForRefusal(job: Job, err: Error): boolean;
  /** Moves a job failed for a refusal back to run, after the back-off; again while Redis refuses that. */
  retryFailed(job: Job): void;
  /** Jobs failed for a refusal and waiting to be moved back. */
  waiting(): number;
  /** Stops the moves waiting: the repair sweep finds their chunks. */
  close(): void;
}

export interface RedisRefusalsDeps {
  redis: RedisConnection;
  clock: Clock;
  logger: Logger;
  settings?: Partial<ClaimDurabilityBackoffSettings>;
}

export function createRedisRefusals(deps: RedisRefusalsDeps): RedisRefusals {
  const backoff = createClaimDurabilityBackoff(deps.clock, { ...REFUSAL_BACKOFF, ...deps.settings });
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  /** The step last said, and the refusals met since. */
  let saidStepEnd: number | undefined;
  let refusedSince = 0;

  /** How long the job refused now waits; a new step's first refusal is said. */
  const refused = (refusal: RedisStateRefusal, err: Error, job: Job): number => {
    const waitMs = backoff.notConfirmed();
    const stepEnd = deps.clock.now() + waitMs;
    refusedSince++;
    if (saidStepEnd === undefined || stepEnd > saidStepEnd + 1) {
      deps.logger.warn(
        { refusal, jobId: job.id, name: job.name, waitMs, refusedSinceLastLine: refusedSince, err: err.message.split('\n')[0] },
        `Redis refused a job's write (${refusal}): nothing of it was written; its jobs are put back and run again in ${Math.ceil(waitMs / 1000)} s, none given up. Fix: ${STATE_REFUSAL_FIX[refusal]}`,
      );
      saidStepEnd = stepEnd;
      refusedSince = 0;
    }
    return waitMs;
  };

  const taken = () => {
    if (saidStepEnd !== undefined) deps.logger.info({ refusedSinceLastLine: refusedSince }, 'Redis takes writes again: jobs run as before');
    saidStepEnd = undefined;
    refusedSince = 0;
    backoff.confirmed();
  };

  const retryFailed = (job: Job): void => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed) return;
      job.retry('failed').then(
        () => undefined,
        (err: unknown) => {
          // Refused again, or Redis gone meanwhile: tried again after the next step.
          if (redisStateRefusal(err) !== undefined || isRedisConnectionError(err)) retryFailed(job);
          // Anything else (the job is no longer failed: the repair sweep or an operator moved it) ends it here.
          else deps.logger.debug({ jobId: job.id, err: err instanceof Error ? err.message : String(err) }, 'job failed for a Redis refusal not moved back');
        },
      );
    }, backoff.notConfirmed());
    timer.unref();
    timers.add(timer);
  };

  return {
    wrap(process) {
      return async (job, token) => {
        let result: Awaited<ReturnType<typeof process>>;
        try {
          result = await process(job, token);
        } catch (err) {
          const refusal = redisStateRefusal(err);
          if (refusal === undefined) throw err;
          return putBackUncounted(deps.redis, job, token, refused(refusal, err as Error, job));
        }
        taken();
        return result;
      };
    },
    failedForRefusal(job, err) {
      return redisStateRefusal(err) !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    },
    retryFailed,
    waiting: () => timers.size,
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
