/**
 * `/healthz`: the process is up (no dependency is checked, so a Redis outage does not get the
 * server restarted). `/readyz`: Redis answers and takes writes, and at least one worker serves the calls queue
 * (BullMQ's CLIENT LIST; where Redis refuses CLIENT LIST, a worker's call-metrics heartbeat
 * within the last minute counts). 503 in the API's error shape names what is missing. A ready
 * answer carries `warnings` when something would not stop the sending but should be fixed: a
 * worker's clock off Redis's (src/queue/clock-skew-check.ts). A warning is read on its own, within
 * the probe's one time limit, and left out when it cannot be read: it never makes `/readyz` fail.
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { RedisConnection } from '../../src/queue/connection.js';
import { RedisAuthRefusedError, RedisDatabaseRefusedError, redisDoesNotAnswerClients, RedisWritesRefusedError, waitOrTellFix, type FieldIssue } from '../../src/errors.js';
import { probeWriteRefusal } from '../../src/durability/probe.js';
import { writeRefusal, type WriteRefusal } from '../../src/queue/redis-errors.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { workersSeen } from '../../src/queue/worker-presence.js';
import { WORKER_SETTINGS_TTL_MS } from '../../src/queue/worker-settings.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { clockSkewWarning, parseClockSkews } from '../../src/metrics/clock-skews.js';
import { redisNowMs } from '../../src/clock-skew.js';
import { asLogged, HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';
import { createDeadline, redisFailureReason } from '../queue-stats.js';
import { HealthSchema, ReadySchema } from '../response-schemas.js';
import { answer, failure, INTERNAL } from '../route-schema.js';
import type { ZodReplies } from '../zod-replies.js';

export interface HealthOptions {
  redis: RedisConnection;
  /** Redis key prefix (not `prefix`: fastify reserves that name for a route prefix). */
  keyPrefix: string;
  /** The queue whose workers make the service ready (the calls queue). */
  workQueue: Queue;
  /** Longest a readiness probe waits for Redis, all its reads together (ms). Default 2000. */
  timeoutMs?: number;
}

export async function healthPlugin(parent: FastifyInstance, options: HealthOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  const timeoutMs = options.timeoutMs ?? 2000;
  // While the connection is down, says why in the connection's words (see redisFailureReason).
  const gate = createRedisGate({ redis: options.redis, timeoutMs });

  const liveness = {
    summary: 'The process is up (no dependency is checked, so a Redis outage does not get it restarted)',
    response: { 200: answer('Up', HealthSchema), 500: INTERNAL },
  };
  app.get('/healthz', { schema: liveness }, async () => ({ status: 'ok' as const }));

  const readiness = {
    summary: 'Redis answers and at least one worker serves the calls queue',
    description:
      'Redis must answer within 2 s (the whole probe) and take writes (INFO: not a read-only replica, no failed save that stops writes, not over maxmemory under noeviction; /metrics reports smsq_redis_up 0 then too); a worker counts when its metrics heartbeat is under a minute old or, when none is, when BullMQ lists it (CLIENT LIST; where Redis refuses CLIENT LIST, the heartbeats alone decide). A ready answer has `warnings` when a live worker\'s clock is off Redis\'s by more than its SMSQ_CLOCK_SKEW_WARN_MS (left out when the workers\' records cannot be read in time).',
    response: {
      200: answer('Ready', ReadySchema),
      500: INTERNAL,
      503: failure('Not ready (SMSQ_NOT_READY); `issues` names `redis` (why, not where Redis is: it does not answer, or it refuses writes (OOM, MISCONF, READONLY) and the fix; `Retry-After: 5`) or `workers`, and the fix'),
    },
  };
  let databaseRefusalLogged = false;
  app.get('/readyz', { schema: readiness }, async (request, reply) => {
    const issues: FieldIssue[] = [];
    let workers = 0;
    let warnings: string[] = [];
    let misconfigured = false;
    // One limit for the whole probe: its steps used to take 2 s each, one after another.
    const deadline = createDeadline(timeoutMs);
    try {
      // TIME answers as PING would, and gives the time the workers' stamps are judged at: on this
      // server's clock, one a minute ahead would find no heartbeat and every skew record stale.
      const nowMs = await deadline.must(gate.ready().then(() => redisNowMs(options.redis)), 'the readiness check');
      // Redis that answers but refuses writes takes no send and lets no worker record a call: read
      // from INFO, as /metrics reads it, so the two agree.
      const refusing = await deadline.must(probeWriteRefusal(options.redis), 'the readiness check');
      if (refusing) throw refusedWritesError(refusing);
      // Beside the worker count, and on its own: a warning never makes a ready deployment unready.
      const skewWarning = deadline.may(readClockSkewWarning(options.redis, options.keyPrefix, nowMs).catch(() => undefined));
      // Unknown (no heartbeat, CLIENT LIST refused) is not ready either: nothing shows a worker.
      workers = (await deadline.must(workersSeen({ redis: options.redis, prefix: options.keyPrefix, queue: options.workQueue }, nowMs), 'the readiness check')) ?? 0;
      if (workers === 0) {
        issues.push({ field: 'workers', message: `no worker serves the ${options.workQueue.name} queue. Fix: start one with \`smsq worker\`` });
      } else {
        const warning = await skewWarning;
        if (warning) warnings = [warning];
      }
    } catch (err) {
      // Redis refused the database REDIS_URL names, or its credentials: a configuration to fix.
      const refusal = err instanceof RedisDatabaseRefusedError || err instanceof RedisAuthRefusedError ? err : undefined;
      misconfigured = refusal !== undefined;
      // In the words /v1 uses (the errors' apiMessage), not ioredis's; and, public as this route
      // is, not where Redis is: the Redis watch logs an outage (and refused credentials) for the
      // operator, and a refused database (REDIS_URL and the fix) is logged here, once: probes come
      // every few seconds.
      if (err instanceof RedisDatabaseRefusedError && !databaseRefusalLogged) {
        databaseRefusalLogged = true;
        // Its message names the Redis as a Node caller's `redis` option: said here as REDIS_URL.
        request.log.error({ err: asLogged(err) }, 'not ready: Redis refused the database REDIS_URL names');
      }
      // Redis refusing writes: found by the INFO read, or met by a read that Redis took for a write.
      const refusedWrites = err instanceof RedisWritesRefusedError ? err.refusal : writeRefusal(err);
      const reason = redisFailureReason(gate, err);
      const message = refusal ? refusal.apiMessage : refusedWrites ? refusedWritesError(refusedWrites).apiMessage : `${redisDoesNotAnswerClients(reason)}. ${waitOrTellFix('check again', reason)}`;
      issues.push({ field: 'redis', message });
    } finally {
      deadline.clear();
    }
    if (issues.length > 0) {
      // As /v1's 503s: a Redis outage is usually short. A refused database or refused credentials
      // are the configuration's to fix (/v1 answers them 500, without one): waiting does not mend it.
      const headers = issues.some((i) => i.field === 'redis') && !misconfigured ? { 'retry-after': '5' } : undefined;
      return sendError(reply, new HttpError(503, HTTP_ERROR_CODES[503], `not ready: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues, headers));
    }
    return { status: 'ready' as const, workers, ...(warnings.length > 0 ? { warnings } : {}) };
  });
}

/** What a Redis refusing writes leaves a deployment: said by `/readyz`, which names no Redis. */
function refusedWritesError(refusal: WriteRefusal): RedisWritesRefusedError {
  return new RedisWritesRefusedError('', refusal, 'no send can be enqueued, and no worker can record a call');
}

/**
 * What `/readyz` says of the live workers' clocks: their records measured within the last minute
 * before `nowMs` (Redis's time; as the workers whose settings word is live).
 */
async function readClockSkewWarning(redis: RedisConnection, prefix: string, nowMs: number): Promise<string | undefined> {
  const hash = await redis.hgetall(metricKeys(prefix).clockSkews);
  return clockSkewWarning(parseClockSkews(hash, nowMs - WORKER_SETTINGS_TTL_MS).records.map((r) => r.record));
}
