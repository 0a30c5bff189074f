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

export interface MetricsOptions {
  redis: RedisConnection;
  /** Redis key prefix (not `prefix`: fastify reserves that name for a route prefix). */
  keyPrefix: string;
  queues: readonly Queue[];
  clock: Clock;
  /** Longest a scrape waits for Redis (ms). Default 5000. */
  timeoutMs?: number;
}

export async function metricsPlugin(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  // This server's own process metrics (CPU, memory, event loop lag), in a registry of its own.
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry, prefix: 'smsq_server_' });

  app.get('/metrics', async (request, reply) => {
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
