/**
 * `/metrics`: Prometheus text, read fresh from Redis at each scrape (see src/metrics/). While Redis
 * does not answer it still answers 200, with `smsq_redis_up 0` and this process's metrics (the
 * exporter pattern), so that an alert can tell "Redis unreachable" from "server down".
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { RedisConnection } from '../../src/queue/connection.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Clock } from '../../src/clock.js';
import { readAlertState } from '../../src/metrics/alert-state.js';
import { readCallMetrics } from '../../src/metrics/metrics-snapshot.js';
import { CONTENT_TYPE, renderPrometheus, renderRedisDown, type DeploymentSettings } from '../../src/metrics/prometheus.js';
import { queueStats, withTimeout } from '../queue-stats.js';
import { PrometheusText } from '../response-schemas.js';
import { answer, INTERNAL } from '../route-schema.js';
import type { ZodReplies } from '../zod-replies.js';

export interface MetricsOptions {
  redis: RedisConnection;
  /** Redis key prefix (not `prefix`: fastify reserves that name for a route prefix). */
  keyPrefix: string;
  queues: readonly Queue[];
  clock: Clock;
  /** Longest a scrape waits for Redis (ms). Default 5000. */
  timeoutMs?: number;
  /** Exported as `smsq_api_call_rate_cap` and `smsq_reconcile_settle_seconds`, for the alert rules. */
  settings?: DeploymentSettings;
}

export async function metricsPlugin(parent: FastifyInstance, options: MetricsOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  // This server's own process metrics (CPU, memory, event loop lag), in a registry of its own.
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry, prefix: 'smsq_server_' });

  const schema = {
    summary: 'Prometheus metrics: queue depths, recipients by state, Dysmsapi calls by operation and outcome, call latency, limiter waits, the account block, auto-paused sends, unknown outcomes, worker heartbeats',
    description:
      'Read from Redis at each scrape, so every server reports the same totals for every worker process. While Redis does not answer: 200 with `smsq_redis_up 0` and the process metrics only (docs/operations-alerts.md).',
    response: {
      200: answer('Prometheus text format 0.0.4', PrometheusText, 'text/plain'),
      500: INTERNAL,
    },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    const nowMs = options.clock.now();
    let read;
    try {
      read = await withTimeout(
        Promise.all([Promise.all(options.queues.map(queueStats)), readCallMetrics(options.redis, options.keyPrefix, nowMs), readAlertState(options.redis, options.keyPrefix, nowMs)]),
        options.timeoutMs ?? 5000,
        'Redis',
      );
    } catch (err) {
      request.log.warn({ err }, 'metrics from Redis unavailable: /metrics reports smsq_redis_up 0');
      return reply.type(CONTENT_TYPE).send(await renderRedisDown({ settings: options.settings, processRegistry }));
    }
    const [queues, calls, alerts] = read;
    return reply.type(CONTENT_TYPE).send(await renderPrometheus({ queues, calls, alerts, nowMs, settings: options.settings, processRegistry }));
  });
}
