/**
 * Alibaba's pushed receipts: SmsReport (delivery reports) and SmsUp (replies). Alibaba signs
 * nothing, so the endpoints require the report token, in the `x-smsq-report-token` header
 * (`/v1/reports/sms-report`, preferred) or in the URL path (`/v1/reports/<token>/sms-report`, for a
 * push URL that can carry nothing else; every log line and error shows that path redacted, see
 * redact-url.ts). The token is compared in constant time (digests of equal length). Bodies are JSON arrays; a malformed one
 * is answered 400 and changes nothing. Success is answered `{"code":0,"msg":"接收成功"}`: anything
 * else makes Alibaba push the same reports again after 1, 5 and 10 minutes.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SmsReport, SmsUp } from '../../src/receipts/pushed-reports.js';
import type { ReportIngest } from '../../src/receipts/report-ingest.js';
import { safeEqual } from '../auth.js';
import { explainedJsonParser } from '../json-body.js';
import { redactUrl } from '../redact-url.js';
import { HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';
import { NotDurableError, RedisNotDurableError, redisDoesNotAnswer, redisFix, RedisUnavailableError, RedisWritesRefusedError } from '../../src/errors.js';
import { PushAcceptedSchema } from '../response-schemas.js';
import { answer, COMMON_FAILURES, failure, type RequestSchemas } from '../route-schema.js';
import type { RouteMethods } from '../route-methods.js';
import type { ZodReplies } from '../zod-replies.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { createRefusalLog, type RefusalLog } from '../refusal-log.js';

export interface ReportsOptions {
  ingest: ReportIngest;
  /** SMSQ_REPORT_TOKEN; the plugin is not registered without one. */
  token: string;
  /**
   * The server's not-found handler (405 naming POST for a GET of a push URL), behind the report
   * token: without its own, /v1's answered, behind /v1's API token, and told the person setting up
   * the push URL to send SMSQ_API_TOKEN, which these routes do not take.
   */
  notFound?: RouteMethods['notFound'];
  /** The server's lines about Redis refusing requests, said once a minute per kind. Default: the plugin's own. */
  refusals?: RefusalLog;
}

/** The answer Alibaba expects for a push it should not repeat. */
export const PUSH_ACCEPTED = Object.freeze({ code: 0, msg: '接收成功' } as const) satisfies z.input<typeof PushAcceptedSchema>;

/** The pushed bodies as documented: what src/receipts/pushed-reports.ts parses them with. */
const SmsReportBody = z.array(SmsReport).max(10_000).meta({
  id: 'SmsReports',
  examples: [
    [
      {
        phone_number: '13800138000',
        send_time: '2026-11-24 10:00:00',
        report_time: '2026-11-24 10:00:03',
        success: true,
        err_code: 'DELIVERED',
        err_msg: '用户接收成功',
        sms_size: '1',
        biz_id: '900000000001^0',
        out_id: 'smwv5m7pf01956b6f2f7c.0.1-3f9a0c2b71',
      },
    ],
  ],
});
const SmsUpBody = z.array(SmsUp).max(10_000).meta({
  id: 'SmsUps',
  examples: [[{ phone_number: '13800138000', content: '退订', send_time: '2026-11-24 10:00:00', dest_code: '1', sequence_id: 7, sign_name: 'smsq沙箱' }]],
});

const TokenParams = z.strictObject({ token: z.string().meta({ description: 'SMSQ_REPORT_TOKEN, where the push URL can carry nothing else (logged as [REDACTED])' }) });

const PUSH_ANSWERS = {
  200: answer('Applied; Alibaba will not push it again', PushAcceptedSchema),
  400: failure('A malformed body (SMSQ_INVALID_REQUEST); nothing was applied'),
  401: failure('A missing or wrong report token (SMSQ_UNAUTHORIZED)'),
  413: failure('The body is over SMSQ_SERVER_BODY_LIMIT (SMSQ_BODY_TOO_LARGE)'),
  415: failure('A Content-Type other than application/json or text/plain (SMSQ_UNSUPPORTED_MEDIA_TYPE)'),
  ...COMMON_FAILURES,
} as const;

const PUSH_DESCRIPTION =
  'Only a recipient of the chunk and attempt named by out_id, with its BizId, is moved; anything else is set aside and counted. Applying a push is idempotent, and a final state never goes back. Alibaba posts JSON, some accounts as text/plain: both are parsed.';

/** The paths of the report routes (each taken by POST only): `/v1/reports/sms-report`, `/v1/reports/<token>/sms-up`, .... */
const REPORT_PATH = /^\/v1\/reports\/(?:[^/?]+\/)?sms-(?:report|up)$/;
const isReportPath = (url: string) => REPORT_PATH.test(url.split('?')[0] ?? '');
const REPORT_ROUTES_FIX =
  'Fix: push to POST /v1/reports/sms-report or /v1/reports/sms-up, the report token in the x-smsq-report-token header, or (where only a URL can be set) to /v1/reports/<token>/sms-report or /v1/reports/<token>/sms-up';

export async function reportsPlugin(parent: FastifyInstance, options: ReportsOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  app.removeAllContentTypeParsers();
  // Alibaba posts JSON (some accounts send it as text/plain); parse both, strictly. Whatever charset
  // its label names (a Java client's text/plain says ISO-8859-1): a sender nobody can correct must
  // not have its receipts refused for a label, and RFC 8259 gives a JSON charset no effect. A key
  // given twice is not refused here as /v1 refuses it (JSON keeps the last): refusing the push would
  // refuse every report in it, which Alibaba drops after three refused pushes, and a report still
  // moves only the recipient of the chunk, attempt and BizId it names (docs/http-api.md).
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, explainedJsonParser(app));

  const authorized = (request: FastifyRequest): boolean => {
    // A route's `:token`, or (no route took the request) the first segment of a path that ends like a push URL.
    const params = request.params as { token?: string; '*'?: string };
    const fromPath = params.token ?? /^([^/]+)\/sms-(?:report|up)$/.exec(params['*'] ?? '')?.[1];
    const fromHeader = request.headers['x-smsq-report-token'];
    const given = fromPath ?? (typeof fromHeader === 'string' ? fromHeader : undefined);
    return given !== undefined && safeEqual(given, options.token);
  };
  // The fix names the route called (an SmsUp push with a wrong token was told the sms-report URLs).
  const refuse = (request: FastifyRequest, reply: FastifyReply) => {
    const route = (request.url.split('?')[0] ?? '').endsWith('/sms-up') ? 'sms-up' : 'sms-report';
    return sendError(
      reply,
      new HttpError(401, HTTP_ERROR_CODES[401], `the report token is missing or wrong. Fix: send SMSQ_REPORT_TOKEN in the x-smsq-report-token header to /v1/reports/${route} (or, where only a URL can be set, in the path: /v1/reports/<token>/${route})`),
    );
  };

  // Before the body is read: a stranger is told 401 whatever it sends, not what its body lacks
  // (it was 400 for malformed JSON and 415 for another type), and its body is not parsed. A path
  // that is no report route is answered 404 without the token being read (below).
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404 && !isReportPath(request.url)) return;
    if (!authorized(request)) return refuse(request, reply);
  });
  // A path no report route has, under any method, is 404 naming the routes whatever token it
  // carries: told 401 "the report token is missing or wrong", a push to a misspelt route with the
  // right token was sent to check a token that was right. The token is not compared there, so the
  // 404 says nothing of it: a wrong token learns no more than on any unknown path, and the token
  // can be tried only where it always could, on the routes themselves (docs/http-api.md).
  app.setNotFoundHandler((request, reply) => {
    if (isReportPath(request.url) && options.notFound) return options.notFound(request, reply);
    return sendError(reply, new HttpError(404, HTTP_ERROR_CODES[404], `no route ${request.method} ${redactUrl(request.url)}. ${REPORT_ROUTES_FIX}`));
  });
  const refusals = options.refusals ?? createRefusalLog();
  const handle = (apply: (body: unknown) => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await apply(request.body).catch((err: unknown) => {
      throw pushRefusal(err, request.log, refusals); // ValidationError → 400 by the error handler
    });
    request.log.info({ result }, 'pushed receipts applied');
    return reply.code(200).send(PUSH_ACCEPTED);
  };
  const reports = handle((b) => options.ingest.applyReports(b));
  const replies = handle((b) => options.ingest.applyReplies(b));
  const schemaOf = (summary: string, body: z.ZodType, inPath: boolean) => {
    const request: RequestSchemas = { body: { 'application/json': { schema: body }, 'text/plain': { schema: body } } };
    return {
      summary: inPath ? `${summary}, the report token in the path` : summary,
      description: PUSH_DESCRIPTION,
      ...(inPath ? {} : { security: ['reportToken'] as const }),
      request: inPath ? { ...request, params: TokenParams } : request,
      response: PUSH_ANSWERS,
    };
  };
  const DELIVERY = 'Pushed delivery reports (SmsReport)';
  const UP = 'Pushed replies (SmsUp); TD / T / 退订 opt a number out of marketing';
  app.post('/:token/sms-report', { schema: schemaOf(DELIVERY, SmsReportBody, true) }, reports);
  app.post('/:token/sms-up', { schema: schemaOf(UP, SmsUpBody, true) }, replies);
  app.post('/sms-report', { schema: schemaOf(DELIVERY, SmsReportBody, false) }, reports);
  app.post('/sms-up', { schema: schemaOf(UP, SmsUpBody, false) }, replies);
}

/** What Alibaba does with a push that is not answered OK, and why that loses nothing. */
const PUSHED_AGAIN = 'Alibaba pushes it again (after 1, 5 and 10 minutes), and a push applied twice changes nothing';

/**
 * A push that Redis could not take, or not durably, said as what it is: not an enqueue ("nothing
 * was enqueued" said nothing to it), and what it left. `refusals` says Redis not answering once a
 * minute, not once a push.
 */
export function pushRefusal(err: unknown, log: FastifyBaseLogger, refusals: RefusalLog = createRefusalLog()): unknown {
  // From the ingest's Redis gate, as the producer's calls fail. The answer goes to Alibaba, so
  // REDIS_URL and why (an address, a timeout) are said to the operator in the log, here: for /v1
  // the error handler leaves that to the server's Redis watch, and its answers name neither.
  if (err instanceof RedisUnavailableError) {
    const applied = err.midCall ? 'the push may be applied in part' : 'the push was not applied';
    refusals.warn(log, { code: err.code, redisUrl: err.redactedUrl, reason: err.reason }, `${redisDoesNotAnswer(err.redactedUrl, err.reason)}; ${applied}: ${PUSHED_AGAIN}. ${redisFix(err.reason)}`);
    return new HttpError(503, err.code, `Redis does not answer; ${applied}. ${PUSHED_AGAIN}`, undefined, { 'retry-after': '5' });
  }
  if (err instanceof RedisWritesRefusedError) {
    // A script refused at the first write applied nothing, one refused later (OOM reached, a
    // failover mid-push) left the reports before it applied: the push cannot tell which.
    const push = err.saying(`the push was not applied, or only in part: ${PUSHED_AGAIN}`);
    refusals.warn(log, { code: err.code, redisUrl: err.redactedUrl, refusal: err.refusal.kind }, push.message);
    return new HttpError(503, err.code, push.apiMessage, undefined, { 'retry-after': '5' });
  }
  if (err instanceof NotDurableError) {
    // Its fix is the operator's (the replicas, or a retry under the same idempotency key, which
    // means nothing to Alibaba): in the log; the answer says what Alibaba's retry does.
    log.warn({ code: err.code }, `${inEnvironmentTerms(err.message)}; ${PUSHED_AGAIN}`);
    return new HttpError(503, err.code, `${err.what} could not be made durable: ${inEnvironmentTerms(err.detail)}. The push was applied, and is refused until Redis keeps it durably: ${PUSHED_AGAIN}`);
  }
  if (err instanceof RedisNotDurableError) {
    // What Redis lacks and its fixes (replicas, SMSQ_DURABILITY_REPLICAS, SMSQ_DURABILITY=none) are
    // the operator's, in the log once a minute per mode as a Redis outage is; Alibaba, which the
    // answer goes to, can only push again.
    refusals.warn(log, { code: err.code, refusal: err.mode }, `${inEnvironmentTerms(err.message)}; the push was applied: ${PUSHED_AGAIN}`);
    return new HttpError(503, err.code, `Redis does not keep the durability this server is set to keep; the push was applied, and is refused until Redis keeps it durably: ${PUSHED_AGAIN}`);
  }
  return err;
}
