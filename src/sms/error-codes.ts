/**
 * Every Dysmsapi answer code smsq knows, with the class that says what a worker does next, what the
 * code means and what a person should do about it. The CLI (`smsq` error output) and docs/errors.md
 * (`npm run docs`) render {@link ERROR_CODES} and {@link CLASSIFICATION_DEFAULTS}; the client
 * (`client.ts`) classifies every failed call through {@link classifyCode}.
 *
 * Sources: docs/dysmsapi.md's error table, the seed's tables (including its squashed spellings such as
 * `isv.MOBILENUMBERILLEGAL`, kept as aliases), the SDK's own client-side codes, a few gateway codes from
 * Alibaba Cloud's public error-code pages, and smsq's transport codes (`RequestTimeout`, ...).
 */
/** What the worker must do with an outcome; the table in docs/dysmsapi.md and docs/errors.md. */
export type ErrorClass =
  /** `OK`: record the BizId; receipts follow. */
  | 'accepted'
  /** Permanent for these recipients: fail with the code, never retry. */
  | 'permanent'
  /** Signature or template unusable: fail the whole send early; the operator fixes the console. */
  | 'sign_template'
  /** Account or configuration: nothing was sent; stop sending, keep every job, alert. */
  | 'account'
  /** Per-number flow control: not sent to that number now; retry after the window or fail. */
  | 'flow_control'
  /** Throttled, not accepted: slow the whole account down, retry later. */
  | 'throttled'
  /** Outcome unknown: never resend blindly, look the attempt up first. */
  | 'unknown';

/** A value of the send cannot be put into a request: its recipients fail (workers/send-decision.ts). */
export const REQUEST_NOT_BUILT = 'RequestNotBuilt';
/**
 * The worker's own setup (its AccessKey ID or STS token, its userAgent option) makes every request
 * fail to build: that worker backs off by itself (RETRIED_BY_WORKERS), the others go on.
 */
export const REQUEST_NOT_BUILT_SETUP = 'RequestNotBuilt.Setup';

/**
 * A request could not be built and neither a value of the send nor a header of the worker's own
 * credential or options is known to be the cause (src/sms/request-build-fault.ts): it blocks the
 * account, loud, for a person to end. Backing off one worker, the job went back uncounted for ever.
 */
export const REQUEST_NOT_BUILT_UNEXPLAINED = 'RequestNotBuilt.Unexplained';

/** The default credential chain resolved nothing on this worker (src/sms/sdk.ts): it backs off by itself (RETRIED_BY_WORKERS). */
export const INVALID_CREDENTIALS = 'InvalidCredentials';

/**
 * Faults of one worker's own that it backs off from by itself (workers/endpoint-backoff.ts) rather
 * than block the account or pause the queue. The account block is account-wide: it stopped every
 * worker of the deployment, on every host, for SMSQ_ACCOUNT_RECHECK_MS; handled as throttling,
 * every job such a worker took paused every worker of the deployment for 1 s and counted towards
 * BullMQ's maxStartedAttempts. Nothing was written either way, so calling again is safe.
 * - An endpoint this worker cannot reach (a refused connection, a name that does not resolve): it may
 *   be its own host's blip (a local proxy restarting, a resolver down for a moment). The door still
 *   refuses them, with a person there to fix SMS_ENDPOINT. A TLS failure is not a blip and still blocks.
 * - A request this worker's setup cannot build (RequestNotBuilt.Setup: Node refused a header value
 *   from its credential or options): it lasts until fixed, but on this worker only, which built the
 *   header from what its own credential provider returned; the other workers' calls are fine.
 * - A credential this worker's default chain cannot resolve (InvalidCredentials: no variables, no
 *   profile, an ECS RAM role whose metadata service does not answer on its host): met before any
 *   request, on this worker only; Alibaba has refused nothing.
 */
const RETRIED_BY_WORKERS: ReadonlySet<string> = new Set(['ConnectionRefused', 'HostNotFound', REQUEST_NOT_BUILT_SETUP, INVALID_CREDENTIALS]);

/** The codes of the faults a worker backs off from by itself, in order: the `code` label of `smsq_workers_backing_off`. */
export const WORKER_BACKOFF_CODES: readonly string[] = Object.freeze([...RETRIED_BY_WORKERS]);

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) as string}`;
}

/**
 * What a worker does with each class, in words for people: docs/errors.md renders it beside the
 * codes (`npm run docs`). The doing is in workers/send-decision.ts and the processors.
 */
export const ERROR_CLASS_HANDLING: Readonly<Record<ErrorClass, string>> = Object.freeze({
  accepted: 'records the BizId; receipts follow',
  permanent: 'those recipients fail with the code; never retried',
  sign_template: 'the whole send fails early (its later chunks fail without a call); fix the console (`smsq signs`, `smsq templates`)',
  account:
    `nothing was sent: every worker stops (the queue is paused), every job is kept, one loud \`ACCOUNT BLOCKED\` log line; \`smsq resume\` after the fix, or by itself after \`SMSQ_ACCOUNT_RECHECK_MS\`. Except ${listed([...RETRIED_BY_WORKERS].map((name) => `\`${name}\``))}, faults of one worker's own (its endpoint out of reach, or its setup unable to build a request): that worker puts the job back (not counted against \`maxStartedAttempts\`) and stops taking jobs itself, 1 s doubling to 60 s, back to full speed at its first answered call, and logs the fix at each step; other workers go on, the queue is neither paused nor rate-limited (one worker's blip or setup must not stop or slow every worker of the account)`,
  flow_control:
    'a single-number chunk waits for the next window (China time: verification codes retry once after the minute; notifications after the minute, then the hour; marketing is not retried), then fails; a multi-number chunk is split into single-number chunks to find which number is limited',
  throttled:
    "not accepted: every worker pauses for `x-acs-retry-after` (BullMQ's `queue.rateLimit` + `RateLimitError`), then retries; `maxStartedAttempts` (200) guards against endless re-queues: a send job at the limit fails its chunk (`SMSQ_GAVE_UP`), a look-up (of an attempt in doubt, or of receipts) is made anew after a back-off (5 s doubling to 5 min; a receipt look-up not past the receipt window)",
  unknown: 'looks the attempt up (reconcile) before anything is resent; a worker that died mid-call leaves the same (`SMSQ_WORKER_LOST`)',
});

/** Where a table entry comes from; lets the docs say which codes were observed and which are ours. */
export type CodeSource = 'dysmsapi.md' | 'seed' | 'alibaba-docs' | 'sdk' | 'smsq';

export interface ErrorCodeInfo {
  errorClass: ErrorClass;
  /** What the code means, one sentence. */
  meaning: string;
  /** What a person (or the worker) should do, like the seed's "Suggested action". */
  action: string;
  /** Other spellings seen in the wild (the seed squashes some underscores away). */
  aliases?: readonly string[];
  source: CodeSource;
  /**
   * The meaning when the call was a look-up or an account call (QuerySendDetails, a signature,
   * template or statistics query), where {@link meaning} speaks of a message that may have been
   * accepted: a read has no message. Absent when `meaning` says nothing about a send.
   */
  queryMeaning?: string;
  /** What to do when a look-up or account call failed, where the class's query advice ({@link queryAction}) would mislead. */
  queryAction?: string;
}

/** The result of classifying a code: the entry's fields, plus whether the code was in the table. */
export interface Classification {
  errorClass: ErrorClass;
  meaning: string;
  action: string;
  /** True when the code (or one of its aliases) is in {@link ERROR_CODES}; false when a default rule applied. */
  known: boolean;
}

const FIX_RECIPIENT = 'Fail these recipients with the code; never retry the same request.';
const FIX_CONSOLE = 'Fail the whole send now; fix the signature or template in the SMS console, then send again.';
const FIX_ACCOUNT = 'Nothing was sent: stop sending, keep every job, alert the operator; resume after the fix.';
const FIX_THROTTLED = 'Nothing was accepted: slow the whole account down and retry later.';
const FIX_WORKER_RETRIES = 'Nothing was sent: a door whose look-up meets it refuses the request (one that finds the signature and template cached makes no call); a worker puts the job back and stops taking jobs itself for a while (other workers go on), then calls again.';
const FIX_WORKER_SETUP =
  "Nothing was sent: that worker puts the job back and stops taking jobs itself for a while (other workers go on), then calls again; while every worker does, `smsq status` names it.";
/** The credentials a process can be given, as the SDK's default chain reads them, most common first. */
const CREDENTIAL_SOURCES = 'ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_PROFILE naming a profile, or an ECS RAM role';
const FIX_UNKNOWN =
  'Outcome unknown, the message may have been accepted: never resend blindly; look the attempt up (QuerySendDetails by phone + SendDate, match OutId) and resend only what provably was not accepted.';

/**
 * The table, keyed by Alibaba's canonical spelling. Transport codes (`source: 'smsq'`) are smsq's own
 * names for failures that carry no Alibaba code.
 */
export const ERROR_CODES: Readonly<Record<string, ErrorCodeInfo>> = Object.freeze({
  // accepted
  OK: { errorClass: 'accepted', meaning: 'The request was accepted.', action: 'Record the BizId; receipts follow.', source: 'dysmsapi.md' },

  // permanent for these recipients
  'isv.MOBILE_NUMBER_ILLEGAL': {
    errorClass: 'permanent',
    meaning: 'A phone number is malformed or not a mobile number.',
    action: `Check the number format (mainland: 11 digits; international: country code + number). ${FIX_RECIPIENT}`,
    aliases: ['isv.MOBILENUMBERILLEGAL'],
    source: 'dysmsapi.md',
  },
  'isv.MOBILE_COUNT_OVER_LIMIT': {
    errorClass: 'permanent',
    meaning: 'Too many numbers in one request (SendSms ≤ 1000, SendBatchSms ≤ 100).',
    action: `Split the recipients into smaller chunks. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.TEMPLATE_MISSING_PARAMETERS': {
    errorClass: 'permanent',
    meaning: 'TemplateParam lacks a variable the template uses.',
    action: `Give every \${var} of the template a string value in TemplateParam. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.TEMPLATE_PARAMS_ILLEGAL': {
    errorClass: 'permanent',
    meaning: 'A template variable value is not allowed (characters or length).',
    action: `Fix the variable values (plain text, within the length limit). ${FIX_RECIPIENT}`,
    source: 'alibaba-docs',
  },
  'isv.INVALID_JSON_PARAM': {
    errorClass: 'permanent',
    meaning: 'A JSON parameter (TemplateParam, PhoneNumberJson, ...) is not valid JSON or not the expected shape.',
    action: `Send a JSON object of string values (TemplateParam) or arrays of equal length (batch). ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.INVALID_PARAMETERS': {
    errorClass: 'permanent',
    meaning: 'A request parameter is invalid.',
    action: `Check the request against the API limits (OutId < 256 characters, page sizes 1–50, dates yyyyMMdd). ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.PARAM_LENGTH_LIMIT': {
    errorClass: 'permanent',
    meaning: 'A parameter value is too long.',
    action: `Shorten the variable values. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.PARAM_NOT_SUPPORT_URL': {
    errorClass: 'permanent',
    meaning: 'Template variables may not carry links.',
    action: `Remove URLs from the variable values (put links in an approved template instead). ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.SMS_CONTENT_ILLEGAL': {
    errorClass: 'permanent',
    meaning: 'The message content is prohibited.',
    action: `Change the content or variables. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.BLACK_KEY_CONTROL_LIMIT': {
    errorClass: 'permanent',
    meaning: 'The content contains a blocked keyword.',
    action: `Remove the blocked words from the variables. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED': {
    errorClass: 'permanent',
    meaning: 'An international template or signature was used for a mainland number.',
    action: `Use a mainland signature and template for +86 numbers. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },
  'isv.EXTEND_CODE_ERROR': {
    errorClass: 'permanent',
    meaning: 'SmsUpExtendCode is invalid.',
    action: `Send only digits the account may use as extension code, or omit it. ${FIX_RECIPIENT}`,
    source: 'dysmsapi.md',
  },

  // signature or template unusable
  'isv.SMS_SIGNATURE_ILLEGAL': {
    errorClass: 'sign_template',
    meaning: 'The signature does not exist or is not approved.',
    action: `Verify the signature has been approved (smsq sign NAME). ${FIX_CONSOLE}`,
    source: 'dysmsapi.md',
  },
  'isv.SMS_SIGN_ILLEGAL': {
    errorClass: 'sign_template',
    meaning: 'The signature cannot be used.',
    action: `Verify the signature has been approved (smsq sign NAME). ${FIX_CONSOLE}`,
    source: 'dysmsapi.md',
  },
  'isv.SMS_SIGN_NAME_ILLEGAL': {
    errorClass: 'sign_template',
    meaning: 'The signature is missing or not approved.',
    action: `Verify the signature has been approved; list existing ones with smsq signs. ${FIX_CONSOLE}`,
    aliases: ['isv.SMSSIGNNAME_ILLEGAL', 'isv.SMSSIGNNAMEILLEGAL'],
    source: 'seed',
  },
  'isv.SIGN_STATE_ILLEGAL': {
    errorClass: 'sign_template',
    meaning: 'The signature is not in an approved state.',
    action: `Wait for approval or fix the signature. ${FIX_CONSOLE}`,
    source: 'dysmsapi.md',
  },
  'isv.SMS_TEMPLATE_ILLEGAL': {
    errorClass: 'sign_template',
    meaning: 'The template is missing or not approved.',
    action: `Verify the template has been approved (smsq template CODE); list existing ones with smsq templates. ${FIX_CONSOLE}`,
    aliases: ['isv.SMSTEMPLATEILLEGAL', 'isv.SMSTEMPLATE_ILLEGAL'],
    source: 'dysmsapi.md',
  },
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL': {
    errorClass: 'sign_template',
    meaning: "The signature's scene does not match the template's (e.g. a verification signature on a marketing template).",
    action: `Make sure the signature and template scenes align. ${FIX_CONSOLE}`,
    aliases: ['isv.SMSSIGNATURESCENE_ILLEGAL', 'isv.SMSSIGNATURESCENEILLEGAL'],
    source: 'dysmsapi.md',
  },
  SignatureNotFound: {
    errorClass: 'sign_template',
    meaning: 'The signature was not found.',
    action: `Create the signature in the console. ${FIX_CONSOLE}`,
    source: 'seed',
  },
  TemplateNotFound: {
    errorClass: 'sign_template',
    meaning: 'The template was not found.',
    action: `Create the template in the console. ${FIX_CONSOLE}`,
    source: 'seed',
  },

  // account or configuration
  'InvalidAccessKeyId.NotFound': {
    errorClass: 'account',
    meaning: 'The AccessKey ID does not exist.',
    action: `Check the AccessKey ID (ALIBABA_CLOUD_ACCESS_KEY_ID or the credential chain). ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'InvalidAccessKeyId.Inactive': {
    errorClass: 'account',
    meaning: 'The AccessKey is disabled.',
    action: `Enable the AccessKey in the RAM console or use another one. ${FIX_ACCOUNT}`,
    source: 'alibaba-docs',
  },
  SignatureDoesNotMatch: {
    errorClass: 'account',
    meaning: 'The request signature is wrong: the AccessKey secret does not match the ID.',
    action: `Check the AccessKey secret. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'InvalidTimeStamp.Expired': {
    errorClass: 'account',
    meaning: "The request timestamp is too far from the server's time.",
    action: `Fix this machine's clock (NTP). ${FIX_ACCOUNT}`,
    source: 'alibaba-docs',
  },
  'InvalidSecurityToken.Expired': {
    errorClass: 'account',
    meaning: 'The STS security token has expired.',
    action: `Refresh the STS credentials (the default chain does so for RAM roles). ${FIX_ACCOUNT}`,
    source: 'alibaba-docs',
  },
  'Forbidden.RAM': {
    errorClass: 'account',
    meaning: 'The RAM user or role lacks permission for this operation.',
    action: `Grant the RAM identity the SMS permissions (AliyunDysmsFullAccess or a custom policy). ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isp.RAM_PERMISSION_DENY': {
    errorClass: 'account',
    meaning: 'The RAM identity is not allowed to call this operation.',
    action: `Grant the RAM identity the SMS permissions. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isv.PRODUCT_UN_SUBSCRIPT': {
    errorClass: 'account',
    meaning: 'The account has not activated the SMS service.',
    action: `Activate Short Message Service for the account. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isv.ACCOUNT_NOT_EXISTS': {
    errorClass: 'account',
    meaning: 'The account does not exist.',
    action: `Check the credentials point at the right account. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isv.ACCOUNT_ABNORMAL': {
    errorClass: 'account',
    meaning: 'The account is in an abnormal state.',
    action: `Contact Alibaba Cloud support about the account state. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isv.OUT_OF_SERVICE': {
    errorClass: 'account',
    meaning: 'The service is suspended for the account (usually an overdue payment).',
    action: `Settle the account and resume the service. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isv.AMOUNT_NOT_ENOUGH': {
    errorClass: 'account',
    meaning: 'The account balance is insufficient.',
    action: `Top up the SMS quota. ${FIX_ACCOUNT}`,
    aliases: ['isv.AMOUNTNOTENOUGH'],
    source: 'dysmsapi.md',
  },
  'isv.DAY_LIMIT_CONTROL': {
    errorClass: 'account',
    meaning: "The account's daily sending limit is reached.",
    action: `Raise the daily limit in the console or wait for the next day (UTC+8). ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  'isv.MONTH_LIMIT_CONTROL': {
    errorClass: 'account',
    meaning: "The account's monthly sending limit is reached.",
    action: `Raise the monthly limit in the console or wait for the next month. ${FIX_ACCOUNT}`,
    source: 'dysmsapi.md',
  },
  // Met by the process that resolves its own credentials (a worker, a command, the server): what it
  // does meanwhile is its own (a worker backs off: ERROR_CLASS_HANDLING), not the code's meaning.
  [INVALID_CREDENTIALS]: {
    errorClass: 'account',
    meaning:
      "No usable credentials in the process that met it: the SDK found none, or its default credential chain failed to resolve them (no variables, no profile, an ECS RAM role whose instance metadata did not answer); no request was made, so nothing was sent, and Alibaba refused nothing.",
    action: `Give the process that met it a credential: ${CREDENTIAL_SOURCES} (\`smsq worker\` names the source it resolved at start). ${FIX_WORKER_SETUP}`,
    queryAction: `Nothing was changed: give this command a credential (${CREDENTIAL_SOURCES}), then run it again.`,
    source: 'sdk',
  },
  TlsError: {
    errorClass: 'account',
    meaning:
      "The TLS handshake with the endpoint failed (its certificate was refused, or it does not speak TLS); no request was written. Except OpenSSL's \"wrong version number\", which plain bytes arriving after the request cause too (a proxy's error page outside TLS): a send that meets it is looked up before anything is resent.",
    action: `Check SMS_ENDPOINT and SMS_PROTOCOL (SMS_PROTOCOL=http when the endpoint speaks plain http, as the emulator does) and this machine's CA store. ${FIX_ACCOUNT}`,
    source: 'smsq',
  },
  // A refused connection and a name that does not exist are setup faults, not hiccups: nothing
  // listens at SMS_ENDPOINT (a wrong port, the emulator not started, a firewall that rejects), or
  // the name is wrong. Asking again does not help until someone fixes it, so the door refuses the
  // request (it does not skip its check). A worker backs off and calls again (RETRIED_BY_WORKERS):
  // on its host the refusal may be a blip. Nothing was written either way.
  ConnectionRefused: {
    errorClass: 'account',
    meaning:
      'Nothing accepted the TCP connection at the endpoint (nothing listens on that host and port, or a firewall refuses it); no byte of the request was written, so nothing was sent. A setup fault: asking again fails the same way until it is fixed.',
    action: `Start what SMS_ENDPOINT names (the sandbox emulator: \`smsq emulator\`), correct SMS_ENDPOINT, or check the network (a firewall refusing the port). ${FIX_WORKER_RETRIES}`,
    source: 'smsq',
  },
  // Something answered at SMS_ENDPOINT, but not as Dysmsapi (no code of its own): a 3xx or 4xx is
  // an answer that forwarded nothing, from another service on that port, a web server or a proxy's
  // page, so nothing was sent; it fails the same way until SMS_ENDPOINT is fixed. It is not a
  // worker's blip (RETRIED_BY_WORKERS): every worker pointed there meets it.
  NotDysmsapi: {
    errorClass: 'account',
    meaning:
      "Something answered at the endpoint, but not as Dysmsapi: an HTTP redirect or client error with no Dysmsapi code (another service on that host and port, a web server, a proxy's error page), so the request went no further and nothing was sent. A setup fault: asking again fails the same way until it is fixed.",
    action: accountAction(
      "Correct SMS_ENDPOINT to Dysmsapi's host[:port] (dysmsapi.aliyuncs.com, the default in live mode) or the smsq emulator's (`smsq emulator` prints it), not another service's port, and check SMS_PROTOCOL (a redirect is often http sent on to https).",
    ),
    source: 'smsq',
  },
  HostNotFound: {
    errorClass: 'account',
    meaning:
      "The endpoint's host name does not exist (DNS answered that it has no address: ENOTFOUND, EAI_NONAME, EAI_FAIL); no connection was made, so nothing was sent. A setup fault: asking again fails the same way until it is fixed.",
    action: `Correct SMS_ENDPOINT (Alibaba Cloud's is dysmsapi.aliyuncs.com, the default in live mode), or check this machine's DNS and network. ${FIX_WORKER_RETRIES}`,
    source: 'smsq',
  },

  // A request that cannot be built fails in this process, before a byte of it is written
  // (request-build-fault.ts): nothing was sent, nothing is owed a look-up, and it fails the same
  // way every time. Pinned on a value of the send, its recipients fail; otherwise every call of
  // this worker fails alike, and that worker backs off by itself (RETRIED_BY_WORKERS) rather than
  // fail every chunk in turn, or block the account for workers whose setup is fine.
  [REQUEST_NOT_BUILT]: {
    errorClass: 'permanent',
    meaning:
      'A value of the request cannot be put into an HTTP request (half of a UTF-16 surrogate pair, with no other half, in a field the SDK percent-encodes as it is: the signature name, the template code, the extend code); the SDK failed before writing anything, so nothing was sent, and the same request fails the same way every time.',
    queryMeaning: 'A value of the request cannot be put into an HTTP request (half of a UTF-16 surrogate pair, with no other half); nothing was called.',
    action: `Correct the field the message names, then send these recipients again (the door refuses such values; a chunk queued before fails with SMSQ_REQUEST_NOT_BUILT, never looked up or resent). ${FIX_RECIPIENT}`,
    queryAction: 'Nothing was changed: correct the value the message names, then run it again.',
    source: 'smsq',
  },
  [REQUEST_NOT_BUILT_UNEXPLAINED]: {
    errorClass: 'account',
    meaning:
      "A request could not be built (Node or the SDK threw while making it: a URIError, an argument or character it refused) and no value of the send, nor a header built from the worker's own credential or options, is known to be the cause; nothing was written, so nothing was sent. Unexplained, it may fail every call, on every worker, the same way: so it stops sending rather than put the job back for ever.",
    action: accountAction(
      "Read the message on the worker that met it (it quotes Node's words without the value): check that worker's AccessKey ID, STS token and SMS_ENDPOINT; if they are right, report it with the message (smsq should learn this failure).",
    ),
    source: 'smsq',
  },
  [REQUEST_NOT_BUILT_SETUP]: {
    errorClass: 'account',
    meaning:
      "A request could not be built from one worker's own setup, not from a value of the send: Node refused a header value (the AccessKey ID or STS token its credential provider returned holding a line break or another character a header cannot carry, or its userAgent option); nothing was written, so nothing was sent, and every call of that worker fails the same way until it is fixed there. Other workers, built from their own credentials, are not affected.",
    action: `Correct what the message names (a worker logs it at each back-off step), on the process that met it: its AccessKey ID or STS token (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_SECURITY_TOKEN, a credentials profile, its credential provider) or the client's userAgent option; restart it unless its provider hands out the corrected value by itself (a worker's first answered call ends its back-off). ${FIX_WORKER_SETUP}`,
    source: 'smsq',
  },

  // per-number flow control
  'isv.BUSINESS_LIMIT_CONTROL': {
    errorClass: 'flow_control',
    meaning:
      "Per-number flow control: too many messages to this number (verification codes 1/min, 5/hour, 10/day per signature; notifications 50/day per signature+template).",
    action: 'Not sent to that number now: retry only after the window (clock-aligned, UTC+8), or fail that recipient.',
    aliases: ['isv.BUSINESSLIMITCONTROL'],
    source: 'dysmsapi.md',
  },

  // throttled, not accepted
  Throttling: {
    errorClass: 'throttled',
    meaning: 'The request was throttled.',
    action: FIX_THROTTLED,
    source: 'dysmsapi.md',
  },
  'Throttling.User': {
    errorClass: 'throttled',
    meaning: "The account's request rate exceeds its cap (5000/s across all operations).",
    action: `${FIX_THROTTLED} Lower SMS_QPS if it happens often.`,
    source: 'dysmsapi.md',
  },
  'Throttling.Api': {
    errorClass: 'throttled',
    meaning: "The operation's global rate cap was hit.",
    action: FIX_THROTTLED,
    source: 'dysmsapi.md',
  },
  // EAI_AGAIN is the DNS server not answering in time, or failing for now ("try again"): a timeout
  // of the name look-up, so it is treated as one is at the door (the check is skipped with a
  // warning); nothing was written, so the workers back off and retry as for throttling.
  DnsTemporaryFailure: {
    errorClass: 'throttled',
    meaning:
      "The endpoint's host name could not be resolved just now: the DNS server did not answer in time, or failed for now (EAI_AGAIN); no connection was made, so nothing was sent.",
    action: "Safe to retry later (back off like throttling). If it persists, check this machine's DNS servers and network, and SMS_ENDPOINT.",
    queryAction: "Nothing was changed: run it again in a moment; if it keeps failing, check this machine's DNS servers and network, and SMS_ENDPOINT.",
    source: 'smsq',
  },

  // outcome unknown
  'isp.SYSTEM_ERROR': {
    errorClass: 'unknown',
    meaning: 'Alibaba reported an internal error; the message may or may not have been accepted.',
    queryMeaning: 'Alibaba reported an internal error; a look-up or account call changes nothing.',
    action: FIX_UNKNOWN,
    source: 'dysmsapi.md',
  },
  RequestTimeout: {
    errorClass: 'unknown',
    meaning: 'No answer within the timeout (SMS_READ_TIMEOUT_MS, for the connection and for the answer each); the request may have been processed.',
    queryMeaning: 'No answer within the timeout (SMS_READ_TIMEOUT_MS, for the connection and for the answer each).',
    action: FIX_UNKNOWN,
    queryAction: 'Nothing was changed: run it again; if it keeps failing, check that SMS_ENDPOINT is Dysmsapi (or the emulator) and reachable from here, or raise SMS_READ_TIMEOUT_MS for slow answers.',
    source: 'smsq',
  },
  ConnectionReset: {
    errorClass: 'unknown',
    meaning: 'The connection was reset or hung up before the answer was complete; the request may have been processed.',
    queryMeaning: 'The connection was reset or hung up before the answer was complete.',
    action: FIX_UNKNOWN,
    source: 'smsq',
  },
  NetworkError: {
    errorClass: 'unknown',
    meaning: 'A transport error other than timeout, reset, refusal or DNS; the request may have been written.',
    queryMeaning: 'A transport error other than timeout, reset, refusal or DNS.',
    action: FIX_UNKNOWN,
    source: 'smsq',
  },
  InvalidResponse: {
    errorClass: 'unknown',
    meaning: 'An answer arrived but could not be read (not JSON, or no Code); it may have been an acceptance.',
    queryMeaning: 'An answer arrived but could not be read (not JSON, or no Code).',
    action: FIX_UNKNOWN,
    queryAction: 'Nothing was changed: check that SMS_ENDPOINT is Dysmsapi (or the emulator), not another service; if it is, run it again (a proxy between may have failed).',
    source: 'smsq',
  },
  UnexpectedError: {
    errorClass: 'unknown',
    meaning: 'The SDK call failed in a way smsq does not recognise; the request may have been written.',
    queryMeaning: 'The SDK call failed in a way smsq does not recognise.',
    action: `${FIX_UNKNOWN} Report it: smsq should learn this failure.`,
    source: 'smsq',
  },
} satisfies Record<string, ErrorCodeInfo>);

/**
 * The rules {@link classifyCode} applies, in order, described for the CLI and docs/errors.md. Every rule errs
 * towards "unknown" where a send could have been accepted, and towards a safe class otherwise.
 */
export const CLASSIFICATION_DEFAULTS: readonly { rule: string; errorClass: ErrorClass | 'from the table'; why: string }[] = Object.freeze([
  { rule: 'code contains "Throttling"', errorClass: 'throttled', why: "the gateway refused the call before the API ran (the SDK's own ThrottlingError rule)" },
  { rule: 'HTTP status 5xx', errorClass: 'unknown', why: 'a server or gateway failure may happen after the send was accepted' },
  { rule: 'code in the table (exact, alias, or ignoring case, "_" and ".")', errorClass: 'from the table', why: 'the entry says what the code means' },
  { rule: 'code starts with "isp."', errorClass: 'unknown', why: 'isp.* are platform-side failures' },
  { rule: 'code starts with "isv."', errorClass: 'permanent', why: 'a business answer: the API answered and accepted nothing' },
  {
    rule: 'code starts with InvalidAccessKeyId, InvalidSecurityToken, InvalidTimeStamp, IncompleteSignature, Forbidden or NoPermission',
    errorClass: 'account',
    why: 'credentials, permissions or clock: nothing is sent until an operator fixes it',
  },
  { rule: 'HTTP 429', errorClass: 'throttled', why: 'too many requests, nothing accepted' },
  { rule: 'HTTP 401, 403, 404', errorClass: 'account', why: 'authentication, permission, or a wrong endpoint/API version' },
  { rule: 'any other code (HTTP 200 with Code != OK, or another 4xx)', errorClass: 'permanent', why: 'the API answered with a refusal: nothing was accepted' },
]);

const ACCOUNT_PREFIXES = ['InvalidAccessKeyId', 'InvalidSecurityToken', 'InvalidTimeStamp', 'IncompleteSignature', 'Forbidden', 'NoPermission'];

/** `isv.SMS_SIGN_NAME_ILLEGAL` and `isv.SMSSIGNNAME_ILLEGAL` both become `ISVSMSSIGNNAMEILLEGAL`. */
function squash(code: string): string {
  return code.replace(/[._]/g, '').toUpperCase();
}

interface Indexed {
  canonical: string;
  info: ErrorCodeInfo;
}

const EXACT = new Map<string, Indexed>();
const SQUASHED = new Map<string, Indexed>();
for (const [canonical, info] of Object.entries(ERROR_CODES)) {
  const entry = { canonical, info };
  for (const spelling of [canonical, ...(info.aliases ?? [])]) {
    EXACT.set(spelling, entry);
    SQUASHED.set(squash(spelling), entry);
  }
}

/** The table entry for a code in any known spelling, with its canonical name; undefined when not in the table. */
export function lookupCode(code: string): { code: string; info: ErrorCodeInfo } | undefined {
  const hit = EXACT.get(code) ?? SQUASHED.get(squash(code));
  return hit ? { code: hit.canonical, info: hit.info } : undefined;
}

function rule(errorClass: ErrorClass, meaning: string, action: string): Classification {
  return { errorClass, meaning, action, known: false };
}

/**
 * Classifies an Alibaba code (or a smsq transport code). `httpStatus` is the HTTP status of the answer
 * when there was one (200 for business errors in the body). See {@link CLASSIFICATION_DEFAULTS}.
 */
export function classifyCode(code: string, httpStatus?: number): Classification {
  if (code.includes('Throttling')) {
    const hit = lookupCode(code);
    return hit ? { ...pick(hit.info), known: true } : rule('throttled', 'The request was throttled.', FIX_THROTTLED);
  }
  if (httpStatus !== undefined && httpStatus >= 500) {
    const hit = lookupCode(code);
    const meaning = hit ? `${hit.info.meaning} (HTTP ${httpStatus})` : `The server failed with HTTP ${httpStatus}.`;
    return { errorClass: 'unknown', meaning, action: FIX_UNKNOWN, known: hit !== undefined && hit.info.errorClass === 'unknown' };
  }
  const hit = lookupCode(code);
  if (hit) return { ...pick(hit.info), known: true };
  if (code.startsWith('isp.')) return rule('unknown', 'An unrecognised platform-side (isp.*) failure.', FIX_UNKNOWN);
  if (code.startsWith('isv.')) {
    return rule('permanent', 'An unrecognised business error: the API refused the request and accepted nothing.', FIX_RECIPIENT);
  }
  if (ACCOUNT_PREFIXES.some((p) => code.startsWith(p))) {
    return rule('account', 'Credentials, permissions or the clock are wrong.', FIX_ACCOUNT);
  }
  if (httpStatus === 429) return rule('throttled', 'Too many requests (HTTP 429).', FIX_THROTTLED);
  if (httpStatus === 401 || httpStatus === 403) {
    return rule('account', `Authentication or permission refused (HTTP ${httpStatus}).`, FIX_ACCOUNT);
  }
  if (httpStatus === 404) {
    return rule('account', 'The endpoint does not know this operation (HTTP 404): wrong endpoint or API version.', `Check SMS_ENDPOINT. ${FIX_ACCOUNT}`);
  }
  return rule('permanent', 'An unrecognised error answer: the API refused the request and accepted nothing.', FIX_RECIPIENT);
}

function pick(info: ErrorCodeInfo): Omit<Classification, 'known'> {
  return { errorClass: info.errorClass, meaning: info.meaning, action: info.action };
}

/**
 * Codes of a call that never reached Dysmsapi because of how the endpoint is set up: nothing
 * listens at SMS_ENDPOINT, its name does not exist, it does not speak the protocol asked for, or
 * what answers there is not Dysmsapi. A command that meets one is told SMS_ENDPOINT and the fix
 * in one line, and exits 3 (Dysmsapi unreachable) though the class is `account` (what a worker
 * does: ERROR_CLASS_HANDLING).
 */
export const ENDPOINT_FAULTS: ReadonlySet<string> = new Set(['ConnectionRefused', 'HostNotFound', 'TlsError', 'NotDysmsapi']);

export function isEndpointFault(error: { code: string }): boolean {
  return ENDPOINT_FAULTS.has(error.code);
}

export function retriedByWorkers(error: { code: string }): boolean {
  return RETRIED_BY_WORKERS.has(error.code);
}

/** Whether a fault a worker backs off from is of its own setup (no request built), not of reaching its endpoint. */
export function isWorkerSetupFault(error: { code: string }): boolean {
  return error.code === REQUEST_NOT_BUILT_SETUP || error.code === INVALID_CREDENTIALS;
}

/**
 * A worker setup fault in one line with its fix: RequestNotBuilt.Setup's message names the setting
 * and its fix already; a credential the chain did not resolve says what the chain said, and the fix is its action's.
 */
export function workerSetupFaultLine(error: { code: string; message: string; action: string }): string {
  return /\bFix: /.test(error.message) ? error.message : `${error.message.replace(/\.\s*$/, '')}; nothing was sent. Fix: ${setupFix(error.action)}`;
}

/** An `account` action: the fix, then what the workers do meanwhile. */
export function accountAction(fix: string): string {
  return `${fix} ${FIX_ACCOUNT}`;
}

/** An `account` action without its last sentence, which tells the workers what to do: what a person fixes. */
export function setupFix(action: string): string {
  const workers = [FIX_ACCOUNT, FIX_WORKER_RETRIES, FIX_WORKER_SETUP].find((sentence) => action.endsWith(sentence));
  return workers === undefined ? action : action.slice(0, -workers.length).trim();
}

/**
 * Whether a failure is told in one line ({@link endpointFaultLine}) rather than with its meaning
 * and advice: an endpoint fault, wherever met; a credential the chain did not resolve (its message
 * names the sources tried); and, to a read, any failure whose message names SMS_ENDPOINT and its
 * value (a timeout, an answer that is not Dysmsapi's): what to fix is where the call went.
 */
export function toldInOneLine(error: { code: string; endpoint?: string | undefined }, read: boolean): boolean {
  return isEndpointFault(error) || error.code === INVALID_CREDENTIALS || (read && error.endpoint !== undefined);
}

// What every query's advice starts with (queryAction), which a one-line failure says on its own.
const NOTHING_CHANGED = /^Nothing was changed(?: \([^)]*\))?: /;

/**
 * The one line an endpoint fault (or another {@link toldInOneLine} failure) is told in, by the
 * CLI, REST and the worker alike: what happened at which SMS_ENDPOINT (the message names it and its
 * value), what was `undone`, and the fix; for a `read`, a query's fix where the code has one, or
 * where it is not a setup fault (a query sends nothing, and asking again is always safe).
 */
export function endpointFaultLine(error: { code: string; errorClass?: ErrorClass; message: string; action: string }, undone: string, read = false): string {
  const errorClass = error.errorClass;
  const query = read && errorClass !== undefined && (lookupCode(error.code)?.info.queryAction !== undefined || errorClass !== 'account') ? queryAction({ ...error, errorClass }) : undefined;
  return `${error.message}; ${undone}. Fix: ${query === undefined ? setupFixTail(error.action) : asTail(query.replace(NOTHING_CHANGED, ''))}`;
}

/** {@link setupFix} as the tail of a line: "Fix: start ...", as smsq's other one-line errors say it. */
export function setupFixTail(action: string): string {
  return asTail(setupFix(action));
}

/** A sentence as the tail of a line: its first word in lower case (not a name such as SMS_ENDPOINT), no full stop. */
function asTail(sentence: string): string {
  return sentence.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase()).replace(/\.$/, '');
}

/**
 * What a failure means when the call was a look-up or an account call: the table's
 * {@link ErrorCodeInfo.queryMeaning} where the meaning speaks of a message (keeping what follows
 * it, such as " (HTTP 500)"), else the meaning as it is.
 */
export function queryMeaning(error: { code: string; meaning: string }): string {
  const info = lookupCode(error.code)?.info;
  if (info?.queryMeaning === undefined || !error.meaning.startsWith(info.meaning)) return error.meaning;
  return info.queryMeaning + error.meaning.slice(info.meaning.length);
}

/**
 * What to do after a read-only call (a catalog look-up, QuerySendDetails, statistics) failed with
 * this classification. The table's actions are for a send: a query has no recipients to fail, no
 * send to stop and no attempt to look up, and asking again never sends anything.
 */
export function queryAction(error: { code: string; errorClass: ErrorClass; action: string }): string {
  const own = lookupCode(error.code)?.info.queryAction;
  if (own !== undefined) return own;
  switch (error.errorClass) {
    case 'unknown':
      return 'Nothing was changed (a query sends nothing): run it again; if it keeps failing, check SMS_ENDPOINT, the network, and SMS_READ_TIMEOUT_MS for slow answers.';
    case 'throttled':
    case 'flow_control':
      return "Nothing was changed: the account is over its call cap (the workers' calls count too); run it again in a moment.";
    case 'sign_template': {
      // The CLI names the command that lists what the account has on the next line.
      return `Nothing was changed: check the ${error.code.toUpperCase().includes('TEMPLATE') ? 'template code' : 'signature name'} given against what the account has.`;
    }
    case 'account': {
      // The specific part names the credential or the setting to fix; the rest is about sending.
      const fix = setupFix(error.action);
      return `${fix === error.action ? '' : `${fix} `}Nothing was changed: run it again after the fix.`;
    }
    case 'permanent':
    case 'accepted':
      return 'Nothing was changed: check the ids and values given (the server\'s message above names the one it refused), then run it again.';
  }
}
