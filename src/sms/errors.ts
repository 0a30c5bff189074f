/**
 * `SmsError`: the one error type every failed Dysmsapi call becomes, and the translation of whatever the
 * SDK threw (or answered) into it. Workers act on `errorClass`; scripts and tests match on `code`.
 */
import type { SeenAnswer } from './answer-seen.js';
import { chainTried } from './credential-chain-words.js';
import { accountAction, classifyCode, lookupCode, type ErrorClass } from './error-codes.js';

/**
 * The init of an {@link SmsError}; `meaning` and `action` default to the code's classification.
 * types.ts derives `SmsErrorInit` from it.
 */
export interface SmsErrorOptions {
  /** Alibaba's code (`isv.MOBILE_NUMBER_ILLEGAL`, `Throttling.User`, ...) or a transport code (`RequestTimeout`, ...). */
  code: string;
  message: string;
  errorClass: Exclude<ErrorClass, 'accepted'>;
  requestId?: string;
  /** HTTP status when there was an answer. */
  httpStatus?: number;
  /** Seconds, from `x-acs-retry-after` on throttling. */
  retryAfterSeconds?: number;
  cause?: unknown;
  meaning?: string;
  action?: string;
  /** The failure may have come after the request was written, whatever its class says: see {@link SmsError.mayFollowRequest}. */
  mayFollowRequest?: boolean;
  /** Where the call went (host[:port]), on a failure of the endpoint itself: see {@link SmsError.endpoint}. */
  endpoint?: string;
}

/** A failed Dysmsapi call: Alibaba's code (or a smsq transport code) and what to do next. */
export class SmsError extends Error {
  /** Alibaba's code (`isv.MOBILE_NUMBER_ILLEGAL`, `Throttling.User`, ...) or a transport code (`RequestTimeout`, `ConnectionReset`, ...). */
  readonly code: string;
  /** What the worker must do; see `ErrorClass` in error-codes.ts. */
  readonly errorClass: Exclude<ErrorClass, 'accepted'>;
  readonly requestId: string | undefined;
  /** HTTP status when there was an answer. */
  readonly httpStatus: number | undefined;
  /** Seconds to wait, when the server said (`x-acs-retry-after`, converted from milliseconds). */
  readonly retryAfterSeconds: number | undefined;
  /** What the code means. */
  readonly meaning: string;
  /** What to do about it. */
  readonly action: string;
  /**
   * True when the failure may have come after the request was written, though its class says the
   * call never reached Dysmsapi: a send meeting it is looked up before anything is resent. OpenSSL's
   * "wrong version number" is a server speaking plain http to the ClientHello, and also plain bytes
   * arriving after the request (a proxy answering an error page outside TLS).
   */
  readonly mayFollowRequest: boolean;
  /**
   * The endpoint (SMS_ENDPOINT's host[:port], never a credential) the call went to, on a failure
   * of the endpoint itself, which the message names it in: one that could not be reached (a
   * refused connection, a host that does not resolve or could not be resolved just now, a TLS
   * handshake), reset or hung up the connection, did not answer in time, or answered but not as
   * Dysmsapi. A worker backing off names it where status reads it; a command
   * tells such a failure in one line. Undefined otherwise, or when the caller did not say where
   * the call went.
   */
  readonly endpoint: string | undefined;

  constructor(init: SmsErrorOptions) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SmsError';
    this.code = init.code;
    this.errorClass = init.errorClass;
    this.requestId = init.requestId;
    this.httpStatus = init.httpStatus;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.mayFollowRequest = init.mayFollowRequest ?? false;
    this.endpoint = init.endpoint;
    const info = init.meaning === undefined || init.action === undefined ? classifyCode(init.code, init.httpStatus) : undefined;
    this.meaning = init.meaning ?? info?.meaning ?? '';
    this.action = init.action ?? info?.action ?? '';
  }

  /** Machine-readable form for `--json` and logs; the SDK error (`cause`) stays out. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      errorClass: this.errorClass,
      message: this.message,
      requestId: this.requestId,
      httpStatus: this.httpStatus,
      retryAfterSeconds: this.retryAfterSeconds,
      meaning: this.meaning,
      action: this.action,
    };
  }
}

export function isSmsError(e: unknown): e is SmsError {
  return e instanceof SmsError;
}

/**
 * The same failure with its words (`message`, `meaning`, `action`) rewritten by `reword`: the
 * client words its errors in the environment's names (SMS_ENDPOINT), and a caller that names its
 * settings otherwise (a Node caller's `endpoint` option) says them its own way.
 */
export function rewordSmsError(e: SmsError, reword: (text: string) => string): SmsError {
  const message = reword(e.message);
  const meaning = reword(e.meaning);
  const action = reword(e.action);
  if (message === e.message && meaning === e.meaning && action === e.action) return e;
  const copy = new SmsError({
    code: e.code,
    message,
    errorClass: e.errorClass,
    requestId: e.requestId,
    httpStatus: e.httpStatus,
    retryAfterSeconds: e.retryAfterSeconds,
    cause: e.cause,
    meaning,
    action,
    mayFollowRequest: e.mayFollowRequest,
    ...(e.endpoint === undefined ? {} : { endpoint: e.endpoint }),
  });
  // Where it was thrown, not where it was reworded.
  if (e.stack !== undefined) copy.stack = e.stack.replace(e.message, message);
  return copy;
}

/**
 * An `SmsError` for an answer that carries a code (HTTP 200 with `Code != OK`, or an error body).
 * Returns undefined for `OK`, which is not an error.
 */
export function smsErrorFromCode(
  code: string,
  details: { message?: string; requestId?: string; httpStatus?: number; retryAfterSeconds?: number; cause?: unknown; endpoint?: string } = {},
): SmsError {
  const c = classifyCode(code, details.httpStatus);
  // An `accepted` class only comes from `OK`, which callers never turn into an error; be safe anyway.
  const errorClass = c.errorClass === 'accepted' ? 'unknown' : c.errorClass;
  return new SmsError({
    code,
    message: details.message || c.meaning,
    errorClass,
    requestId: details.requestId,
    httpStatus: details.httpStatus,
    retryAfterSeconds: details.retryAfterSeconds,
    meaning: c.meaning,
    action: c.action,
    cause: details.cause,
    ...(details.endpoint === undefined ? {} : { endpoint: details.endpoint }),
  });
}

/**
 * Thrown by smsq's default-chain credential wrapper when no credential could be resolved (before any
 * request). It says what the chain tried in smsq's words, and keeps none of the SDK's: its message
 * may quote a credentials file, secret and all (credential-chain-words.ts).
 */
export class CredentialResolutionError extends Error {
  readonly code = 'InvalidCredentials';
  /** What the chain tried, one clause a source (`ALIBABA_CLOUD_ACCESS_KEY_ID is not set; ...`). */
  readonly tried: string;
  constructor(chainFailure: unknown) {
    const tried = chainTried(chainFailure instanceof Error ? chainFailure.message : String(chainFailure));
    super(`no credentials: the default credential chain found none (${tried})`);
    this.name = 'CredentialResolutionError';
    this.tried = tried;
  }
}

// Node errno codes raised before a single byte of the request could be written.
const REFUSED = new Set(['ECONNREFUSED']);
// The name has no address (NXDOMAIN, no data) or cannot be resolved at all: a wrong SMS_ENDPOINT.
const NO_SUCH_HOST = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);
// The resolver did not answer in time or failed for now ("try again"): a DNS timeout, transient.
const DNS_TRY_AGAIN = new Set(['EAI_AGAIN']);
// Resets and hang-ups: the request may already have been written and processed.
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const TIMEOUT = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
// Certificate failures happen in the handshake, before the request is written; a wrong version
// number may come later too (mayFollowRequest).
const TLS = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_CERT_|ERR_SSL_WRONG_VERSION_NUMBER|HOSTNAME_MISMATCH)/;
// What OpenSSL says when bytes back are not TLS: a server speaking plain http answers the
// ClientHello with an HTTP error page (Node reports EPROTO), before any request; but plain bytes
// after the request (a proxy's error page outside TLS) read the same, so a send meeting it is
// looked up (mayFollowRequest). Other EPROTO (a broken record) stays NetworkError.
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|http request/i;
const PLAIN_HTTP_FIX = 'SMS_PROTOCOL=http if the endpoint speaks plain http (the sandbox emulator does); otherwise check that SMS_ENDPOINT names an https endpoint.';

/** Where a failed call went, for the words of an error that is about the endpoint. */
export interface CallTarget {
  /** `readTimeoutMs` of the client (SMS_READ_TIMEOUT_MS), named in a timeout's message. */
  readTimeoutMs?: number;
  /** `connectTimeoutMs` of the client, when it is not `readTimeoutMs` (never from the environment). */
  connectTimeoutMs?: number;
  /** `host[:port]` (SMS_ENDPOINT) the call went to. */
  endpoint?: string;
  protocol?: 'https' | 'http';
  /** What the endpoint answered during the call, when known (answer-seen.ts): the status of a body that could not be read. */
  answered?: SeenAnswer;
}

interface Fields {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  requestId?: unknown;
  retryAfter?: unknown;
  data?: unknown;
  message?: unknown;
}

function str(v: unknown): string | undefined {
  // The SDK stringifies missing values: `${undefined}` → "undefined".
  return typeof v === 'string' && v !== '' && v !== 'undefined' && v !== 'null' ? v : undefined;
}

/** The URL in transport error messages carries the query string (phone numbers, params); keep it out. */
function redactUrls(text: string): string {
  return text.replace(/(https?:\/\/[^\s?]*)\?\S*/g, '$1?<query redacted>');
}

function scrubCause(e: unknown): void {
  if (!(e instanceof Error)) return;
  try {
    e.message = redactUrls(e.message);
    if (typeof e.stack === 'string') e.stack = redactUrls(e.stack);
  } catch {
    // Frozen or exotic errors: leave them as they are.
  }
}

function transport(code: string, message: string, cause: unknown, action?: string, mayFollowRequest = false, endpoint?: string): SmsError {
  const hit = lookupCode(code);
  const info = hit?.info ?? classifyCode(code);
  scrubCause(cause);
  return new SmsError({
    code,
    message,
    errorClass: info.errorClass === 'accepted' ? 'unknown' : info.errorClass,
    meaning: info.meaning,
    action: action ?? info.action,
    cause,
    mayFollowRequest,
    ...(endpoint === undefined ? {} : { endpoint }),
  });
}

/** `SMS_ENDPOINT=host:port`, or the setting's name alone when the caller did not say where the call went. */
function endpointOf(target: CallTarget): string {
  return target.endpoint === undefined ? 'SMS_ENDPOINT' : `SMS_ENDPOINT=${target.endpoint}`;
}

/**
 * An answer that is not Dysmsapi's: a body with no Dysmsapi code in it (`codeless`), or one that is
 * not JSON. A redirect or a client error forwarded nothing: what answered is not Dysmsapi, and
 * SMS_ENDPOINT is to fix (NotDysmsapi, an endpoint fault). A 429 is a limit in between (throttled,
 * HttpError). Anything else (a 2xx, a 5xx, a status not known) may come from a proxy after it
 * passed the request on: a send meeting it is looked up (HttpError or InvalidResponse, unknown).
 */
export function notDysmsapiAnswer(target: CallTarget, answer: { status: number | undefined; contentType?: string | undefined; codeless: boolean; requestId?: string | undefined }, cause?: unknown): SmsError {
  const { status } = answer;
  const head = `${endpointOf(target)} answered ${status === undefined ? 'something' : `HTTP ${status}`}`;
  const body = answer.codeless ? ' without a Dysmsapi code' : `${answer.contentType === undefined ? '' : ` (${answer.contentType})`}, not Dysmsapi's JSON`;
  const details = { httpStatus: status, requestId: answer.requestId, cause, endpoint: target.endpoint };
  if (status !== undefined && status >= 300 && status < 500 && status !== 429) return smsErrorFromCode('NotDysmsapi', { ...details, message: `${head}${body} (not a Dysmsapi endpoint?)` });
  if (status === 429) return smsErrorFromCode('HttpError', { ...details, message: `${head}${body}: a limit in front of it?` });
  // A 5xx without a code is the SDK's ServerError as it always was; any other answer could not be read as Dysmsapi's.
  const code = answer.codeless && status !== undefined && status >= 500 ? 'HttpError' : 'InvalidResponse';
  return smsErrorFromCode(code, { ...details, message: `${head}${body} (not a Dysmsapi endpoint? or a proxy failing in front of it)` });
}

/** Failures with a Node errno: where the endpoint could not be reached, the message names it. */
function fromErrno(errno: string, message: string, e: unknown, target: CallTarget): SmsError {
  const at = endpointOf(target);
  const to = target.endpoint;
  if (REFUSED.has(errno)) return transport('ConnectionRefused', `the connection to ${at} was refused (${errno}): nothing listens there`, e, undefined, false, to);
  if (NO_SUCH_HOST.has(errno)) return transport('HostNotFound', `the host of ${at} does not resolve (${errno})`, e, undefined, false, to);
  if (DNS_TRY_AGAIN.has(errno)) return transport('DnsTemporaryFailure', `the host of ${at} could not be resolved just now (${errno})`, e, undefined, false, to);
  if (RESET.has(errno)) return transport('ConnectionReset', `the connection to ${at} was reset or hung up (${errno})`, e, undefined, false, to);
  if (TLS.test(errno)) return transport('TlsError', `the TLS handshake with ${at} failed (${errno})`, e, undefined, errno === 'ERR_SSL_WRONG_VERSION_NUMBER', to);
  const notTls = errno === 'EPROTO' ? NOT_TLS.exec(message) : null;
  if (notTls) {
    return transport('TlsError', `${at} did not answer the TLS handshake in TLS (${errno}: ${notTls[0]}): it may speak plain http`, e, accountAction(PLAIN_HTTP_FIX), true, to);
  }
  return transport('NetworkError', `transport error (${errno})`, e);
}

/**
 * Translates anything a Dysmsapi SDK call threw into an `SmsError`:
 * - `ThrottlingError` / `ClientError` / `ServerError` (an HTTP answer ≥ 400) → classified by code and status;
 *   one with no Dysmsapi code is not Dysmsapi's answer ({@link notDysmsapiAnswer}: `NotDysmsapi` for a 3xx or 4xx);
 * - `RequestTimeoutError` (read timeout, or the socket idle for `connectTimeout`) → `RequestTimeout`, unknown, naming the endpoint;
 * - resets and hang-ups → `ConnectionReset`, unknown (the request may have been written);
 * - `ECONNREFUSED` → `ConnectionRefused`, account: nothing listens at the endpoint (a setup fault; nothing was written);
 * - a name that does not exist (`ENOTFOUND`, ...) → `HostNotFound`, account (a setup fault; no connection was made);
 * - a DNS server that did not answer (`EAI_AGAIN`) → `DnsTemporaryFailure`, throttled (transient, like a timeout);
 * - certificate / TLS handshake failures, and https answered in plain text → `TlsError`, account;
 * - an unreadable answer (`SyntaxError` from JSON parsing) → {@link notDysmsapiAnswer}, with the status
 *   the endpoint answered when `target.answered` says it: `NotDysmsapi` for a 3xx or 4xx, else `InvalidResponse`, unknown;
 * - credential resolution failures → `InvalidCredentials`, account, saying what the chain tried;
 * - anything else → `NetworkError` (with an errno) or `UnexpectedError`, unknown.
 * A request that could not even be built (nothing written) is told apart before this, by
 * request-build-fault.ts, which knows the call: its error alone cannot say where it came from.
 */
export function smsErrorFromThrown(e: unknown, target: CallTarget = {}): SmsError {
  if (e instanceof SmsError) return e;
  if (e instanceof CredentialResolutionError) {
    return new SmsError({ code: 'InvalidCredentials', message: e.message, errorClass: 'account', cause: e });
  }
  const f: Fields = typeof e === 'object' && e !== null ? (e as Fields) : {};
  const name = typeof f.name === 'string' ? f.name : '';
  const errno = typeof f.code === 'string' ? f.code : undefined;

  // AlibabaCloudError and subclasses: an answer with a code, or an SDK-side refusal (InvalidCredentials, ...).
  if (name === 'ThrottlingError' || name === 'ClientError' || name === 'ServerError' || name === 'AlibabaCloudError') {
    const status = typeof f.statusCode === 'number' ? f.statusCode : undefined;
    const data = typeof f.data === 'object' && f.data !== null ? (f.data as Record<string, unknown>) : {};
    const apiMessage = str(data.Message) ?? str(data.message);
    const code = str(f.code);
    // The SDK writes `${undefined}` where the body had no Code: "undefined: code: 404, undefined request id: undefined".
    if (code === undefined && status !== undefined) return notDysmsapiAnswer(target, { status, codeless: true, requestId: str(f.requestId) ?? str(data.RequestId) }, e);
    const retryAfterMs = typeof f.retryAfter === 'number' && Number.isFinite(f.retryAfter) ? f.retryAfter : undefined;
    return smsErrorFromCode(code ?? 'HttpError', {
      // The SDK's own message repeats the code, status and request id around Alibaba's Message; an SDK-side refusal (no status) has only its own.
      message: apiMessage ?? (status === undefined && typeof f.message === 'string' ? f.message : undefined),
      requestId: str(f.requestId) ?? str(data.RequestId),
      httpStatus: status,
      // x-acs-retry-after is milliseconds: the SDK's retry policy sleeps that many ms (darabonba retry.ts).
      retryAfterSeconds: retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
      cause: e,
    });
  }
  if (name === 'RequestTimeoutError' || (errno !== undefined && TIMEOUT.has(errno))) {
    // The SDK's connect timeout is also the socket's idle timeout: the connection was not made, or went quiet.
    const connecting = typeof f.message === 'string' && f.message.startsWith('ConnectTimeout');
    const ownConnect = connecting && target.connectTimeoutMs !== undefined && target.connectTimeoutMs !== target.readTimeoutMs;
    const within = ownConnect ? ` within connectTimeoutMs=${target.connectTimeoutMs}` : target.readTimeoutMs === undefined ? '' : ` within SMS_READ_TIMEOUT_MS=${target.readTimeoutMs}`;
    const what = connecting ? ' (no connection made, or it went quiet)' : '';
    return transport('RequestTimeout', `no answer from ${endpointOf(target)}${within}${what}`, e, undefined, false, target.endpoint);
  }
  if (errno !== undefined) return fromErrno(errno, typeof f.message === 'string' ? f.message : '', e, target);
  if (e instanceof SyntaxError) return notDysmsapiAnswer(target, { status: target.answered?.status, contentType: target.answered?.contentType, codeless: false }, e);
  if (typeof f.message === 'string' && /socket hang up|aborted/i.test(f.message)) {
    return transport('ConnectionReset', `the connection to ${endpointOf(target)} hung up`, e, undefined, false, target.endpoint);
  }
  const what = e instanceof Error ? `${e.name}: ${redactUrls(e.message)}` : String(e);
  return transport('UnexpectedError', `unexpected SDK failure (${what})`, e);
}
