/**
 * Bull Board at `/admin/queues`, showing every smsq queue. Protected by basic auth (people) and/or
 * a bearer token (scripts, proxies); read-only unless configured otherwise, because removing or
 * emptying jobs from the dashboard can strand recipients that a producer was told were queued.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AppControllerRoute, ControllerHandlerReturnType } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { httpStatusOf, RedisAuthRefusedError, redisDoesNotAnswerClients, RedisUnavailableError, RedisWritesRefusedError, ValidationError, waitOrTellFix, type FieldIssue } from '../../src/errors.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { createAuthHook, DASHBOARD_CREDENTIALS } from '../auth.js';
import { errorBody, HTTP_ERROR_CODES } from '../errors.js';
import { HtmlPage } from '../response-schemas.js';
import { answer, failure, INTERNAL } from '../route-schema.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const DASHBOARD_PATH = '/admin/queues';

export interface DashboardOptions {
  queues: readonly Queue[];
  /** The queues' connection: its command timeout is named when Redis does not answer in time. */
  redis: RedisConnection;
  /** Basic-auth login for people. */
  basicAuth?: { user: string; password: string };
  /** Bearer token for scripts and proxies. */
  token?: string;
  /** Bull Board's read-only mode. */
  readOnly: boolean;
  /** The methods the server's routes take at a URL (server/route-methods.ts): a read-only board's 405 names the reads among them in `Allow`. */
  allowedAt?: (url: string) => string[];
  /** Where the board is mounted. Default `/admin/queues`. */
  basePath?: string;
  /** The campaigns page, linked from the board's header menu. */
  campaignsPath?: string;
}

/** What each smsq queue is for, shown under its name. */
const DESCRIPTIONS: Record<string, string> = {
  calls: 'One job is one Dysmsapi call (sends, reconcile and receipt look-ups), under the account-wide rate limit',
  housekeeping: 'Work without Dysmsapi calls (receipt-window expiry, callbacks)',
};

/** The dashboard's entry in the OpenAPI document; the board's own JSON API is Bull Board's, not described there. */
export const DASHBOARD_SCHEMA = {
  summary: 'Bull Board dashboard of every smsq queue (its JSON API is under /admin/queues/api/)',
  description: 'Read-only by default (SMSQ_DASHBOARD_READ_ONLY): every write through the board\'s API is refused with 405 SMSQ_METHOD_NOT_ALLOWED.',
  security: ['dashboardAuth', 'dashboardToken'] as const,
  response: { 200: answer('The dashboard', HtmlPage, 'text/html'), 401: failure('Login required (SMSQ_UNAUTHORIZED)'), 500: INTERNAL },
};

/** The board's answer to a request Redis failed, or undefined when something else failed it. */
type RedisDownAnswer = (method: string, err: unknown) => ControllerHandlerReturnType | undefined;

/**
 * Bull Board's Fastify adapter, its API's Redis failures answered as `/v1` answers them. Bull Board
 * answers any error with 500 and the error's own message: during an outage ioredis's "Stream isn't
 * writeable and enableOfflineQueue options is false" or "Command timed out", which neither name
 * Redis nor say that a write may still be carried out.
 */
class OutageAwareAdapter extends FastifyAdapter {
  constructor(private readonly redisDown: RedisDownAnswer) {
    super();
  }

  /**
   * smsq's own refusals in the board's scope (the body parser's, read before any board handler):
   * Bull Board's handler answered them 500 `ERRORS.INTERNAL_SERVER_ERROR`, having no status of
   * theirs.
   */
  override setErrorHandler(handler: (error: Error) => ControllerHandlerReturnType): this {
    return super.setErrorHandler((error) => {
      if (!(error instanceof ValidationError)) return handler(error);
      return boardError(httpStatusOf(error.code), error.code, 'the request is invalid; nothing was changed', error.issues);
    });
  }

  override setApiRoutes(routes: AppControllerRoute[]): FastifyAdapter {
    return super.setApiRoutes(
      routes.map((route) => {
        const method = String(Array.isArray(route.method) ? route.method[0] : route.method).toUpperCase();
        return {
          ...route,
          handler: async (request) => {
            try {
              return await route.handler(request);
            } catch (err) {
              const answer = this.redisDown(method, err);
              if (answer) return answer;
              throw err;
            }
          },
        };
      }),
    );
  }
}

function redisDownAnswer(redis: RedisConnection): RedisDownAnswer {
  // Says why in the words /v1 uses: the connection's own failure, the command timeout in ms; not
  // where Redis is, which the Redis watch logs for the operator.
  const gate = createRedisGate({ redis });
  return (method, err) => {
    const down = gate.translate(err);
    // Redis refusing writes, or smsq's credentials (a password changed under a running server): a
    // condition of Redis or of the configuration, said as /v1 says it, not ioredis's words.
    if (down instanceof RedisWritesRefusedError) return boardError(httpStatusOf(down.code), down.code, READ_METHODS.has(method) ? down.asRead().apiMessage : down.saying('this change to the queue was not made').apiMessage);
    if (down instanceof RedisAuthRefusedError) return boardError(httpStatusOf(down.code), down.code, down.apiMessage);
    if (!(down instanceof RedisUnavailableError)) return undefined;
    // A command that timed out still runs once Redis gets to it: a clean or an empty of a large
    // queue is one script that runs on after the answer was given up, and a write of several
    // steps may have made some. Only a read is sure to have changed nothing.
    const message = READ_METHODS.has(method)
      ? down.asRead().apiMessage
      : `${redisDoesNotAnswerClients(down.reason)}; this change to the queue may have been made anyway, or partly (Redis carries out a clean or an empty it has started, however long it takes, after this answer gave up on it): reload the board to see the queues as they are before doing it again. ${waitOrTellFix(undefined, down.reason)}`;
    return boardError(503, down.code, message);
  };
}

/**
 * An answer of smsq's in the board's API, in the one error shape plus what the board's page reads
 * of an error (its client shows `error.key` as a toast's title, through its translations, which
 * leave an unknown key as it is, and the top-level `message` as its text): `key` is the code, and
 * `message` is said twice. Without them the toast was empty.
 */
function boardError(status: number, code: string, message: string, issues?: FieldIssue[]): ControllerHandlerReturnType {
  const { error } = errorBody(code, message, issues);
  // Bull Board's types list the statuses its own handlers answer; the adapter sends any.
  return { status: status as ControllerHandlerReturnType['status'], body: { error: { ...error, key: code }, message } };
}

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const basePath = options.basePath ?? DASHBOARD_PATH;
  if (options.basicAuth || options.token !== undefined) {
    app.addHook('onRequest', createAuthHook({ basic: options.basicAuth, token: options.token, realm: 'smsq dashboard', settings: DASHBOARD_CREDENTIALS }));
  }
  if (options.readOnly) {
    // Bull Board refuses per-queue actions in read-only mode, but its queue-wide pause and resume
    // answer 200 having done nothing (they skip read-only queues). Refuse every write here, in
    // the API's error shape, after authentication: a read-only board changes nothing. The board's
    // page is what meets it (a click on pause or clean), so it carries what its toast reads.
    // The fix is the setting, whatever the write (a clean, a retry, a pause); `smsq resume`, which
    // every write was told, lifts an account block (a paused queue) and cleans or retries nothing,
    // so only a resume is told it too.
    const api = `${basePath}/api/`;
    const readOnly = 'the dashboard is read-only (SMSQ_DASHBOARD_READ_ONLY, on by default): it cleans, retries, promotes, pauses or removes nothing';
    const writable = 'for a board that changes queues and jobs, start `smsq server` with SMSQ_DASHBOARD_READ_ONLY=false (removing or emptying jobs there can strand recipients a producer was told were queued)';
    const refused = boardError(405, HTTP_ERROR_CODES[405], `${readOnly}. Fix: ${writable}`);
    const resumeRefused = boardError(405, HTTP_ERROR_CODES[405], `${readOnly}. Fix: a queue paused by an account block resumes with \`smsq resume\` once the account is fixed; ${writable}`);
    app.addHook('onRequest', async (request, reply) => {
      if (READ_METHODS.has(request.method) || !request.url.startsWith(api)) return;
      // The reads the path takes, if any: an empty Allow is a resource disabled by configuration (RFC 9110).
      const allow = (options.allowedAt?.(request.url) ?? []).filter((m) => READ_METHODS.has(m));
      const answer = /\/resume$/.test(request.url.split('?')[0] ?? '') ? resumeRefused : refused;
      return reply.code(405).header('allow', allow.join(', ')).type('application/json; charset=utf-8').send(answer.body);
    });
  }
  // As /v1's 503s: Redis outages are usually short.
  app.addHook('onSend', async (_request, reply) => {
    if (reply.statusCode === 503) void reply.header('retry-after', '5');
  });
  const serverAdapter = new OutageAwareAdapter(redisDownAnswer(options.redis));
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: options.queues.map(
      (q) => new BullMQAdapter(q, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly, description: DESCRIPTIONS[q.name] ?? '' }),
    ),
    serverAdapter,
    // miscLinks: Bull Board's header menu (its own UI option), here the way to the campaigns page.
    options: {
      uiConfig: {
        boardTitle: 'smsq',
        hideDocsLink: true,
        ...(options.campaignsPath ? { miscLinks: [{ text: 'Campaigns (smsq sends)', url: options.campaignsPath }] } : {}),
      },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: basePath });
}
