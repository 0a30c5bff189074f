/** `/metrics`: Prometheus text, read fresh from Redis at each scrape (see src/metrics/). */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { RedisConnection } from '../../src/queue/connection.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Clock } from '../../src/clock.js';
import { readCallMetrics } from '../../src/metrics/metrics-snapshot.js';
import { CONTENT_TYPE, renderPrometheus } from '../../src/metrics/prometheus.js';
import { HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';
import { queueStats, withTimeout } from '../queue-stats.js';
import { PrometheusText } from '../response-schemas.js';
import { answer, failure, INTERNAL } from '../route-schema.js';
import type { ZodReplies } from '../zod-replies.js';

export interface MetricsOptions {
  redis: RedisConnection;
  /** Redis key prefix (not `prefix`: fastify reserves that name for a route prefix). */
  keyPrefix: string;
  queues: readonly Queue[];
  clock: Clock;
  /** Longest a scrape waits for Redis (ms). Default 5000. */
  timeoutMs?: number;
}

export async function metricsPlugin(parent: FastifyInstance, options: MetricsOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  // This server's own process metrics (CPU, memory, event loop lag), in a registry of its own.
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry, prefix: 'smsq_server_' });

  const schema = {
    summary: 'Prometheus metrics: queue depths, recipients by state, Dysmsapi calls by operation and outcome, call latency, limiter waits',
    description: 'Read from Redis at each scrape, so every server reports the same totals for every worker process.',
    response: {
      200: answer('Prometheus text format 0.0.4', PrometheusText, 'text/plain'),
      500: INTERNAL,
      503: failure('Redis did not answer in time (SMSQ_NOT_READY)'),
    },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    let text: string;
    try {
      const [queues, calls] = await withTimeout(
        Promise.all([Promise.all(options.queues.map(queueStats)), readCallMetrics(options.redis, options.keyPrefix, options.clock.now())]),
        options.timeoutMs ?? 5000,
        'Redis',
      );
      text = await renderPrometheus({ queues, calls, processRegistry });
    } catch (err) {
      request.log.warn({ err }, 'metrics unavailable');
      return sendError(reply, new HttpError(503, HTTP_ERROR_CODES[503], `metrics unavailable: ${err instanceof Error ? err.message : String(err)}`));
    }
    return reply.type(CONTENT_TYPE).send(text);
  });
}
