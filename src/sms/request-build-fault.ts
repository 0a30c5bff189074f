/**
 * A call that failed because its HTTP request could not be built: nothing of it was written, so
 * nothing was sent, and nothing is owed a look-up; and it fails the same way every time, so
 * calling again (or looking up and resending) only repeats it. Before, such failures read as
 * "may have been sent" (NetworkError, UnexpectedError): the chunk was looked up, not found and
 * sent again, attempt after attempt.
 *
 * Told from two signals together, never from an error's name alone:
 * - the kind of error: only building a request raises it. `URIError` is percent-encoding a value
 *   that is not well-formed UTF-16 (encodeURIComponent in the SDK's signing, querystring in its URL);
 *   `ERR_INVALID_CHAR`, `ERR_INVALID_HTTP_TOKEN` and `ERR_HTTP_INVALID_HEADER_VALUE` are Node
 *   refusing a header as it is set, which it only lets happen before the head is written (a header
 *   set later throws ERR_HTTP_HEADERS_SENT instead); `ERR_UNESCAPED_CHARACTERS` and
 *   `ERR_INVALID_ARG_TYPE` are ClientRequest's checks of its options;
 * - where it came from: a value of the request that no encoding can carry (proof in itself: the
 *   request cannot exist), or Node's `http.client.request.start` not having fired for the call
 *   (request-start.ts). A send whose request did start is never called unbuilt, whatever was thrown.
 * Kinds that can also come out of a request already written (an argument error while reading the
 * answer) need the channel's word; a call without one (a query: no OutId to watch) keeps its
 * transport class for them, which costs nothing: a query sends nothing.
 *
 * Whose fault it is decides what follows: a value of the send fails its recipients
 * (RequestNotBuilt); a header built from the worker's own credential or options backs that worker
 * off alone (RequestNotBuilt.Setup); anything else (no value, no header to blame) blocks the account
 * (RequestNotBuilt.Unexplained), loud, for a person: backed off by one worker, a job that fails so
 * went back uncounted for ever.
 */
import { maskPhonesInText } from './phone-mask.js';
import { REQUEST_NOT_BUILT, REQUEST_NOT_BUILT_SETUP, REQUEST_NOT_BUILT_UNEXPLAINED } from './error-codes.js';
import { SmsError } from './errors.js';

/** What the client knows of a failed call, to tell whether its request was ever built. */
export interface CallFacts {
  /** The operation (`SendSms`, ...), named in the message. */
  op: string;
  /**
   * The values the SDK percent-encodes as they are, by the field name a caller knows them by.
   * Values that reach the SDK as JSON text (templateParam, the batch's lists) are escaped by
   * JSON.stringify and can always be encoded: they are not listed.
   */
  encoded: readonly (readonly [field: string, value: string | undefined])[];
  /** Whether Node started the call's HTTP request; undefined when it cannot be told (no OutId to watch). */
  started: boolean | undefined;
}

// Node refusing a header as it is set: before the head is written, whatever else is known.
const HEADER_FAULTS = new Set(['ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP_INVALID_HEADER_VALUE']);
// ClientRequest's checks of its options, and querystring's encoding (a URIError too): raised while
// the request is built, but an argument error may come from reading an answer as well.
const OTHER_BUILD_FAULTS = new Set(['ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_URI']);

// Half of a surrogate pair with no other half: in `u` mode a whole pair is one code point, not `Cs`.
const LONE_SURROGATE = /\p{Cs}/u;

interface Setting {
  what: string;
  fix: string;
}

const ACCESS_KEY_ID: Setting = {
  what: "the AccessKey ID (ALIBABA_CLOUD_ACCESS_KEY_ID, a credentials profile, or the client's credential.accessKeyId)",
  fix: 'set the AccessKey ID exactly as the RAM console shows it, with no line break or space (a secret file written with echo ends in a line break)',
};

/** Which setting a request header is built from: a header value is never a value of the send. */
const HEADER_SETTINGS: Readonly<Record<string, Setting>> = {
  // ACS3 signing: `ACS3-HMAC-SHA256 Credential=<AccessKey ID>,SignedHeaders=...,Signature=<hex>`.
  authorization: ACCESS_KEY_ID,
  'x-acs-accesskey-id': ACCESS_KEY_ID,
  'x-acs-security-token': {
    what: "the STS security token (ALIBABA_CLOUD_SECURITY_TOKEN, a credentials profile, or the client's credential.securityToken)",
    fix: 'give the STS token exactly as it was issued',
  },
  'x-acs-bearer-token': { what: "the credential's bearer token", fix: 'check the credential the default chain resolves (`smsq worker` names its source at start)' },
  'x-acs-zero-trust-idtoken': { what: "the credential's ID token", fix: 'check the credential the default chain resolves (`smsq worker` names its source at start)' },
  'user-agent': { what: "the client's userAgent option", fix: 'give userAgent in printable ASCII' },
  host: { what: 'SMS_ENDPOINT', fix: 'set SMS_ENDPOINT to host[:port]' },
};

interface Fields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
}

/** The header Node named in its refusal (`Invalid character in header content ["Authorization"]`). */
function headerNamed(message: string): string | undefined {
  return /\["([^"]+)"\]/.exec(message)?.[1] ?? /for header "([^"]+)"/.exec(message)?.[1];
}

/** The first encoded value that is not well-formed UTF-16, with where its lone half sits. */
function illFormed(call: CallFacts): { field: string; codePoint: string; index: number } | undefined {
  for (const [field, value] of call.encoded) {
    if (value === undefined) continue;
    const hit = LONE_SURROGATE.exec(value);
    if (hit) return { field, codePoint: (hit[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0'), index: hit.index };
  }
  return undefined;
}

/** Node's words for the error, without what may follow them: an argument error quotes the value it got. */
function nodeWords(name: string, code: string | undefined, message: string): string {
  const cut = (message.split(/ Received\b/)[0] ?? '').replace(/\.\s*$/, '');
  const text = maskPhonesInText(cut.replace(/(https?:\/\/[^\s?]*)\?\S*/g, '$1?<query redacted>')).slice(0, 200);
  return `${name}${code === undefined ? '' : ` ${code}`}: ${text}`;
}

const SENDS = new Set(['SendSms', 'SendBatchSms']);

function valueFault(call: CallFacts, bad: NonNullable<ReturnType<typeof illFormed>>, cause: unknown): SmsError {
  const sends = SENDS.has(call.op);
  return new SmsError({
    code: REQUEST_NOT_BUILT,
    message:
      `${call.op} not sent: ${bad.field} holds half of a UTF-16 surrogate pair (U+${bad.codePoint} at index ${bad.index}) with no other half, ` +
      `which no request can carry (percent-encoding it throws URIError); nothing was written, and ${sends ? 'sending it' : 'calling'} again fails the same way. ` +
      `Fix: correct ${bad.field} (a damaged UTF-16 text, or a JSON "\\u${bad.codePoint.toLowerCase()}" escape, makes one)${sends ? ' and send these recipients again' : ''}`,
    errorClass: 'permanent',
    cause,
  });
}

function setupFault(call: CallFacts, message: string, cause: unknown): SmsError {
  return new SmsError({ code: REQUEST_NOT_BUILT_SETUP, message: `${call.op} not sent: ${message}`, errorClass: 'account', cause });
}

function unexplainedFault(call: CallFacts, message: string, cause: unknown): SmsError {
  return new SmsError({ code: REQUEST_NOT_BUILT_UNEXPLAINED, message: `${call.op} not sent: ${message}`, errorClass: 'account', cause });
}

/**
 * The failure of a call whose request could not be built, or undefined when it may have been
 * written (then errors.ts's smsErrorFromThrown classes it). See the module's comment for the signals.
 */
export function requestBuildFault(e: unknown, call: CallFacts): SmsError | undefined {
  // The request went out: whatever failed afterwards leaves the outcome in doubt.
  if (call.started === true) return undefined;
  const f: Fields = typeof e === 'object' && e !== null ? (e as Fields) : {};
  const name = typeof f.name === 'string' ? f.name : '';
  const code = typeof f.code === 'string' ? f.code : undefined;
  const message = typeof f.message === 'string' ? f.message : '';

  if (code !== undefined && HEADER_FAULTS.has(code)) {
    const header = headerNamed(message);
    const setting = (header === undefined ? undefined : HEADER_SETTINGS[header.toLowerCase()]) ?? {
      what: `a value of the ${header === undefined ? 'request\'s headers' : `"${header}" header`}`,
      fix: "check the worker's credential (its AccessKey ID, STS token) and the client's options",
    };
    return setupFault(
      call,
      `${setting.what} holds a character an HTTP header cannot carry (a line break, a control character, a character beyond Latin-1): ` +
        `Node refused the ${header === undefined ? 'header' : `"${header}" header`} (${code}) while building the request, so nothing was written and nothing was sent, and every call fails the same way. Fix: ${setting.fix}`,
      e,
    );
  }

  const uriError = e instanceof URIError || name === 'URIError' || code === 'ERR_INVALID_URI';
  if (uriError) {
    const bad = illFormed(call);
    if (bad) return valueFault(call, bad, e);
  }
  if ((uriError || (code !== undefined && OTHER_BUILD_FAULTS.has(code))) && call.started === false) {
    return unexplainedFault(
      call,
      `the request could not be built (${nodeWords(name || 'Error', code, message)}), and no value of the send is the cause: it is this worker's setup ` +
        `(its credential, SMS_ENDPOINT, the client's options) or the SDK; nothing was written, so nothing was sent. ` +
        "Fix: check the worker's AccessKey ID, STS token and SMS_ENDPOINT; if they are right, report it (smsq should learn this failure)",
      e,
    );
  }
  return undefined;
}
