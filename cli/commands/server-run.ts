/**
 * What `smsq server` runs once its flags are parsed (server.ts defines them): the REST API, Bull
 * Board, metrics and health until SIGTERM/SIGINT, then a graceful stop. Its action loads this module,
 * and with it fastify, Bull Board, BullMQ and the SDK: `smsq --help` and a refused flag load none of
 * them.
 */
import { longestRetention } from '../../src/queue/retention.js';
import { createProducer } from '../../producers/producer.js';
import { traceProducer } from '../../producers/traced-producer.js';
import { ConfigError, receiptScheduleOf } from '../../src/config.js';
import { SERVER_QUEUES } from '../../src/queue/keys.js';
import { buildServer, missingAuth } from '../../server/build-server.js';
import { systemClock } from '../../src/clock.js';
import { openReportIngest, type ReportIngest } from '../../src/receipts/report-ingest.js';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { confirmLiveCredentials } from '../../src/runtime/sms-runtime.js';
import type { CliContext } from '../context.js';
import type { ServerFlags } from './server-flags.js';
import { listenRefusal } from '../listen-errors.js';
import { isEveryInterface, localUrlHost } from '../../src/listen-host.js';
import { openCatalog, openRedis } from '../pipeline.js';
import { redactRedisUrl } from '../../src/queue/redis-url.js';
import { watchRedis } from '../../src/queue/redis-watch.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { EXIT } from '../../src/errors.js';
import { callsEndedWithin, closeWithin, trackRequests } from '../../server/close-within.js';

/**
 * When the grace has run out and the connections are cut, the calls those requests had under way
 * get this long to end before Redis is let go (a campaign stopped writes its pause and the end of
 * its enqueue, a send finishes its enqueue): the producer's own grace, after which it stops a
 * campaign still reading...
 */
export const CALLS_GRACE_MS = 2000;
/** ...and the limit of the whole wait, which a Redis that hangs without closing its connection would otherwise hold. */
export const CALLS_LIMIT_MS = 3000;

export async function runServer(ctx: CliContext, flags: ServerFlags): Promise<number> {
  const config = ctx.config;
  const s = config.server;
  const auth = { apiToken: s.apiToken, dashboard: { basicAuth: s.dashboard.basicAuth, token: s.dashboard.token } };
  const missing = missingAuth(auth);
  // Refuse before opening anything.
  if (missing.length > 0 && !flags.insecure) throw new ConfigError(missing);
  // Listening from the start: a signal while the server starts (Redis slow to answer) stops it too.
  const shutdown = ctx.deps.waitForShutdown ? ctx.deps.waitForShutdown() : new Promise<string>(() => {});
  let signalled: string | undefined;
  void shutdown.then((signal) => (signalled = signal));
  const stoppedWhileStarting = (signal: string) => {
    ctx.logger.info({ signal }, 'stopped while starting: nothing was served');
    return EXIT.ok;
  };

  // At start, as the worker does: the sandbox warning is said now, not at the first request
  // that checks the account, and a broken SDK or, live, a machine without any credential
  // refuses the start instead of failing every such request.
  const { sandbox } = await ctx.sms();
  if (!sandbox) await confirmLiveCredentials();

  // `client` connection: while Redis is down, /v1 answers 503 at once instead of waiting.
  const redis = openRedis(ctx);
  const redactedUrl = redactRedisUrl(config.redisUrl);
  // Asked every connect timeout: a frozen Redis under an idle server gives no event either.
  const watch = watchRedis({ redis, logger: ctx.logger, redactedUrl, probeMs: config.redisConnectTimeoutMs });
  ctx.onClose(() => watch.stop());
  // Listen once the first connect is made (bounded), so the first requests do not meet a
  // connection still connecting; a Redis that is down does not stop the server (503s meanwhile).
  // A database REDIS_URL names but this Redis lacks is a configuration to fix, not an outage to wait out.
  const ready = createRedisGate({ redis, timeoutMs: config.redisConnectTimeoutMs, redactedUrl })
    .ready()
    .then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof ConfigError) throw err;
      },
    );
  ready.catch(() => {}); // settles unobserved when a signal comes first
  const signalFirst = await Promise.race([ready, shutdown]);
  if (signalFirst !== undefined) return stoppedWhileStarting(signalFirst);
  const tracing = ctx.tracing;
  const untraced = createProducer({
    telemetry: tracing?.bullmq,
    connectTimeoutMs: config.redisConnectTimeoutMs,
    redactedRedisUrl: redactedUrl,
    redis,
    prefix: config.prefix,
    logger: ctx.logger,
    retention: config.retention,
    catalog: openCatalog(ctx, redis),
    callbacks: config.callbackSecret !== undefined,
    durability: config.durability,
    waits: { quietHours: config.quietHours, receiptWindowMs: receiptScheduleOf(config).windowMs, receiptLookups: config.receiptLookups },
  });
  // With OTEL_* set, a send through /v1 starts a trace that its jobs continue.
  const producer = tracing ? traceProducer(untraced, tracing.spans) : untraced;
  ctx.onClose(() => producer.close());
  const token = config.reportToken;
  let reports: { ingest: ReportIngest; token: string } | undefined;
  if (token) {
    const receiptMetrics = createCallMetricsRecorder({ redis, prefix: config.prefix, logger: ctx.logger, heartbeat: false });
    ctx.onClose(() => receiptMetrics.close());
    const ingest = openReportIngest({
      metrics: receiptMetrics,
      redis,
      prefix: config.prefix,
      clock: systemClock,
      logger: ctx.logger,
      retention: config.retention,
      receiptPolicies: config.receiptLookups,
      receiptSchedule: receiptScheduleOf(config),
      durability: config.durability,
      compactFinished: config.compactFinished,
      connectTimeoutMs: config.redisConnectTimeoutMs,
      redactedRedisUrl: redactedUrl,
      optOutWords: config.optOutWords,
    });
    ctx.onClose(() => ingest.close());
    reports = { ingest: ingest.ingest, token };
  } else ctx.logger.warn('SMSQ_REPORT_TOKEN is not set: pushed SmsReport / SmsUp endpoints are off');
  // Aborted when the grace runs out, before the connections are cut: a campaign being enqueued is held with this reason.
  const stopping = new AbortController();
  const app = await buildServer({
    stopping: stopping.signal,
    redis,
    prefix: config.prefix,
    producer,
    logger: ctx.logger,
    queueNames: SERVER_QUEUES,
    apiToken: s.apiToken,
    dashboard: { ...auth.dashboard, readOnly: s.dashboard.readOnly },
    insecure: flags.insecure,
    bodyLimit: s.bodyLimit,
    csvBodyLimit: s.csvBodyLimit,
    settings: { qps: config.qps, reconcileSettleMs: config.reconcileSettleMs },
    retentionSeconds: longestRetention(config.retention),
    redactedRedisUrl: redactedUrl,
    ...(reports ? { reports } : {}),
  });
  // Closed first (closers run last-registered first) when the command ends before its stop below.
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  ctx.onClose(close);
  if (signalled !== undefined) return stoppedWhileStarting(signalled);
  const requests = trackRequests(app.server);
  ctx.deps.onForcedExit?.((signal) => {
    const cut = requests.describe();
    ctx.logger.warn({ signal, cut }, `forced exit: ${cut.length} request${cut.length === 1 ? '' : 's'} cut without an answer (\`cut\` names each)`);
  });
  const address = {
    host: flags.host ?? s.host,
    port: flags.port ?? s.port,
    hostFlag: flags.host !== undefined ? '--host' : 'SMSQ_SERVER_HOST (or --host)',
    portFlag: flags.port !== undefined ? '--port' : 'SMSQ_SERVER_PORT (or --port)',
  };
  const listened = await app.listen({ host: address.host, port: address.port }).catch((err: unknown) => {
    throw listenRefusal(err, address) ?? err;
  });
  // fastify's URL for 0.0.0.0 is http://127.0.0.1:PORT, which read as the one address served.
  const socket = app.server.address();
  const bound = typeof socket === 'object' && socket !== null ? socket : { address: address.host, port: address.port };
  const everyInterface = isEveryInterface(bound.address);
  const url = everyInterface ? `http://${localUrlHost(bound.address)}:${bound.port}` : listened;
  const info = {
    url,
    api: `${url}/v1`,
    dashboard: `${url}/admin/queues`,
    metrics: `${url}/metrics`,
    openapi: `${url}/openapi.json`,
    readOnlyDashboard: s.dashboard.readOnly,
    insecure: missing.length > 0,
    host: bound.address,
    port: bound.port,
    everyInterface,
  };
  ctx.logger.info({ ...info, prefix: config.prefix }, 'smsq server listening; SIGTERM or SIGINT stops it gracefully');
  if (flags.json) ctx.deps.stdout.write(`${JSON.stringify(info)}\n`);
  else
    ctx.print(
      [
        everyInterface ? `smsq server listening on every interface (${bound.address}, port ${bound.port}); from this machine: ${url}` : `smsq server listening on ${url}`,
        `  REST API:   ${info.api}  (${s.apiToken ? 'Authorization: Bearer $SMSQ_API_TOKEN' : 'NO AUTHENTICATION (--insecure)'})`,
        `  dashboard:  ${info.dashboard}  (${s.dashboard.basicAuth || s.dashboard.token ? 'login required' : 'NO AUTHENTICATION (--insecure)'}${s.dashboard.readOnly ? ', read-only' : ''})`,
        `  campaigns:  ${url}/admin/campaigns  (the dashboard's login)`,
        `  metrics:    ${info.metrics}`,
        `  health:     ${url}/healthz  ${url}/readyz`,
        `  OpenAPI:    ${info.openapi}`,
      ].join('\n'),
    );
  const signal = await shutdown;
  const graceMs = config.shutdownGraceMs;
  const stopFrom = performance.now();
  ctx.logger.info({ signal, graceMs }, 'stopping: no new connections; finishing requests in flight');
  watch.stop();
  const stop = await closeWithin({ close, server: app.server }, requests, graceMs, { onGraceOver: () => stopping.abort(`server stopped after its ${graceMs} ms grace`) });
  if (!stop.inTime) {
    const n = stop.cut.length;
    ctx.logger.warn(
      { graceMs, cut: stop.cut, callsLimitMs: CALLS_LIMIT_MS },
      `grace period over: ${n} request${n === 1 ? '' : 's'} cut without an answer (\`cut\` names each). What they had under way ends before Redis is let go (up to ${CALLS_LIMIT_MS} ms): a campaign still reading its list is held paused with the rows read (a warning names its send and how to resume or cancel it); a send finishes its enqueue, and its client's retry with the same Idempotency-Key is answered with it instead of sending it again`,
    );
    const ended = await callsEndedWithin(producer, CALLS_GRACE_MS, CALLS_LIMIT_MS);
    if (!ended || redis.status !== 'ready') {
      ctx.logger.warn(
        { callsLimitMs: CALLS_LIMIT_MS, redis: redis.status },
        `Redis did not answer while what the cut requests had under way was ending${ended ? '' : ` (${CALLS_LIMIT_MS} ms)`}: a send cut mid-enqueue is finished, or failed with SMSQ_ENQUEUE_ABANDONED, by the repair sweep (\`smsq repair\`), and a client's retry with the same Idempotency-Key completes it instead of sending it again; a campaign stopped may not be paused: \`smsq sends --state enqueuing\` lists what is left, \`smsq campaign cancel ID\` ends it`,
      );
    }
    redis.disconnect(); // what still waits for Redis fails now instead of holding the exit
    await stop.closed.catch(() => {});
  }
  ctx.logger.info({ ms: Math.round(performance.now() - stopFrom), graceOver: !stop.inTime, cut: stop.cut.length }, 'server stopped');
  return stop.inTime ? EXIT.ok : EXIT.dependency;
}
