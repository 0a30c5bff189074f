/**
 * The HTTP server of smsq, built by a factory from its dependencies and made of isolated plugins:
 * health, metrics, the OpenAPI document, REST ingestion (`/v1`) and the Bull Board dashboard.
 * Only the entry point (`smsq server`) listens; tests use `inject()` or a real port.
 */
import type { Queue } from 'bullmq';
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { describeRedis, type RedisConnection } from '../src/queue/connection.js';
import type { Producer } from '../producers/producer.js';
import { systemClock, type Clock } from '../src/clock.js';
import { runningUnderVitest } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { openQueue } from '../src/queue/calls-queue.js';
import { createEmitterErrorLog } from '../src/queue/emitter-errors.js';
import { SERVER_QUEUES } from '../src/queue/keys.js';
import { createClientErrorHandler, createErrorHandler, frameworkErrorOf, MAX_PARAM_LENGTH, sendError, stoppingError } from './errors.js';
import { isAuthorized } from './auth.js';
import { createRouteMethods } from './route-methods.js';
import { handleExpect } from './expect.js';
import { emptyTextParser, utf8JsonParser } from './charset.js';
import { redactUrl } from './redact-url.js';
import { dashboardPlugin, DASHBOARD_PATH, DASHBOARD_SCHEMA } from './plugins/dashboard.js';
import { healthPlugin } from './plugins/health.js';
import { ingestionPlugin } from './plugins/ingestion.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openApiPlugin } from './plugins/openapi.js';
import { createOpenApiCollector } from './openapi.js';
import { createReplySerializer } from './zod-replies.js';
import { controlsPlugin } from './plugins/controls.js';
import { createRefusalLog } from './refusal-log.js';
import { reportsPlugin } from './plugins/reports.js';
import { campaignsPagePlugin, CAMPAIGNS_PATH } from './plugins/campaigns.js';
import { createCampaignTracker } from '../src/receipts/campaign-tracker.js';
import { createKeys } from '../src/queue/keys.js';
import type { ReportIngest } from '../src/receipts/report-ingest.js';
import type { DeploymentSettings } from '../src/metrics/prometheus.js';

export interface ServerDeps {
  /** BullMQ-ready Redis connection (`maxRetriesPerRequest: null`); the server does not close it. */
  redis: RedisConnection;
  /** Key prefix with a hash tag; must match the workers'. */
  prefix: string;
  /** Enqueues for `/v1`; the server does not close it. */
  producer: Producer;
  logger: Logger;
  /** Default: the system clock. */
  clock?: Clock;
  /** The smsq queues shown in the dashboard and metrics. Default `['calls', 'housekeeping']` (SERVER_QUEUES), as `smsq server`. The first is the one whose workers make `/readyz` ready. */
  queueNames?: readonly string[];
  /** Bearer token for `/v1` (SMSQ_API_TOKEN). Required unless `insecure`. */
  apiToken?: string;
  dashboard?: {
    /** Basic-auth login (SMSQ_DASHBOARD_USER / SMSQ_DASHBOARD_PASSWORD). */
    basicAuth?: { user: string; password: string };
    /** Bearer token (SMSQ_DASHBOARD_TOKEN). */
    token?: string;
    /** Bull Board's read-only mode. Default true. */
    readOnly?: boolean;
  };
  /** Serve `/v1` and the dashboard without authentication when no credentials are configured. Default false: refuse. */
  insecure?: boolean;
  /**
   * Validate every answer against the zod schema its route declares before sending it; one that
   * does not match becomes a 500 naming the route and the fields. For tests: default true under
   * vitest (runningUnderVitest in src/config.ts), false otherwise.
   */
  checkResponses?: boolean;
  /** Largest JSON body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Largest CSV upload in bytes. Default 64 MiB. */
  csvBodyLimit?: number;
  /**
   * Alibaba's pushed SmsReport / SmsUp: applied by `ingest`, accepted only with `token`
   * (SMSQ_REPORT_TOKEN). Without it the push endpoints are not served.
   */
  reports?: { ingest: ReportIngest; token: string };
  /** How long sends live (s, SMSQ_RETENTION_DAYS): the campaigns page's series and tallies live as long. Default 30 days. */
  retentionSeconds?: number;
  /** SMS_QPS and SMSQ_RECONCILE_SETTLE_MS, exported by `/metrics` for the alert rules (ops/prometheus). */
  settings?: DeploymentSettings;
  /** REDIS_URL with its password redacted, named when Redis does not answer. Default: read from the connection. */
  redactedRedisUrl?: string;
  /**
   * Aborted by the entry point when its shutdown grace runs out, just before it cuts the
   * connections still open: a campaign being enqueued is stopped (held paused with the rows read)
   * with this signal's reason, not as if its client had gone. Default: none.
   */
  stopping?: AbortSignal;
}

/** The server `buildServer` returns. */
export type SmsqServer = FastifyInstance;

/** Paths probed often: logged at debug level only. */
const QUIET = /^\/(healthz|readyz|metrics)(\?|$)|^\/admin\/queues\/(api|static)\//;
/** The campaigns page refreshes itself every 2 s: its reads are logged at debug level too. */
const QUIET_READ = /^\/admin\/campaigns(\/|\?|$)/;

/**
 * The missing credentials, as configuration errors (one line each, with the fix). Empty when the
 * server may start.
 */
export function missingAuth(deps: Pick<ServerDeps, 'apiToken' | 'dashboard' | 'insecure'>): string[] {
  const lines: string[] = [];
  if (deps.apiToken === undefined) {
    lines.push('SMSQ_API_TOKEN is not set: /v1 would enqueue messages for anyone who can reach the server. Fix: SMSQ_API_TOKEN=$(openssl rand -hex 32), or --insecure on a trusted network only');
  }
  if (!deps.dashboard?.basicAuth && deps.dashboard?.token === undefined) {
    lines.push(
      'neither SMSQ_DASHBOARD_USER/SMSQ_DASHBOARD_PASSWORD nor SMSQ_DASHBOARD_TOKEN is set: the dashboard would be open to anyone. Fix: set a login (or a token), or --insecure on a trusted network only',
    );
  }
  return lines;
}

/** Builds (does not start) the server. Throws {@link ConfigError} when authentication is missing and `insecure` is not set. */
export async function buildServer(deps: ServerDeps): Promise<SmsqServer> {
  const missing = missingAuth(deps);
  if (missing.length > 0 && !deps.insecure) throw new ConfigError(missing);
  // Fastify's own request lines (and anything that logs a request) print the URL through this
  // serializer: a report token in the push path never reaches a log line.
  const log = deps.logger.child(
    { component: 'server' },
    { serializers: { req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, url: redactUrl(req.url ?? ''), id: req.id }) } },
  );
  for (const line of missing) log.warn(`INSECURE (--insecure): ${line.split(': Fix')[0] ?? line}`);

  const clock = deps.clock ?? systemClock;
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const csvBodyLimit = deps.csvBodyLimit ?? 64 * 1024 * 1024;
  const queueNames = deps.queueNames?.length ? deps.queueNames : SERVER_QUEUES;
  const queues = queueNames.map((name) => openQueue(name, { connection: deps.redis, prefix: deps.prefix }));

  const errorLog = createEmitterErrorLog({ logger: log, clock });
  // Shared by /v1 and the push routes: a refusal of Redis's is one line a minute per kind, whichever route met it.
  const refusals = createRefusalLog({ clock });
  for (const q of queues) q.on('error', errorLog(`${q.name} queue`));

  const limits = { bodyLimit, csvBodyLimit };
  const app = fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What fastify and Node would answer in their own shapes: a path the router cannot take,
    // a request that is not HTTP, headers too large, a request too slow to arrive.
    frameworkErrors: (err, request, reply) => sendError(reply, frameworkErrorOf(err, request, limits)),
    clientErrorHandler: createClientErrorHandler(log as FastifyBaseLogger),
    // Answered by the onRequest hook below instead, in the one error shape.
    return503OnClosing: false,
  });
  handleExpect(app.server, log as FastifyBaseLogger);
  let stopping = false;
  app.addHook('preClose', (done) => {
    stopping = true;
    done();
  });
  app.addHook('onRequest', async (request, reply) => {
    if (stopping) return sendError(reply, stoppingError(request));
  });
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((q) => q.close()));
  });
  app.setErrorHandler(createErrorHandler(limits, clock, refusals));
  // Every route that reads JSON without a parser of its own (the send controls, the campaigns
  // page's buttons, Bull Board's API) reads it as /v1's enqueues do: fastify's parser took a body
  // 524,000 lists deep, and Bull Board's add-job overflowed the stack on it; a charset other than
  // UTF-8 was read as UTF-8, and a text/plain body was taken as one.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, utf8JsonParser(app));
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, emptyTextParser);
  app.setSerializerCompiler(createReplySerializer({ checkResponses: deps.checkResponses ?? runningUnderVitest() }));
  const openApi = createOpenApiCollector();
  app.addHook('onRoute', openApi.onRoute);
  // Bull Board's routes are its own: the document describes the dashboard by its entry page.
  openApi.external(DASHBOARD_PATH, { method: 'GET', schema: DASHBOARD_SCHEMA });
  // Behind the dashboard's login the operator logged in is told 405 as /v1's caller is; a stranger 404.
  const login = { basic: deps.dashboard?.basicAuth, token: deps.dashboard?.token };
  const open = login.basic === undefined && login.token === undefined; // --insecure: no login to hide routes behind
  const routeMethods = createRouteMethods({
    login: { under: [DASHBOARD_PATH, CAMPAIGNS_PATH], authorized: (request) => open || isAuthorized(request.headers.authorization, login) },
  });
  app.addHook('onRoute', routeMethods.onRoute);
  app.setNotFoundHandler(routeMethods.notFound);
  app.addHook('onResponse', async (request, reply) => {
    const fields = { method: request.method, path: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if ((QUIET.test(request.url) || (request.method === 'GET' && QUIET_READ.test(request.url))) && reply.statusCode < 500) request.log.debug(fields, 'request');
    else request.log.info(fields, 'request');
  });

  const redactedRedisUrl = deps.redactedRedisUrl ?? describeRedis(deps.redis);
  await app.register(healthPlugin, { redis: deps.redis, keyPrefix: deps.prefix, workQueue: queues[0] as Queue });
  await app.register(metricsPlugin, { redis: deps.redis, keyPrefix: deps.prefix, queues, clock, settings: deps.settings, redactedRedisUrl });
  await app.register(openApiPlugin, { collector: openApi });
  await app.register(ingestionPlugin, { prefix: '/v1', producer: deps.producer, apiToken: deps.apiToken, csvBodyLimit, notFound: routeMethods.notFound, stopping: deps.stopping });
  await app.register(controlsPlugin, { prefix: '/v1', producer: deps.producer, apiToken: deps.apiToken });
  if (deps.reports) await app.register(reportsPlugin, { prefix: '/v1/reports', ...deps.reports, notFound: routeMethods.notFound, refusals });
  await app.register(dashboardPlugin, {
    queues,
    redis: deps.redis,
    basicAuth: deps.dashboard?.basicAuth,
    token: deps.dashboard?.token,
    readOnly: deps.dashboard?.readOnly ?? true,
    allowedAt: routeMethods.allowedAt,
    basePath: DASHBOARD_PATH,
    campaignsPath: CAMPAIGNS_PATH,
  });
  await app.register(campaignsPagePlugin, {
    prefix: CAMPAIGNS_PATH,
    producer: deps.producer,
    tracker: createCampaignTracker({ redis: deps.redis, keys: createKeys(deps.prefix), clock, retentionSeconds: deps.retentionSeconds ?? 30 * 86_400 }),
    clock,
    basicAuth: deps.dashboard?.basicAuth,
    token: deps.dashboard?.token,
    readOnly: deps.dashboard?.readOnly ?? true,
    boardPath: DASHBOARD_PATH,
  });
  return app;
}
