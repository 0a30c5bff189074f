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
import { redisNowMs } from '../../src/clock-skew.js';
import { readAlertState } from '../../src/metrics/alert-state.js';
import { readCallMetrics } from '../../src/metrics/metrics-snapshot.js';
import { CONTENT_TYPE, renderPrometheus, renderRedisDown, type DeploymentSettings } from '../../src/metrics/prometheus.js';
import { queueStats, redisFailureReason, withTimeout } from '../queue-stats.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { redisDoesNotAnswer, RedisWritesRefusedError } from '../../src/errors.js';
import { probeWriteRefusal } from '../../src/durability/probe.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { PrometheusText } from '../response-schemas.js';
import { answer, INTERNAL } from '../route-schema.js';
import type { ZodReplies } from '../zod-replies.js';

/** prom-client's default gauges whose names end in `_total` (its lib/metrics/process{Handles,Requests,Resources}.js). */
const PROCESS_GAUGES_NAMED_AS_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

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
  /** REDIS_URL, password redacted, named in the line logged when scrapes start failing. */
  redactedRedisUrl: string;
}

export async function metricsPlugin(parent: FastifyInstance, options: MetricsOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  // This server's own process metrics (CPU, memory, event loop lag), in a registry of its own.
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry, prefix: 'smsq_server_' });
  // prom-client names three of its gauges `..._total`, which Prometheus keeps for counters
  // (`promtool check metrics` exited 3 on every scrape), and has no option to leave out or rename
  // one default metric: they go, as their per-type gauges (`smsq_server_nodejs_active_handles{type}`,
  // `..._requests{type}`, `..._resources{type}`) sum to the same counts.
  for (const name of PROCESS_GAUGES_NAMED_AS_COUNTERS) processRegistry.removeSingleMetric(`smsq_server_${name}`);

  const schema = {
    summary: 'Prometheus metrics: queue depths, recipients by state, Dysmsapi calls by operation and outcome, call latency, limiter waits, the account block, auto-paused sends, sends withdrawn at enqueue, unknown outcomes, worker heartbeats',
    description:
      'Read from Redis at each scrape, so every server reports the same totals for every worker process. While Redis does not answer: 200 with `smsq_redis_up 0` and the process metrics only (docs/operations-alerts.md).',
    response: {
      200: answer('Prometheus text format 0.0.4', PrometheusText, 'text/plain'),
      500: INTERNAL,
    },
  };
  // Prometheus scrapes every few seconds: an outage is one line when the scrapes start failing and
  // one when they read Redis again, not a line per scrape.
  let failing: { sinceMs: number; scrapes: number } | undefined;
  const gate = createRedisGate({ redis: options.redis, redactedUrl: options.redactedRedisUrl, timeoutMs: options.timeoutMs ?? 5000 });
  app.get('/metrics', { schema }, async (request, reply) => {
    // This server's own time, for its outage lines only: what the workers stamped is judged at Redis's.
    const nowMs = options.clock.now();
    let read;
    try {
      read = await withTimeout(
        gate.ready().then(async () => {
          // Redis refusing writes is down for smsq, as /readyz says (from the same INFO).
          const refusal = await probeWriteRefusal(options.redis);
          if (refusal) throw new RedisWritesRefusedError(options.redactedRedisUrl, refusal, 'no send can be enqueued, and no worker can record a call');
          const atMs = await redisNowMs(options.redis);
          return Promise.all([atMs, Promise.all(options.queues.map(queueStats)), readCallMetrics(options.redis, options.keyPrefix, atMs), readAlertState(options.redis, options.keyPrefix, atMs)]);
        }),
        options.timeoutMs ?? 5000,
        'Redis',
      );
    } catch (err) {
      if (failing) failing.scrapes++;
      else {
        failing = { sinceMs: nowMs, scrapes: 1 };
        const refused = gate.translate(err);
        const reason = refused instanceof RedisWritesRefusedError ? refused.refusal.shownBy : redisFailureReason(gate, err);
        const what = refused instanceof RedisWritesRefusedError ? inEnvironmentTerms(refused.message) : redisDoesNotAnswer(options.redactedRedisUrl, reason);
        request.log.warn({ redisUrl: options.redactedRedisUrl, reason }, `metrics from Redis unavailable: ${what}; /metrics reports smsq_redis_up 0 and this process's metrics until it answers`);
      }
      return reply.type(CONTENT_TYPE).send(await renderRedisDown({ settings: options.settings, processRegistry }));
    }
    if (failing) {
      request.log.info({ redisUrl: options.redactedRedisUrl, downMs: nowMs - failing.sinceMs, failedScrapes: failing.scrapes }, 'metrics from Redis available again: /metrics reports smsq_redis_up 1');
      failing = undefined;
    }
    const [atMs, queues, calls, alerts] = read;
    return reply.type(CONTENT_TYPE).send(await renderPrometheus({ queues, calls, alerts, nowMs: atMs, settings: options.settings, processRegistry }));
  });
}
