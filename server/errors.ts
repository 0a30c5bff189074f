/**
 * The one error shape of the HTTP API, and the mapping from every failure to it:
 *
 *   { "error": { "code": "SMSQ_INVALID_REQUEST", "message": "...", "issues": [{ "field", "message" }] } }
 *
 * `code` is stable (scripts match on it), `message` is for people, `issues` appears when
 * individual fields are at fault. A 500 never carries internals: the log has them, under the
 * request id that the answer names.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SmsError } from '../src/sms/errors.js';
import { EXIT, httpStatusOf, SMSQ_CODES, IdempotencyInProgressError, IdempotencyKeyReusedError, NotFoundError, RedisUnavailableError, ValidationError, type FieldIssue, type SmsqCode } from '../src/errors.js';
import { maskPhonesInText } from '../src/sms/phone-mask.js';
import { isRedisConnectionError } from '../src/queue/redis-errors.js';
import { ResponseContractError } from './response-contract-error.js';

/** The code each HTTP status answers with when nothing more specific applies (statuses: src/errors.ts). */
export const HTTP_ERROR_CODES = Object.freeze({
  400: 'SMSQ_INVALID_REQUEST',
  401: 'SMSQ_UNAUTHORIZED',
  404: 'SMSQ_NOT_FOUND',
  405: 'SMSQ_METHOD_NOT_ALLOWED',
  413: 'SMSQ_BODY_TOO_LARGE',
  415: 'SMSQ_UNSUPPORTED_MEDIA_TYPE',
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

/** Redis outages are usually short: a client may try again after a few seconds. */
const RETRY_LATER = Object.freeze({ 'retry-after': '5' });

/** Turns anything thrown while handling a request into an {@link HttpError}. */
export function toHttpError(err: unknown, limits: { bodyLimit: number; csvBodyLimit: number }, requestId: string): HttpError {
  if (err instanceof HttpError) return err;
  // Only raised when answers are checked (tests): what drifted is what the test needs to see.
  if (err instanceof ResponseContractError) return new HttpError(500, HTTP_ERROR_CODES[500], `${err.message} (request id ${requestId})`);
  if (err instanceof ValidationError) return new HttpError(httpStatusOf(err.code), err.code, 'the request is invalid; nothing was enqueued', err.issues);
  if (err instanceof NotFoundError) return new HttpError(httpStatusOf(err.code), err.code, err.message);
  if (err instanceof RedisUnavailableError) return new HttpError(httpStatusOf(err.code), err.code, err.message, undefined, RETRY_LATER);
  // The Idempotency-Key header draft: another body under a used key is 422, a twin in flight 409.
  if (err instanceof IdempotencyKeyReusedError) return new HttpError(422, err.code, err.message, [{ field: 'Idempotency-Key', message: 'was used for a different request body' }]);
  if (err instanceof IdempotencyInProgressError) return new HttpError(409, err.code, err.message, undefined, { 'retry-after': '2' });
  // The door's account check could not run for the whole account (AccessKey, permission, service).
  if (err instanceof SmsError) {
    return new HttpError(503, HTTP_ERROR_CODES[503], `Dysmsapi refused the signature/template check (${err.code}): ${err.meaning}; nothing was enqueued. Fix: ${err.action}`, undefined, RETRY_LATER);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in SMSQ_CODES && SMSQ_CODES[code as SmsqCode].exitCode !== EXIT.internal && err instanceof Error) {
    // Any other smsq error that the one list gives a status: its own message is meant for callers.
    return new HttpError(httpStatusOf(code as SmsqCode), code, err.message, undefined, SMSQ_CODES[code as SmsqCode].exitCode === EXIT.dependency ? RETRY_LATER : undefined);
  }
  if (isRedisConnectionError(err)) {
    return new HttpError(httpStatusOf('SMSQ_REDIS_UNAVAILABLE'), 'SMSQ_REDIS_UNAVAILABLE', 'Redis does not answer; nothing was enqueued. Fix: retry later (the server log names REDIS_URL)', undefined, RETRY_LATER);
  }
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        HTTP_ERROR_CODES[413],
        `the request body is too large: JSON bodies may be up to ${size(limits.bodyLimit)} (SMSQ_SERVER_BODY_LIMIT), CSV uploads up to ${size(limits.csvBodyLimit)} (SMSQ_SERVER_CSV_LIMIT). Fix: split the request, or send large recipient lists as a CSV campaign`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, HTTP_ERROR_CODES[415], 'unsupported Content-Type. Fix: send application/json (or text/csv to POST /v1/campaigns)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, HTTP_ERROR_CODES[400], 'the request is invalid; nothing was enqueued', [
        { field: '(body)', message: 'is empty. Fix: send a JSON object, or drop the Content-Type header' },
      ]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, HTTP_ERROR_CODES[400], 'the request is invalid; nothing was enqueued', [
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

/** The root error handler: every error leaves in the one shape; 5xx are logged with their cause. */
export function createErrorHandler(limits: { bodyLimit: number; csvBodyLimit: number }) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const http = toHttpError(err, limits, request.id);
    // A Redis outage is said once by the Redis watch, not once per request.
    if (http.statusCode >= 500 && http.code !== 'SMSQ_REDIS_UNAVAILABLE') request.log.error({ err, reqId: request.id, url: request.routeOptions.url }, 'request failed');
    return sendError(reply, http);
  };
}
