/**
 * The one error shape of the HTTP API, and the mapping from every failure to it:
 *
 *   { "error": { "code": "SMSQ_INVALID_REQUEST", "message": "...", "issues": [{ "field", "message" }] } }
 *
 * `code` is stable (scripts match on it), `message` is for people, `issues` appears when
 * individual fields are at fault. A 500 never carries internals: the log has them, under the
 * request id that the answer names.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { rewordSmsError, SmsError } from '../src/sms/errors.js';
import { endpointFaultLine, toldInOneLine } from '../src/sms/error-codes.js';
import { inEnvironmentTerms } from '../src/setting-mention.js';
import { EXIT, httpStatusOf, SMSQ_CODES, IdempotencyInProgressError, IdempotencyKeyReusedError, NotFoundError, RedisAuthRefusedError, redisDoesNotAnswerClients, RedisUnavailableError, RedisWritesRefusedError, ValidationError, waitOrTellFix, type FieldIssue, type SmsqCode } from '../src/errors.js';
import { maskPhonesInText } from '../src/sms/phone-mask.js';
import { NOT_ALIBABAS_PUSH } from '../src/receipts/pushed-reports.js';
import { authRefusal, authRefusedError, connectionReason, isRedisConnectionError, writeRefusal } from '../src/queue/redis-errors.js';
import { quoteForError } from '../src/sms/phone-list.js';
import { systemClock, type Clock } from '../src/clock.js';
import { withDatedDeadlineExample } from '../producers/schemas.js';
import { ResponseContractError } from './response-contract-error.js';
import { createRefusalLog, type RefusalLog } from './refusal-log.js';
import { redactUrl } from './redact-url.js';
import { rawUrlIssues } from './raw-url.js';
import { XLSX_TYPE } from './upload-settings.js';

/** The code each HTTP status answers with when nothing more specific applies (statuses: src/errors.ts). */
export const HTTP_ERROR_CODES = Object.freeze({
  400: 'SMSQ_INVALID_REQUEST',
  401: 'SMSQ_UNAUTHORIZED',
  404: 'SMSQ_NOT_FOUND',
  405: 'SMSQ_METHOD_NOT_ALLOWED',
  408: 'SMSQ_REQUEST_TIMEOUT',
  413: 'SMSQ_BODY_TOO_LARGE',
  415: 'SMSQ_UNSUPPORTED_MEDIA_TYPE',
  431: 'SMSQ_HEADERS_TOO_LARGE',
  500: 'SMSQ_INTERNAL',
  503: 'SMSQ_NOT_READY',
} satisfies Record<number, SmsqCode>);

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[keyof typeof HTTP_ERROR_CODES];

export interface ErrorBody {
  error: { code: string; message: string; issues?: FieldIssue[] };
}

/** An error that already knows its HTTP status and code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(code: string, message: string, issues?: FieldIssue[]): ErrorBody {
  return { error: { code, message, ...(issues && issues.length ? { issues } : {}) } };
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  if (err.headers) void reply.headers(err.headers);
  return reply.code(err.statusCode).type('application/json; charset=utf-8').send(errorBody(err.code, err.message, err.issues));
}

const MiB = 1024 * 1024;
const size = (bytes: number) => (bytes >= MiB && bytes % MiB === 0 ? `${bytes / MiB} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);

/** What a refused enqueue left: no send. */
export const NOTHING_ENQUEUED = 'nothing was enqueued';

/** The routes a refusal leaves without an enqueue (the rest enqueue nothing either way). */
const ENQUEUE_ROUTE = /^\/v1\/(messages|batches|campaigns)\/?(\?|$)/;
const PUSH_ROUTE = /^\/v1\/reports\//;
/** What a refused push left as it was: its reports. */
const NOTHING_APPLIED = 'nothing was applied';

/**
 * What a refused request left as it was, in the terms of what it asked: an enqueue's "nothing was
 * enqueued", a pushed report's "nothing was applied", and for a read or a control "nothing was
 * changed" ("nothing was enqueued" said nothing to them).
 */
export function untouchedBy(method: string | undefined, url: string): string {
  if (PUSH_ROUTE.test(url)) return NOTHING_APPLIED;
  if (method === 'POST' && ENQUEUE_ROUTE.test(url)) return NOTHING_ENQUEUED;
  return 'nothing was changed';
}

/**
 * What an error says to an HTTP client: its `apiMessage` where it has one (SendNotFoundError,
 * RedisUnavailableError, RedisDatabaseRefusedError), the message without where Redis is, whose
 * host, port and user an API client cannot act on; the operator's message (the CLI's, the log's)
 * names them.
 */
function clientMessageOf(err: Error): string {
  const api = (err as { apiMessage?: unknown }).apiMessage;
  return typeof api === 'string' ? api : err.message;
}

/** Redis outages are usually short: a client may try again after a few seconds. */
const RETRY_LATER = Object.freeze({ 'retry-after': '5' });

/**
 * Turns anything thrown while handling a request into an {@link HttpError}; `untouched` says what a
 * refusal left as it was ({@link untouchedBy}).
 */
export function toHttpError(err: unknown, limits: { bodyLimit: number; csvBodyLimit: number }, requestId: string, untouched = NOTHING_ENQUEUED): HttpError {
  if (err instanceof HttpError) return err;
  // Only raised when answers are checked (tests): what drifted is what the test needs to see.
  if (err instanceof ResponseContractError) return new HttpError(500, HTTP_ERROR_CODES[500], `${err.message} (request id ${requestId})`);
  // The server is configured by the environment: a deployment's setting an issue names is its variable.
  if (err instanceof ValidationError) return new HttpError(httpStatusOf(err.code), err.code, `the request is invalid; ${untouched}`, err.issues.map((i) => ({ ...i, message: inEnvironmentTerms(i.message) })));
  if (err instanceof NotFoundError) return new HttpError(httpStatusOf(err.code), err.code, clientMessageOf(err));
  if (err instanceof RedisUnavailableError) return new HttpError(httpStatusOf(err.code), err.code, err.apiMessage, undefined, RETRY_LATER);
  // Redis refusing writes met outside a producer's call: said as the producer says it, without where Redis is.
  const refusal = writeRefusal(err);
  if (refusal) return new HttpError(httpStatusOf('SMSQ_REDIS_WRITES_REFUSED'), 'SMSQ_REDIS_WRITES_REFUSED', new RedisWritesRefusedError('', refusal, untouched).apiMessage, undefined, RETRY_LATER);
  // Redis refusing smsq's credentials (or a command to its user) met outside a gate: the code the
  // CLI says, not SMSQ_INTERNAL; a retry will not help, so no Retry-After.
  const auth = authRefusedError(err, '');
  if (auth) return new HttpError(httpStatusOf(auth.code), auth.code, auth.apiMessage);
  // The Idempotency-Key header draft: another body under a used key is 422, a twin in flight 409.
  if (err instanceof IdempotencyKeyReusedError) return new HttpError(422, err.code, err.message, [{ field: 'Idempotency-Key', message: err.keyIssue }]);
  if (err instanceof IdempotencyInProgressError) return new HttpError(409, err.code, err.message, undefined, { 'retry-after': String(err.retryAfterMs === undefined ? 2 : Math.max(1, Math.ceil(err.retryAfterMs / 1000))) });
  // The door's account check could not run for the whole account (AccessKey, permission, service),
  // or could not reach Dysmsapi at all (SMS_ENDPOINT), or had no credential to call with: in the
  // CLI's words, which name the endpoint or the credential sources tried (Dysmsapi refused nothing).
  if (err instanceof SmsError) {
    // Worded for the producer's Node caller (`endpoint`): this server, configured by the environment, says SMS_ENDPOINT.
    const said = rewordSmsError(err, inEnvironmentTerms);
    if (toldInOneLine(said, false)) return new HttpError(503, HTTP_ERROR_CODES[503], endpointFaultLine(said, untouched), undefined, RETRY_LATER);
    return new HttpError(503, HTTP_ERROR_CODES[503], `Dysmsapi refused the signature/template check (${said.code}): ${said.meaning}; ${untouched}. Fix: ${said.action}`, undefined, RETRY_LATER);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in SMSQ_CODES && SMSQ_CODES[code as SmsqCode].exitCode !== EXIT.internal && err instanceof Error) {
    // Any other smsq error that the one list gives a status: its own message is meant for callers,
    // a call or a setting it names said as this server, configured by the environment, says them
    // (a Node caller's `producer.recipientPage("smx…")` is `smsq status smx… --recipients` here).
    return new HttpError(httpStatusOf(code as SmsqCode), code, inEnvironmentTerms(clientMessageOf(err)), undefined, SMSQ_CODES[code as SmsqCode].exitCode === EXIT.dependency ? RETRY_LATER : undefined);
  }
  if (isRedisConnectionError(err)) {
    const reason = connectionReason(err);
    return new HttpError(httpStatusOf('SMSQ_REDIS_UNAVAILABLE'), 'SMSQ_REDIS_UNAVAILABLE', `${redisDoesNotAnswerClients(reason)}; ${untouched}. ${waitOrTellFix(undefined, reason)}`, undefined, RETRY_LATER);
  }
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        HTTP_ERROR_CODES[413],
        `the request body is too large: JSON bodies may be up to ${size(limits.bodyLimit)} (SMSQ_SERVER_BODY_LIMIT), CSV uploads up to ${size(limits.csvBodyLimit)} (SMSQ_SERVER_CSV_LIMIT); ${untouched}. Fix: split the request, or send large recipient lists as a CSV campaign`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(undefined, untouched);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, HTTP_ERROR_CODES[400], `the request is invalid; ${untouched}`, [
        // A push is an array, and without a Content-Type it is refused (415): neither fix of a /v1 body is one for it.
        { field: '(body)', message: untouched === NOTHING_APPLIED ? 'is empty. Fix: send the reports as a JSON array (Content-Type application/json or text/plain)' : 'is empty. Fix: send a JSON object, or drop the Content-Type header' },
      ]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, HTTP_ERROR_CODES[400], `the request is invalid; ${untouched}`, [
        { field: '(body)', message: `is not valid JSON (${maskPhonesInText(fe.message ?? 'parse error')})` },
      ]);
    default:
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Other client errors fastify detects (bad JSON, aborted bodies, ...): no internals in them.
    const code = (HTTP_ERROR_CODES as Record<number, string>)[fe.statusCode] ?? HTTP_ERROR_CODES[400];
    return new HttpError(fe.statusCode, code, fe instanceof SyntaxError ? `the body is not valid JSON: ${maskPhonesInText(fe.message)}` : (fe.message ?? 'bad request'));
  }
  return new HttpError(500, HTTP_ERROR_CODES[500], `internal error; the server log has the details under request id ${requestId}`);
}

/**
 * A body of a media type no route here takes: `type` as the request named it (none: its
 * Content-Type is not known here), what it left as it was, and the types the routes take.
 */
function unsupportedMediaType(type: string | undefined, untouched: string): HttpError {
  const got = type === undefined ? 'unsupported Content-Type' : type === '' ? 'a body without a Content-Type is not accepted' : `Content-Type ${quoteForError(type, { maxChars: 80 })} is not accepted`;
  // A push is told what a push takes: the campaign upload types were no fix for one.
  const fix =
    untouched === NOTHING_APPLIED
      ? "send the reports as a JSON array, as application/json or text/plain (what Alibaba's push sends); check that what posts here is Alibaba's push (its URL set in the console)"
      : `send application/json (POST /v1/campaigns also takes text/csv, and ${XLSX_TYPE} (an .xlsx workbook))`;
  return new HttpError(415, HTTP_ERROR_CODES[415], `${got}; ${untouched}. Fix: ${fix}`);
}

/**
 * A refusal of fastify's whose fix depends on the route or on what was sent: the general words
 * told a push over the limit to "send large recipient lists as a CSV campaign", and a `curl -F`
 * upload the accepted types without saying that a form is none of them.
 */
function refusalFor(err: unknown, request: FastifyRequest, limits: { bodyLimit: number }): HttpError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const untouched = untouchedBy(request.method, request.url);
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' && PUSH_ROUTE.test(request.url)) {
    return new HttpError(
      413,
      HTTP_ERROR_CODES[413],
      `the pushed body is over the ${size(limits.bodyLimit)} a push may be (SMSQ_SERVER_BODY_LIMIT); ${untouched}. Fix: ${NOT_ALIBABAS_PUSH}, or raise SMSQ_SERVER_BODY_LIMIT if its pushes really are this large`,
    );
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && type === 'multipart/form-data') {
    return new HttpError(
      415,
      HTTP_ERROR_CODES[415],
      `multipart/form-data (curl -F) is not accepted: a file is sent as the body itself; ${untouched}. Fix: curl --data-binary @x.csv -H 'Content-Type: text/csv' "<server>/v1/campaigns?signName=...&templateCode=..." (an .xlsx workbook: --data-binary @x.xlsx -H 'Content-Type: ${XLSX_TYPE}'), the settings in the query string; other requests take a JSON body (application/json)`,
    );
  }
  // The type it got: curl -d sends application/x-www-form-urlencoded unless told otherwise.
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType(type, untouched);
  return undefined;
}

/**
 * `err` as this server's log says it: an error worded for a Node caller (a producer's campaign cut
 * off by Redis refusing it part-way, RedisAuthRefusedError) names the calls and settings as the
 * environment this server was configured by names them, in its message, its stack and its lines,
 * as `smsq server`'s log always did (src/setting-mention.ts). Anything else is logged as it is.
 */
export function asLogged(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const message = inEnvironmentTerms(err.message);
  if (message === err.message) return err;
  // A copy of the same class, so the log names its type and fields as before; the error itself is the caller's.
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err);
  const lines = (err as { lines?: unknown }).lines;
  Object.defineProperties(copy, {
    message: { value: message, enumerable: false, writable: true, configurable: true },
    stack: { value: err.stack === undefined ? undefined : inEnvironmentTerms(err.stack), enumerable: false, writable: true, configurable: true },
    ...(err.cause === undefined ? {} : { cause: { value: err.cause, enumerable: false, writable: true, configurable: true } }),
    ...(Array.isArray(lines) ? { lines: { value: lines.map((line) => (typeof line === 'string' ? inEnvironmentTerms(line) : line) as unknown), enumerable: true, writable: true, configurable: true } } : {}),
  });
  return copy;
}

/**
 * Which refusal of Redis's `err` is, as an answer said it (`http`), and the operator's line for it
 * (REDIS_URL, what Redis said, the fix; no stack): writes refused, or the credentials or a command
 * refused. Undefined for anything else, and for a refusal part-way through a campaign: its line
 * names the send it left and how much of it was written, which no other line says.
 */
function redisRefusalLine(err: unknown, http: HttpError): { refusal: string; line: string } | undefined {
  if ((err instanceof RedisWritesRefusedError || err instanceof RedisAuthRefusedError) && err.campaign) return undefined;
  // The operator's message names REDIS_URL; a raw reply met outside a gate has only the answer's.
  const line = (typed: boolean) => (typed && err instanceof Error ? inEnvironmentTerms(err.message) : http.message);
  if (http.code === 'SMSQ_REDIS_WRITES_REFUSED') {
    const refusal = err instanceof RedisWritesRefusedError ? err.refusal.kind : writeRefusal(err)?.kind;
    return refusal === undefined ? undefined : { refusal, line: line(err instanceof RedisWritesRefusedError) };
  }
  if (http.code === 'SMSQ_REDIS_AUTH') {
    const refusal = err instanceof RedisAuthRefusedError ? err.reply : authRefusal(err);
    return refusal === undefined ? undefined : { refusal, line: line(err instanceof RedisAuthRefusedError) };
  }
  return undefined;
}

/**
 * A 5xx Dysmsapi gave the request (its endpoint unreachable, the account refused at the door's
 * look-up): every request meets it while it lasts, and it is no fault of smsq's to trace. Said as
 * the caller is told it (SMS_ENDPOINT and the fix), keyed by its code.
 */
function dysmsapiRefusalLine(err: unknown, http: HttpError): { refusal: string; line: string } | undefined {
  return err instanceof SmsError && http.statusCode >= 500 ? { refusal: err.code, line: http.message } : undefined;
}

/**
 * The root error handler: every error leaves in the one shape; 5xx are logged with their cause,
 * but for Redis or Dysmsapi refusing them, which every request meets while it lasts: said once a
 * minute per kind by `refusals` ({@link createRefusalLog}).
 */
export function createErrorHandler(limits: { bodyLimit: number; csvBodyLimit: number }, clock: Clock = systemClock, refusals: RefusalLog = createRefusalLog({ clock })) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    // A GET or HEAD only reads: "nothing was enqueued" says nothing to it. A deadline's refusal
    // (parsed by the route, before the producer) gets its example dated by the server's clock.
    const read = (err instanceof RedisUnavailableError || err instanceof RedisWritesRefusedError) && (request.method === 'GET' || request.method === 'HEAD') ? err.asRead() : withDatedDeadlineExample(err, clock.now());
    const http = refusalFor(read, request, limits) ?? toHttpError(read, limits, request.id, untouchedBy(request.method, request.url));
    const refused = redisRefusalLine(read, http) ?? dysmsapiRefusalLine(read, http);
    if (refused) refusals.warn(request.log, { code: http.code, refusal: refused.refusal, reqId: request.id, url: request.routeOptions.url }, refused.line);
    // A Redis outage is said once by the Redis watch, not once per request.
    else if (http.statusCode >= 500 && http.code !== 'SMSQ_REDIS_UNAVAILABLE') request.log.error({ err: asLogged(err), reqId: request.id, url: request.routeOptions.url }, 'request failed');
    return sendError(reply, http);
  };
}

/**
 * The router's longest path parameter: the longest report token SMSQ_REPORT_TOKEN takes (the push
 * URL's path form). fastify's default, 100, refused longer tokens before any route ran.
 */
export const MAX_PARAM_LENGTH = 128;

/**
 * What fastify answers before any route or hook runs (its `frameworkErrors` option): a path it
 * cannot route. Its own answers were `{"error":"Bad Request","code":"FST_ERR_..."}`, and 414 for a
 * long id, which is a bad id like any other.
 */
export function frameworkErrorOf(err: FastifyError, request: { method: string; url: string; id: string }, limits: { bodyLimit: number; csvBodyLimit: number }): HttpError {
  const path = redactUrl(request.url);
  const untouched = untouchedBy(request.method, request.url);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // Measured as sent: the redacted path measured a report token as `[REDACTED]`, 10 characters.
    const longest = Math.max(...(request.url.split('?')[0] ?? '').split('/').map((segment) => segment.length));
    const fix = PUSH_ROUTE.test(request.url)
      ? `check the report token in the push URL (/v1/reports/<SMSQ_REPORT_TOKEN>/sms-report); a report token is at most ${MAX_PARAM_LENGTH} characters`
      : 'check the id in the path; a send id is at most 64 characters';
    return toHttpError(
      new ValidationError([{ field: '(path)', message: `has a segment of ${longest} characters, longer than any id or token smsq gives (${MAX_PARAM_LENGTH}). Fix: ${fix}` }]),
      limits,
      request.id,
      untouched,
    );
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    return new HttpError(400, HTTP_ERROR_CODES[400], `the request is invalid; ${untouched}`, [
      { field: '(path)', message: `is not valid percent-encoding: ${quoteForError(path, { phones: true, maxChars: 80 })}. Fix: percent-encode the path as UTF-8 (a % itself is %25)` },
    ]);
  }
  return toHttpError(err, limits, request.id, untouched);
}

/**
 * What Node reports on a connection before fastify sees a request (its `clientError` event), as an
 * answer; `rawPacket`, the bytes Node's parser was given, names what a URL it refused holds.
 */
function clientErrorOf(err: { code?: string; rawPacket?: unknown }): HttpError {
  const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined;
  const [method = '', url = ''] = raw?.subarray(0, 2048).toString('latin1').split(/\r?\n/, 1)[0]?.split(' ') ?? [];
  const untouched = untouchedBy(method, url);
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new HttpError(408, HTTP_ERROR_CODES[408], `the request did not arrive in time: the server stopped waiting for the rest of it; ${untouched}. Fix: send the whole request again, at once`);
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new HttpError(
      431,
      HTTP_ERROR_CODES[431],
      `the request line and headers are over ${size(maxHeaderSize)} (the URL counts); ${untouched}. Fix: send long values in the body (JSON, or a CSV campaign), not in the URL or the headers`,
    );
  }
  // A value typed as it reads (curl "...?signName=smsq沙箱"): said as that, with the fix.
  const issues = err.code === 'HPE_INVALID_URL' ? rawUrlIssues(raw) : undefined;
  if (issues) return new HttpError(400, HTTP_ERROR_CODES[400], `the request is invalid; ${untouched}`, issues);
  return new HttpError(400, HTTP_ERROR_CODES[400], `the request is not HTTP/1.1 the server can read (${err.code ?? 'parse error'}); ${untouched}. Fix: send a well-formed HTTP/1.1 request (check the client, or a proxy in between)`);
}

/**
 * The server's `clientError` handler: fastify's default wrote its own body
 * (`{"error":"Bad Request","message":"Client Error"}`). The request was never parsed, so the answer
 * is written to the socket, and the connection closed: what follows on it cannot be trusted.
 */
export function createClientErrorHandler(log: FastifyBaseLogger) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const http = clientErrorOf(err);
    // The code only: Node's client error holds the raw socket (circular, and the request's bytes).
    log.debug({ code: (err as { code?: unknown }).code, status: http.statusCode }, 'client error');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(errorBody(http.code, http.message, http.issues));
    socket.end(
      `HTTP/1.1 ${http.statusCode} ${STATUS_CODES[http.statusCode] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}

/** What a request that arrives while the server stops is told (fastify's return503OnClosing answered in its own shape). */
export function stoppingError(request: { method: string; url: string }): HttpError {
  return new HttpError(
    503,
    HTTP_ERROR_CODES[503],
    `the server is stopping; ${untouchedBy(request.method, request.url)}. Fix: retry in a moment, on another instance or on this one once it has restarted`,
    undefined,
    { connection: 'close', 'retry-after': '5' },
  );
}
