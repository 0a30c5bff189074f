/**
 * `/healthz`: the process is up (no dependency is checked, so a Redis outage does not get the
 * server restarted). `/readyz`: Redis answers and at least one worker serves the calls queue
 * (BullMQ's CLIENT LIST; where Redis refuses CLIENT LIST, a worker's call-metrics heartbeat
 * within the last minute counts). 503 in the API's error shape names what is missing.
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { RedisConnection } from '../../src/queue/connection.js';
import type { Clock } from '../../src/clock.js';
import { redisDoesNotAnswer, redisFix, type FieldIssue } from '../../src/errors.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { workersSeen } from '../../src/queue/worker-presence.js';
import { HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';
import { redisFailureReason, withTimeout } from '../queue-stats.js';
import { HealthSchema, ReadySchema } from '../response-schemas.js';
import { answer, failure, INTERNAL } from '../route-schema.js';
import type { ZodReplies } from '../zod-replies.js';

export interface HealthOptions {
  redis: RedisConnection;
  /** Redis key prefix (not `prefix`: fastify reserves that name for a route prefix). */
  keyPrefix: string;
  /** The queue whose workers make the service ready (the calls queue). */
  workQueue: Queue;
  clock: Clock;
  /** REDIS_URL, password redacted, named when Redis does not answer. */
  redactedRedisUrl: string;
  /** Longest a readiness check waits for Redis (ms). Default 2000. */
  timeoutMs?: number;
}

export async function healthPlugin(parent: FastifyInstance, options: HealthOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  const timeoutMs = options.timeoutMs ?? 2000;
  // While the connection is down, says why in the connection's words (see redisFailureReason).
  const gate = createRedisGate({ redis: options.redis, redactedUrl: options.redactedRedisUrl, timeoutMs });

  const liveness = {
    summary: 'The process is up (no dependency is checked, so a Redis outage does not get it restarted)',
    response: { 200: answer('Up', HealthSchema), 500: INTERNAL },
  };
  app.get('/healthz', { schema: liveness }, async () => ({ status: 'ok' as const }));

  const readiness = {
    summary: 'Redis answers and at least one worker serves the calls queue',
    description: 'Redis must answer within 2 s; a worker counts when its metrics heartbeat is under a minute old or, when none is, when BullMQ lists it (CLIENT LIST; where Redis refuses CLIENT LIST, the heartbeats alone decide).',
    response: {
      200: answer('Ready', ReadySchema),
      500: INTERNAL,
      503: failure('Not ready (SMSQ_NOT_READY); `issues` names `redis` or `workers` and the fix'),
    },
  };
  app.get('/readyz', { schema: readiness }, async (_request, reply) => {
    const issues: FieldIssue[] = [];
    let workers = 0;
    try {
      await withTimeout(gate.ready().then(() => options.redis.ping()), timeoutMs, 'the readiness check');
      // Unknown (no heartbeat, CLIENT LIST refused) is not ready either: nothing shows a worker.
      workers = (await withTimeout(workersSeen({ redis: options.redis, prefix: options.keyPrefix, queue: options.workQueue, clock: options.clock }), timeoutMs, 'the readiness check')) ?? 0;
      if (workers === 0) {
        issues.push({ field: 'workers', message: `no worker serves the ${options.workQueue.name} queue. Fix: start one with \`smsq worker\`` });
      }
    } catch (err) {
      // In the words /v1 uses (RedisUnavailableError), not ioredis's.
      const reason = redisFailureReason(gate, err);
      issues.push({ field: 'redis', message: `${redisDoesNotAnswer(options.redactedRedisUrl, reason)}. ${redisFix(reason)}` });
    }
    if (issues.length > 0) {
      return sendError(reply, new HttpError(503, HTTP_ERROR_CODES[503], `not ready: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues));
    }
    return { status: 'ready' as const, workers };
  });
}
