/**
 * smsq's own errors and codes: ONE list ({@link SMSQ_CODES}) of every `SMSQ_*` code with its
 * meaning, HTTP status and CLI exit code, which the CLI error printer, the REST error handler and
 * the producer API all draw on. SMS API errors are `SmsError` (src/sms/errors.ts).
 */

import { maskPhonesInText } from './sms/phone-mask.js';
import { fieldSpelling, inApiTerms, inEnvironmentTerms, isMentionedSetting, mention, quoted, type Spelling } from './setting-mention.js';
import { otherIdShape, SEND_ID_SHAPE } from './send-id-shape.js';
import { addressFreeReason } from './queue/address-free-reason.js';
/**
 * Exit codes of every `smsq` command. 1 is what Node itself exits with on an uncaught exception,
 * so it stays "unexpected" and a script can tell a crash from a deliberate answer; 2 is the
 * customary code for a usage error (and what bad flags already exited with); 130 and 143 are what
 * shells report for a process ended by SIGINT and SIGTERM (128 + the signal's number).
 */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** An unexpected internal error (a bug): report it. */
  internal: 1,
  /** Refused: bad input, flags or environment. Nothing was sent or enqueued (but for SMSQ_LIST_INTERRUPTED: what was read is a paused send); fix and run again. */
  refused: 2,
  /** A dependency (Dysmsapi, Redis, the network) failed; running again later may succeed. */
  dependency: 3,
  /** `--wait` stopped before the send was through (its `--timeout`, or Redis lost meanwhile): the send is enqueued and goes on (`smsq status ID`). */
  waitStopped: 4,
  /** Interrupted (Ctrl-C, SIGINT): what was enqueued stays enqueued, and its id was printed (a campaign stopped while reading its list is paused: SMSQ_CAMPAIGN_STOPPED). */
  interrupted: 130,
  /** Stopped by SIGTERM: as {@link EXIT.interrupted}. */
  terminated: 143,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What a code is: an error answered to a caller, or an outcome recorded on a recipient or chunk. */
export interface SmsqCodeInfo {
  /** One sentence: what happened. */
  meaning: string;
  /** HTTP status when the REST API answers with it; undefined for recorded outcomes. */
  httpStatus: number | undefined;
  /** CLI exit code when a command ends with it; undefined for recorded outcomes. */
  exitCode: ExitCode | undefined;
}

const answered = (meaning: string, httpStatus: number, exitCode: ExitCode): SmsqCodeInfo => ({ meaning, httpStatus, exitCode });
const recorded = (meaning: string): SmsqCodeInfo => ({ meaning, httpStatus: undefined, exitCode: undefined });

/** Every `SMSQ_*` code smsq uses. A unit test checks the sources use no other. */
export const SMSQ_CODES = Object.freeze({
  // Answers to a caller (CLI, REST, producer API).
  SMSQ_INVALID_REQUEST: answered('the request is invalid (the issues name each field and the fix); nothing was enqueued', 400, EXIT.refused),
  SMSQ_BAD_FLAG: answered('a command-line flag or argument is wrong; nothing was called', 400, EXIT.refused),
  SMSQ_CONFIG_INVALID: answered('an environment variable, or an option given to createSmsWorker, createProducer or createRedisConnection, is wrong (each line names it and the fix); nothing was called', 500, EXIT.refused),
  SMSQ_NOT_FOUND: answered('the send (or route) does not exist or has expired', 404, EXIT.refused),
  SMSQ_UNAUTHORIZED: answered('a missing or wrong bearer token, login or report token', 401, EXIT.refused),
  SMSQ_METHOD_NOT_ALLOWED: answered('the route does not take this HTTP method', 405, EXIT.refused),
  SMSQ_REQUEST_TIMEOUT: answered('the request did not arrive in time (Node\'s headers or request timeout); nothing was enqueued', 408, EXIT.refused),
  SMSQ_HEADERS_TOO_LARGE: answered('the request line and headers are over the server\'s limit (16 KiB, the URL included)', 431, EXIT.refused),
  SMSQ_BODY_TOO_LARGE: answered('the request body is over SMSQ_SERVER_BODY_LIMIT / SMSQ_SERVER_CSV_LIMIT; nothing was enqueued (a push: applied)', 413, EXIT.refused),
  SMSQ_UNSUPPORTED_MEDIA_TYPE: answered('the Content-Type (named), its charset or the Content-Encoding is not one the route takes; nothing was enqueued (a push: applied)', 415, EXIT.refused),
  SMSQ_SMS_CLIENT_OPTIONS: answered('the Dysmsapi client options are wrong (endpoint, protocol, timeouts, userAgent, credentials)', 500, EXIT.refused),
  SMSQ_REDIS_UNAVAILABLE: answered('Redis (REDIS_URL, or the `redis` option of `createProducer` and `createSmsWorker`) did not answer in time; nothing was enqueued (a control: not applied, or perhaps applied when cut during its write)', 503, EXIT.dependency),
  SMSQ_REDIS_AUTH: answered('Redis (REDIS_URL, or the `redis` option of `createProducer` and `createSmsWorker`) refused smsq\'s credentials (WRONGPASS: a wrong user or password; NOAUTH: none given where one is required) or a command to its user (NOPERM); nothing was read or written (NOPERM: that command was not run; part-way through a campaign, a command refused or the credentials refused on a reconnect (a password rotated), the send it created holds what was written before, and the error\'s `campaign` names it and the count). The message names the Redis as the caller set it (REDIS_URL, or the `redis` option to a Node caller; password redacted), Redis\'s reply and the fix: the user:password in its URL (or the connection\'s username/password options), or the user\'s ACL. A retry will not help', 500, EXIT.refused),
  SMSQ_REDIS_WRITES_REFUSED: answered('Redis (REDIS_URL, or the `redis` option of `createProducer` and `createSmsWorker`) answers but refuses writes: it is at its maxmemory with maxmemory-policy noeviction (OOM), it cannot save to disk (MISCONF), or it is a read-only replica (READONLY); the message names which, what was left (nothing enqueued; a control not applied; nothing changed; a push not applied, or only in part, and pushed again by Alibaba) and the fix (raise maxmemory or free memory; fix its disk; point REDIS_URL at the primary). Retry once Redis is fixed', 503, EXIT.dependency),
  SMSQ_NOT_DURABLE: answered('a write could not be confirmed durable in time (WAIT / WAITAOF); nothing was acknowledged or sent on it', 503, EXIT.dependency),
  SMSQ_REDIS_NOT_DURABLE: answered('Redis cannot keep the durability mode SMSQ_DURABILITY (`durability.mode` of `createProducer` and `createSmsWorker`) asks for (a setting, a replica missing, a replica where the primary is expected, `fsync` where a failover promotes a replica by itself: Sentinel, a Cluster master with replicas; the message names it and the fix): smsq refuses to start on it, and a running producer refuses to enqueue (a running worker makes no call) until it does; nothing was enqueued. Retry once Redis is fixed', 503, EXIT.dependency),
  SMSQ_NOT_READY: answered('the server is not ready: it is stopping, Redis does not answer or no worker serves the queue; or the account check of a send could not call Dysmsapi (the AccessKey, a permission, SMS_ENDPOINT (`endpoint` of `createSmsClient`) not reached: the message names it and the fix), and nothing was enqueued', 503, EXIT.dependency),
  SMSQ_IDEMPOTENCY_KEY_REUSED: answered('the Idempotency-Key stands for an earlier request with other settings, or for a campaign with another recipient list (the message names them), or was used for another kind of request (a send, a batch, a campaign: named as a different request, use a new key); nothing was enqueued', 422, EXIT.refused),
  SMSQ_IDEMPOTENCY_IN_PROGRESS: answered('a request with the same Idempotency-Key and settings is still being enqueued (a campaign\'s list is compared once it has ended); nothing was enqueued by this one. Retry in a moment: the same request then gets that send, a campaign with another recipient list is refused SMSQ_IDEMPOTENCY_KEY_REUSED', 409, EXIT.refused),
  SMSQ_IDEMPOTENCY_KEY_CUT_SHORT: answered('the Idempotency-Key stands for a campaign whose list was cut short (it stopped reading, or was stopped; or its producer was killed mid-list and the send cancelled, or failed as abandoned by the repair sweep): its send holds only the recipients read before, so it is not this request done; nothing was enqueued by this one. The message names the send, its state, how many it holds, and the ways on', 409, EXIT.refused),
  SMSQ_SEND_WITHDRAWN: answered('the Idempotency-Key stands for a send whose enqueue was refused as not confirmed durable (SMSQ_NOT_DURABLE) and withdrawn, and which was cancelled since (no retry took it back within SMSQ_REPAIR_ENQUEUE_GRACE_MS (`repair.enqueueGraceMs` of `createSmsWorker`)): it is not this request done; nothing was enqueued by this one. Make the request again under a new key', 409, EXIT.refused),
  SMSQ_PRODUCER_CONNECTION: answered('createProducer was handed a Redis connection it cannot keep its promises on: one that queues writes while Redis is down or sends them again after a reconnect (enableOfflineQueue, autoResendUnfulfilledCommands: such a write goes to whichever server the connection reaches next, which may lack the send\'s earlier writes), or whose command timeout would cut a durability confirmation; nothing was created. The message names the option and the fix (createRedisConnection(url, { role: \'client\' }))', 500, EXIT.refused),
  SMSQ_PRODUCER_CLOSED: answered('the producer (producer.close()) or the events consumer (its close()) was closed; nothing was enqueued, changed or read. Create a new one (a bug in the caller)', 500, EXIT.internal),
  SMSQ_LIST_INTERRUPTED: answered('a campaign\'s recipient list stopped reading part-way (a damaged workbook, a read error): the recipients read before it were enqueued as a send, now paused; the message names it, how many, and how to resume or cancel it', 400, EXIT.refused),
  SMSQ_CAMPAIGN_STOPPED: answered('a campaign was stopped (Ctrl-C / SIGTERM, its AbortSignal, producer.closeWithin when its grace ran out, the client of POST /v1/campaigns disconnecting before its answer, or smsq server cutting it when its shutdown grace ran out) while its list was read: the recipients read before it were enqueued as a send, now paused; the message names it, how many, and how to resume or cancel it (or says nothing was enqueued, when the send did not exist yet). The CLI exits 130 (SIGINT) or 143 (SIGTERM); the server logs the message (its client is gone: the 499 it answers, as a caller that went away is counted, reaches nobody)', 499, EXIT.interrupted),
  SMSQ_SEND_CANCELLED: answered('the send was cancelled while this request was enqueuing it (an operator\'s cancel): the cancel ended its enqueue at the recipients written before it, which were cancelled, and the rest of the request or list was not enqueued; the message names the send and how many it holds', 409, EXIT.refused),
  SMSQ_SEND_ENDED: answered('the send was cancelled: a control cannot bring it back; nothing was changed', 409, EXIT.refused),
  SMSQ_SEND_ALREADY_SENT: answered('a cancel or a pause of a send with nothing left to send: every recipient was already sent (the send is `sent`, its receipts being collected, or `completed`), so the cancel or pause would stop nothing; nothing was changed, and the send goes on to its receipts. The message says what to do instead', 409, EXIT.refused),
  SMSQ_REPAIR_BUSY: answered('another repair sweep holds the lease; run it again in a minute, or use --dry-run', 409, EXIT.refused),
  SMSQ_INTERNAL: answered('an unexpected internal error; the log has the details', 500, EXIT.internal),
  SMSQ_UNDECLARED_TRANSITION: answered('a code path asked for a state transition the lifecycle table (src/queue/lifecycle.ts) does not declare, or for fields it does not record; nothing was changed (a bug: report it)', 500, EXIT.internal),
  // Outcomes recorded on chunks and recipients (read back with `smsq status --recipients`).
  SMSQ_INVALID_NUMBER: recorded('the number was rejected at the door (not a valid mobile number, or not for the template\'s region)'),
  SMSQ_INVALID_RECIPIENT: recorded('the campaign row was rejected at the door for its params or its line, not its number (the campaign\'s result gives the reason)'),
  SMSQ_OPTED_OUT: recorded('the number opted out of marketing; it was skipped'),
  SMSQ_CANCELLED: recorded('the send was cancelled before this chunk went out'),
  SMSQ_DEADLINE: recorded('the send\'s deadline passed before this chunk went out'),
  SMSQ_SEND_FAILED: recorded('the send failed as a whole (signature or template unusable) before this chunk went out'),
  SMSQ_GAVE_UP: recorded('the queue gave up on the chunk before it was sent: too many starts or look-ups, its attempts reached the most an OutId names (MAX_ATTEMPT, src/queue/out-id.ts), or its record holds an attempt no claim of smsq makes'),
  SMSQ_PAYLOAD_UNREADABLE: recorded('the chunk\'s stored payload or kind does not parse (altered or cut short in Redis): nothing more is sent or looked up from it; read before its call, nothing was sent and its recipients failed; the reason names the field'),
  SMSQ_REQUEST_NOT_BUILT: recorded('the chunk\'s call failed before a byte of it was written, on a value of the send no request can carry (half of a UTF-16 surrogate pair in its signature name, template code or extend code: a chunk queued before the door refused it): nothing was sent, and it would fail the same way again, so its recipients failed, neither looked up nor resent; the reason names the field and the fix'),
  SMSQ_WORKER_LOST: recorded('a worker died during the call: the outcome is looked up before anything is resent'),
  SMSQ_NOT_ACCEPTED: recorded('a look-up proved the attempt was not accepted; the chunk is sent again'),
  SMSQ_OUTCOME_UNKNOWN: recorded('the outcome could not be looked up (look-ups kept failing, or the record holds nothing to look up by: a payload that does not parse, an attempt no claim of smsq makes); recipients expired as unknown, not resent'),
  SMSQ_REDIS_ROLLBACK: recorded('Redis came back without this attempt\'s claim (a rollback): the outcome is looked up before anything is resent'),
  SMSQ_SHUTDOWN: recorded('the worker was stopping: the attempt was undone before its call (counted in attemptsUndone, not attempts) and the job handed back, none of its starts spent'),
  SMSQ_ACCOUNT_PAUSED: recorded('Dysmsapi throttled the account and every worker paused while the claim waited for its pacer slot: the attempt was undone before its call and the job put back for after the pause'),
  SMSQ_SEND_STOPPED: recorded('the send was paused, cancelled or failed while the claim waited for its confirmation (a WAIT durability mode; a producer whose enqueue was not confirmed withdraws its send so): the attempt was undone before its call, and its next claim holds or ends the chunk as the send says'),
  SMSQ_CLAIM_EXPIRED: recorded('the worker was held up between the claim and the call past the call deadline: the attempt was undone before its call and made again'),
  SMSQ_ORPHANED: recorded('the repair sweep found the chunk without a job: it is looked up before anything is resent'),
  SMSQ_ENQUEUE_CUT_SHORT: recorded('the send was cancelled before its enqueue ended (its producer killed mid-list, or cancelled while it wrote): the cancel, or the repair sweep, ended the enqueue at the chunks written by then; it holds those recipients, the rest of its list was never enqueued, and rows its producer refused or dropped as duplicates before then were not recorded'),
  SMSQ_ENQUEUE_ABANDONED: recorded('the producer died before acknowledging the send, and wrote nothing for SMSQ_REPAIR_ENQUEUE_GRACE_MS (`repair.enqueueGraceMs` of `createSmsWorker`): the repair sweep failed it and ended its enqueue at the chunks written by then; it holds those recipients (those not sent by then are never sent), the rest of its list was never enqueued, and rows its producer refused or dropped as duplicates before then were not recorded'),
  SMSQ_SEND_MISSING: recorded('the send record is gone (deleted by hand, evicted under a maxmemory policy, or lost by Redis) while the chunk was kept: the chunk was ended without a call (a queued one by its claim, or by the repair sweep)'),
  SMSQ_RECEIPT_WINDOW: recorded('no final receipt arrived within the receipt window (SMSQ_RECEIPT_WINDOW_HOURS, `receiptSchedule.windowMs` of `createSmsWorker`); expired by chunk when the chunk\'s stored payload no longer parses (its reason says why)'),
} satisfies Record<string, SmsqCodeInfo>);

export type SmsqCode = keyof typeof SMSQ_CODES;

/** The HTTP status of an answered code (500 for a recorded outcome, which is never an answer). */
export function httpStatusOf(code: SmsqCode): number {
  return SMSQ_CODES[code].httpStatus ?? 500;
}

/** The exit code of an answered code (internal for a recorded outcome, which is never an answer). */
export function exitCodeOf(code: SmsqCode): ExitCode {
  return SMSQ_CODES[code].exitCode ?? EXIT.internal;
}

/**
 * The base of every error smsq answers a caller with: its `code` is one of {@link SMSQ_CODES}, so a
 * caller catches them all with one `instanceof` and tells them apart by the code (each also has its
 * own class, for the fields it carries).
 */
export abstract class SmsqError extends Error {
  abstract readonly code: SmsqCode;
}

/** Whether `err` is one of smsq's errors (see {@link SmsqError}). */
export function isSmsqError(err: unknown): err is SmsqError {
  return err instanceof SmsqError;
}

/** One problem with one field of a request. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `phones[3]` or `templateParam.code`. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * A request refused at the door; nothing was enqueued. Phone-looking digit runs in the issues are
 * masked (`138****8000`) here, whoever wrote them: errors travel to logs and to other people.
 */
/**
 * Thrown when the environment (loadConfig) or a component's options are invalid; `lines` holds one
 * message per bad variable or option, each naming it and the fix.
 */
export class ConfigError extends SmsqError {
  /** SMSQ_CONFIG_INVALID; SMSQ_REDIS_AUTH for Redis refusing the credentials REDIS_URL gives ({@link RedisAuthRefusedError}). */
  readonly code: 'SMSQ_CONFIG_INVALID' | 'SMSQ_REDIS_AUTH' = 'SMSQ_CONFIG_INVALID';
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Redis refused the database the connection's URL names (one it lacks, or one its user may not
 * SELECT): a configuration to fix. The line names the Redis as the Node API's `redis` option
 * (`` `redis: "redis://…/99"` ``), which the CLI and `smsq server`'s log say as REDIS_URL; REST
 * answers `apiMessage`, which names neither the Redis nor its user (as {@link SendNotFoundError}).
 */
export class RedisDatabaseRefusedError extends ConfigError {
  /** The same refusal for an HTTP client: what happened and who can fix it. */
  readonly apiMessage = 'Redis refused the database this server is configured to use; nothing was read or written. Fix: tell the operator of this server: its log names REDIS_URL and the fix';
  constructor(line: string) {
    super([line]);
    this.name = 'RedisDatabaseRefusedError';
  }
}

/**
 * The connection's URL names one node of a Redis Cluster as a single Redis (`redis://`, INFO
 * `cluster_enabled:1`): every key outside that node's slots would be refused MOVED, and a
 * deployment whose slot it serves would run unseen by the Cluster client's failover handling.
 * A configuration to fix; said as {@link RedisDatabaseRefusedError} is.
 */
export class RedisClusterNodeError extends ConfigError {
  /** The same refusal for an HTTP client: what happened and who can fix it. */
  readonly apiMessage = 'Redis is a Cluster that this server is configured to reach as a single Redis; nothing was read or written. Fix: tell the operator of this server: its log names REDIS_URL and the fix';
  constructor(line: string) {
    super([line]);
    this.name = 'RedisClusterNodeError';
  }
}

/** The reply words by which Redis refuses credentials or a command to its user (src/queue/redis-errors.ts finds them). */
export type RedisAuthReply = 'WRONGPASS' | 'NOAUTH' | 'NOPERM';

/**
 * Redis refused smsq's credentials (WRONGPASS, NOAUTH) or a command to its user (NOPERM): a
 * configuration to fix, not an outage to wait out (ioredis reconnects and is refused again). The
 * line names the Redis (password redacted; `redis` to a Node caller, REDIS_URL in the CLI and the
 * logs), Redis's reply and the fix; REST answers `apiMessage`, which names neither the Redis nor its user.
 */
export class RedisAuthRefusedError extends ConfigError {
  override readonly code = 'SMSQ_REDIS_AUTH';
  /** The same refusal for an HTTP client: what happened and who can fix it. */
  readonly apiMessage: string;
  constructor(
    /** REDIS_URL with any password replaced by `<redacted>`. */
    readonly redactedUrl: string,
    readonly reply: RedisAuthReply,
    /** Redis's reply, one line (it names no password). */
    readonly reason: string,
    /**
     * A campaign whose send was created, and part of it written, before Redis refused a command
     * (NOPERM) or, on a reconnect, the credentials (WRONGPASS, NOAUTH: a password rotated): as
     * {@link RedisUnavailableError.campaign}, so that the caller can find the send, complete it
     * under its key or cancel it.
     */
    readonly campaign?: CutOffCampaign,
  ) {
    super([campaign ? refusedPartWayLine(redactedUrl, reply, reason, campaign) : redisAuthRefusalLine(redactedUrl, reply, reason)]);
    this.name = 'RedisAuthRefusedError';
    const what = reply === 'NOPERM' ? 'a command to the Redis user this server is configured with (NOPERM)' : `the credentials this server is configured with (${reply})`;
    const outcome = !campaign
      ? reply === 'NOPERM' ? '; it was not run' : '; nothing was read or written'
      : `${reply === 'NOPERM' ? ' part-way through a campaign (that command was not run)' : ' on reconnecting part-way through a campaign'}: send ${campaign.sendId} was created and holds ${campaign.written} recipients (workers may have sent them already), the rest of the list was not written`;
    this.apiMessage = `Redis refused ${what}${outcome}. Fix: tell the operator of this server: its log names REDIS_URL and the fix (a retry will not help)`;
  }

  /** The same refusal, met part-way through `campaign` (its send created, some of it written). */
  partWayThrough(campaign: CutOffCampaign): RedisAuthRefusedError {
    return new RedisAuthRefusedError(this.redactedUrl, this.reply, this.reason, campaign);
  }
}

/** Where credentials come from, as the fix of a refusal names them. */
const CREDENTIALS_FROM = `the user:password in ${mention('redis')} (redis://USER:PASSWORD@host:port; redis://:PASSWORD@host:port for requirepass), or the username/password options of the ioredis connection given to smsq`;

/** What grants a user the commands smsq runs, or gives another: the fix of a NOPERM. */
const GRANT_FIX = `grant that user the commands, keys and channels smsq uses (ACL SETUSER USER +@all ~* &*), or give another user in ${CREDENTIALS_FROM}`;

/**
 * A refusal part-way through a campaign, said for what it was: a command refused to its user
 * (NOPERM: that command and the rest not written; the grant), or the credentials refused on a
 * reconnect (WRONGPASS, NOAUTH: the link was lost, so a write under way may have landed; the
 * password). Then what was written, as an outage part-way says it ({@link RedisUnavailableError}),
 * and what completes or stops the send once the fix is made. Only a producer's campaign meets it:
 * said in the Node API's words, as that outage is (the Redis as `` `redis: "redis://…"` ``, the
 * worker's `repair.enqueueGraceMs`, `producer.recipientPage`), which the CLI and `smsq server`
 * respell as REDIS_URL, SMSQ_REPAIR_ENQUEUE_GRACE_MS and `smsq status ID --recipients`
 * (src/setting-mention.ts). A refusal met before anything was written is said so too
 * ({@link redisAuthRefusalLine}).
 */
function refusedPartWayLine(redactedUrl: string, reply: RedisAuthReply, reason: string, campaign: CutOffCampaign): string {
  const at = `Redis at ${mention('redis', redactedUrl)}`;
  const url = mention('redis');
  const written = `send ${campaign.sendId} was created, and ${campaign.written} recipients were confirmed enqueued in it`;
  if (reply === 'NOPERM') {
    return `${at} refused a command to its user (${reason}) part-way through a campaign: ${written} (workers may have sent them already); the refused command and the rest of the list were not written. ${cutOffFix(campaign, `once that user may run the commands, keys and channels smsq uses (ACL SETUSER USER +@all ~* &*), or ${url} (or the connection's username/password) names a user that may`)}`;
  }
  const once = reply === 'NOAUTH'
    ? `once ${url} (redis://:PASSWORD@host:port; redis://USER:PASSWORD@host:port for an ACL user), or the password option of the connection, gives the password this Redis now requires`
    : `once ${url} (or the connection's username/password) holds credentials this Redis accepts: a user it has, enabled, and its password as it is now (a password rotated in Redis, rotated in ${url} too)`;
  return `${at} refused the credentials given on reconnecting (${reason}) part-way through a campaign: ${written} (more may have been written as the connection was lost; workers may have sent them already); the rest of the list was not written. ${cutOffFix(campaign, once)}`;
}

/**
 * A refusal before anything was written, in the Node API's words as the outage is (`` `redis:
 * "redis://…"` ``): a producer or worker built in Node was given `redis`, not REDIS_URL. The Redis
 * watch's log, the CLI and `smsq server` say it in the environment's ({@link inEnvironmentTerms}).
 */
function redisAuthRefusalLine(redactedUrl: string, reply: RedisAuthReply, reason: string): string {
  const at = `Redis at ${mention('redis', redactedUrl)}`;
  const noRetry = 'a retry will not help';
  if (reply === 'NOAUTH') return `${at} requires a password, and none was given (${reason}); nothing was read or written. Fix: give it in ${mention('redis')} (redis://:PASSWORD@host:port; redis://USER:PASSWORD@host:port for an ACL user), or in the password option of the ioredis connection given to smsq; ${noRetry}`;
  if (reply === 'WRONGPASS') return `${at} refused the credentials given (${reason}); nothing was read or written. Fix: correct ${CREDENTIALS_FROM}: a user this Redis has, enabled, and its password; ${noRetry}`;
  return `${at} refused a command to its user (${reason}); that command was not run. Fix: ${GRANT_FIX}; ${noRetry}`;
}

export class ValidationError extends SmsqError {
  readonly code = 'SMSQ_INVALID_REQUEST';
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    const masked = issues.map((i) => ({ field: maskPhonesInText(i.field), message: maskPhonesInText(i.message) }));
    super(masked.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = masked;
    this.name = 'ValidationError';
  }
}

/** A send id that does not exist (or has expired); `why`, when given, says why after it, then `fix`. */
export class NotFoundError extends SmsqError {
  readonly code = 'SMSQ_NOT_FOUND';
  constructor(
    what: string,
    readonly fix?: string,
    why?: string,
  ) {
    super(`${what} not found${why === undefined ? '' : `: ${why}`}${fix === undefined ? '' : `. Fix: ${fix}`}`);
    this.name = 'NotFoundError';
  }
}

/** Where a send was looked for: the Redis (its URL, password redacted) and the key prefix. */
export interface SendLookupPlace {
  redisUrl: string;
  prefix: string;
}

/**
 * A send that is not in the Redis and prefix it was looked for in. The message names both (the
 * CLI's: an operator can fix REDIS_URL); REST answers `apiMessage`, which leaves the Redis out: its
 * host, port and user are the deployment's layout, and an API client cannot act on them. An id
 * from another deployment, or from the sandbox (its keys are deleted when its run ends), is not there.
 */
export class SendNotFoundError extends NotFoundError {
  /** The same refusal for an API client: the id's shape and the prefix, not where Redis is. */
  readonly apiMessage: string;
  constructor(sendId: string, where: SendLookupPlace) {
    // A BizId or an OutId copied from another command is told as what it is, with the command that finds it.
    const other = otherIdShape(sendId);
    super(
      `send ${other?.shown ?? sendId}`,
      // Said in the Node API's words (its options); the CLI says them as the environment's (src/setting-mention.ts).
      other?.fix ?? `check the id (${SEND_ID_SHAPE}), and that ${mention('redis')} (${where.redisUrl}) and ${mention('prefix', where.prefix)} are the Redis and prefix it was sent through; records expire after ${mention('retention')}`,
      other === undefined ? undefined : `${other.shown} ${other.what}`,
    );
    this.name = 'SendNotFoundError';
    this.apiMessage =
      other === undefined
        ? `send ${sendId} not found. Fix: check the id (${SEND_ID_SHAPE}), and that it was sent through this deployment (SMSQ_PREFIX ${where.prefix}); records expire after SMSQ_RETENTION_DAYS`
        : `send ${other.shown} not found: ${other.shown} ${other.what}. Fix: ${other.apiFix}`;
  }
}

/**
 * How a reason starts when the port answered in another protocol (src/queue/redis-errors.ts): a
 * wrong port, not a Redis gone, so it is told as such and has a fix of its own.
 */
export const NOT_REDIS = 'answered, but not as Redis';

/**
 * How a reason starts when the server's TLS certificate was refused (src/queue/redis-errors.ts):
 * a CA this process does not trust, a certificate that does not name the address dialled. Redis is
 * there and waiting cannot help, so it is told as such and has a fix of its own.
 */
export const CERTIFICATE_REFUSED = 'the TLS certificate ';

/**
 * How a reason starts when Redis refused this process's side of the TLS handshake: it asks for a
 * client certificate (`tls-auth-clients yes`, Redis's default) and none was presented, or it did
 * not trust the one presented. Redis is there and waiting cannot help.
 */
export const CLIENT_CERTIFICATE_REFUSED = 'Redis refused the TLS handshake: ';

/** True when `reason` is something at REDIS_URL that answers but cannot be used as it is: a wait or a start of Redis mends nothing. */
function answeredUnusable(reason: string): boolean {
  return reason.startsWith(NOT_REDIS) || reason.startsWith(CERTIFICATE_REFUSED) || reason.startsWith(CLIENT_CERTIFICATE_REFUSED);
}

/**
 * The start of a reason that is the Redis Cluster's state rather than a Redis gone: smsq's slot
 * moving between masters (TRYAGAIN, ASK and MOVED past the redirections ioredis follows), the
 * Cluster down (CLUSTERDOWN), a master failed and no replica promoted yet. Starting Redis fixes
 * none of these: the reshard or failover ends, or an operator finishes it.
 */
export const IN_CLUSTER = 'the Redis Cluster ';

/** The start of a reason that no master answers for smsq's slot while the Cluster is up ({@link IN_CLUSTER}): before a replica's promotion, or for good with none. */
export const NO_SLOT_MASTER = `${IN_CLUSTER}has no master for `;

/**
 * The start of a "Redis does not answer" line, in the Node API's words (src/setting-mention.ts:
 * the Redis as `` `redis: "redis://host:6379"` ``): the Redis and what happened; or, when something
 * else answered there, that it did.
 */
function doesNotAnswer(redactedUrl: string, reason: string): string {
  const at = mention('redis', redactedUrl);
  if (reason.startsWith(IN_CLUSTER)) return `Redis at ${at} cannot serve smsq's keys now: ${reason}`;
  if (reason.startsWith(CLIENT_CERTIFICATE_REFUSED)) return `Redis at ${at} ${reason.slice('Redis '.length)}`;
  return reason.startsWith(NOT_REDIS) ? `something at ${at} ${reason}` : `Redis at ${at} does not answer (${reason})`;
}

/**
 * The start of every "Redis does not answer" line smsq's processes write to their operator (the
 * CLI, logs): REDIS_URL and what happened; or, when something else answered there, that it did.
 */
export function redisDoesNotAnswer(redactedUrl: string, reason: string): string {
  return inEnvironmentTerms(doesNotAnswer(redactedUrl, reason));
}

/** What finishes a reshard or a failover that does not end on its own ({@link IN_CLUSTER}). */
const CLUSTER_REPAIR = '`redis-cli --cluster check <host:port>` names a slot left migrating or without a master, and `redis-cli --cluster fix <host:port>` finishes it';

/**
 * What brings back a Cluster down (CLUSTERDOWN, `cluster_state:fail`): most often a master failed
 * with no replica to take its slots. `redis-cli --cluster fix` would give those slots, empty, to
 * other masters, and the failed master's keys would be lost: not the fix to name here.
 */
const CLUSTER_DOWN_REPAIR = 'a master failed with no replica to take its slots: start it again (`redis-cli --cluster check <host:port>` names the one it cannot connect to)';

/** What ends a Cluster's state `reason` ({@link IN_CLUSTER}), and what finishes it when it does not end on its own (`tell`: to whom an HTTP client says it). */
function clusterFix(then: string, reason: string, tell = ''): string {
  // A slot without a master is ended by a failover or by the master started again, not by
  // `--cluster fix`: it would give the failed master's slots, and smsq's keys with them, away empty.
  if (reason.startsWith(`${IN_CLUSTER}is down`) || reason.startsWith(NO_SLOT_MASTER)) return `Fix: ${then}: a failover ends it on its own; if it does not, ${tell}${CLUSTER_DOWN_REPAIR}`;
  return `Fix: ${then}: a reshard or a failover ends on its own; if it does not, ${tell}${CLUSTER_REPAIR}`;
}

/** The fix that ends every such line, in the Node API's words. */
const START_REDIS = `Fix: start Redis there or point ${mention('redis')} at a running one`;

/** The fix that ends every such line, as smsq's processes say it. */
export const START_REDIS_FIX = inEnvironmentTerms(START_REDIS);

/**
 * The same, as an HTTP answer says it: what happened, not where Redis is (its host, port and user
 * are the deployment's layout, which an API client cannot act on; the server's log names them).
 */
export function redisDoesNotAnswerClients(reason: string): string {
  // A Cluster's state is no outage: "does not answer (the connection failed)" sent its client to wait for a Redis that answers.
  if (reason.startsWith(IN_CLUSTER)) return `Redis cannot serve smsq's keys now: ${clusterStateForClients(reason)}`;
  if (reason.startsWith(CLIENT_CERTIFICATE_REFUSED)) return reason;
  return `Redis does not answer (${addressFreeReason(reason)})`;
}

/**
 * A Cluster's state ({@link IN_CLUSTER}) as an HTTP answer says it: the reply's code alone, as a
 * MOVED or ASK reply names a master's address (`MOVED 13103 10.0.0.7:6642`); a slot without a
 * master without the key that met it.
 */
function clusterStateForClients(reason: string): string {
  const reply = /^(the Redis Cluster (?:is moving the slot of smsq's keys between masters|is down)) \((TRYAGAIN|ASK|MOVED|CLUSTERDOWN)\b/.exec(reason);
  if (reply) return `${reply[1]} (${reply[2]})`;
  if (reason.startsWith(NO_SLOT_MASTER)) return `${NO_SLOT_MASTER}the slot of smsq's keys: a master failed and no replica has taken its slots yet`;
  if (reason.startsWith(`${IN_CLUSTER}moved the slot of smsq's keys to a master that had not loaded smsq's scripts yet (NOSCRIPT)`)) return reason;
  return `${IN_CLUSTER}cannot serve the slot of smsq's keys now`;
}

/**
 * The fix that ends an HTTP answer about Redis: what its client can do, `then` (retry) after a
 * short wait, and who can fix Redis; for a Cluster's state (`reason`), what ends it and what
 * finishes it, as the CLI and the producer say.
 */
export function waitOrTellFix(then = 'retry', reason?: string): string {
  if (reason?.startsWith(IN_CLUSTER)) return clusterFix(`${then} in a few seconds (Retry-After)`, reason, 'tell the operator of this server: ');
  return `Fix: ${then} in a few seconds (Retry-After); if Redis stays down, tell the operator of this server: its log names REDIS_URL and why`;
}

/** How an outage is said to one audience: its first words, and its fix (`then`: what to do once Redis is back). */
interface OutageWords {
  head: string;
  fix(then?: string): string;
}

/** The fix of a line whose `reason` is {@link NOT_REDIS}: starting Redis there cannot help, a port is taken. */
const CHECK_REDIS_PORT = `Fix: check the port in ${mention('redis')} (Redis's own is 6379 unless set otherwise)`;

/** The fix of a line whose `reason` is {@link CERTIFICATE_REFUSED}, which says what was refused and what is trusted. */
const TRUST_CERTIFICATE = 'Fix: have this process trust the CA that signed the certificate, or give the server a certificate that names the address it is reached at, as the refusal says';

/** The fix of a line whose `reason` is {@link CLIENT_CERTIFICATE_REFUSED}. */
const PRESENT_CERTIFICATE = `Fix: give ${mention('clientCertificate')}: a certificate signed by a CA the Redis trusts (its tls-ca-cert-file), with its key; or set tls-auth-clients optional (or no) on the Redis`;

/** The fix that ends a line saying `reason`, in the Node API's words: start Redis, unless something other than Redis answered. */
function fixOfRedis(reason: string): string {
  if (reason.startsWith(IN_CLUSTER)) return clusterFix('retry in a few seconds', reason);
  if (reason.startsWith(CERTIFICATE_REFUSED)) return TRUST_CERTIFICATE;
  if (reason.startsWith(CLIENT_CERTIFICATE_REFUSED)) return PRESENT_CERTIFICATE;
  return reason.startsWith(NOT_REDIS) ? CHECK_REDIS_PORT : START_REDIS;
}

/** The fix that ends a line saying `reason`, as smsq's processes say it: {@link START_REDIS_FIX}, unless something other than Redis answered. */
export function redisFix(reason: string): string {
  return inEnvironmentTerms(fixOfRedis(reason));
}

/**
 * To the operator, in the Node API's words (the producer API; the CLI says them as the
 * environment's, src/setting-mention.ts): the Redis, ioredis's reason, and the fix of Redis or of
 * its URL's port.
 */
const toOperator = (redactedUrl: string, reason: string): OutageWords => ({
  head: doesNotAnswer(redactedUrl, reason),
  // Something else answering at that port answers the same way again: waiting longer cannot help.
  fix: (then) => `${fixOfRedis(reason)}${then === undefined ? '' : `, then ${then}`}${answeredUnusable(reason) ? '' : ` (${mention('connectTimeoutMs')} sets how long to wait)`}`,
});

/** To an HTTP client: no address (see {@link redisDoesNotAnswerClients}). */
const toClients = (reason: string): OutageWords => ({ head: redisDoesNotAnswerClients(reason), fix: (then) => waitOrTellFix(then, reason) });

/**
 * A task that enqueues nothing, as an outage during it says it, when its caller does it again
 * otherwise than by running a command again: `creating the events consumer` is done again by
 * calling `events()` again (a second call does no harm: the group made is used).
 */
export interface OutageTask {
  /** What it is, after "the": `creation of the events consumer c of group g`. */
  name: string;
  /** How to do it again, after "then": `call events() again`. */
  again: string;
  /** Doing it twice, before "does no harm if it was": `a second call`. */
  second: string;
}

/**
 * Redis did not answer: the connect timed out or was refused, or the connection is down. The
 * message is one line naming `REDIS_URL` (password redacted), what happened and the fix, for the
 * operator (the CLI, the producer API); REST answers `apiMessage`, the same line without where
 * Redis is (as {@link SendNotFoundError}).
 */
export class RedisUnavailableError extends SmsqError {
  readonly code = 'SMSQ_REDIS_UNAVAILABLE';
  /** The same failure for an HTTP client: what happened and what it can do, not where Redis is. */
  readonly apiMessage: string;
  constructor(
    /** REDIS_URL with any password replaced by `<redacted>`. */
    readonly redactedUrl: string,
    /** What happened, e.g. `connect ECONNREFUSED 127.0.0.1:6379`. */
    readonly reason: string,
    cause?: unknown,
    /**
     * True when Redis went away in the middle of a call, after it may have written: an enqueue may
     * then be partly made (and its chunks sent), so the caller must retry under the same
     * idempotency key rather than assume nothing happened.
     */
    readonly midCall = false,
    /** True when what failed only reads (`smsq status`, `smsq sends`): nothing was to be enqueued, and asking again is always safe. */
    readonly reading = false,
    /** A campaign that Redis left part-way, after some of it was queued. */
    readonly campaign?: CutOffCampaign,
    /** Set when what failed was a control of a send: it enqueues nothing and takes no idempotency key, and is said as what it is. */
    readonly control?: ControlOfSend,
    /** Set when what failed is a task that enqueues nothing (`smsq resume`, `smsq repair`): said as that task, done or not. */
    readonly task?: string | OutageTask,
  ) {
    const { name, again, second } = typeof task === 'string' || task === undefined ? { name: task, again: 'run it again', second: 'a second run' } : task;
    const say = ({ head, fix }: OutageWords) =>
      campaign
        ? `${head} part-way through a campaign: send ${campaign.sendId} was created, and ${campaign.written} recipients were confirmed enqueued in it (more may have been written as Redis went away; workers may have sent them already). ${cutOffFix(campaign)}`
        : control
          ? `${head}; ${controlOutcome(control, midCall, fix)}`
          : name !== undefined
            ? `${head}; ${midCall ? `the ${name} may or may not have been done (Redis stopped answering during it); ${second} does no harm if it was` : `the ${name} was not done: nothing was changed`}. ${fix(again)}`
          : `${head}; ${reading ? (answeredUnusable(reason) ? 'nothing was changed' : 'nothing was changed; run it again once Redis answers') : midCall ? 'the request may be partly done: retry it with the same idempotency key, which completes it or returns it, never twice' : 'nothing was enqueued'}. ${fix()}`;
    super(say(toOperator(redactedUrl, reason)), cause === undefined ? undefined : { cause });
    this.name = 'RedisUnavailableError';
    // The server is configured by the environment: the commands and settings a fix names are its own.
    this.apiMessage = inApiTerms(say(toClients(reason)));
  }

  /** The same failure, said of a read. */
  asRead(): RedisUnavailableError {
    return this.reading ? this : new RedisUnavailableError(this.redactedUrl, this.reason, this.cause, false, true);
  }

  /**
   * The same failure, said of a control of a send: not applied when Redis was gone before it (no
   * write went out), perhaps applied when it went away during it.
   */
  asControl(control: ControlOfSend): RedisUnavailableError {
    return new RedisUnavailableError(this.redactedUrl, this.reason, this.cause, this.midCall, false, undefined, control);
  }

  /** The same failure, said of a task that enqueues nothing (`task`: its name); `midCall`: Redis stopped answering during it. */
  asTask(task: string | OutageTask, midCall = this.midCall): RedisUnavailableError {
    return new RedisUnavailableError(this.redactedUrl, this.reason, this.cause, midCall, false, undefined, undefined, task);
  }
}

/** Redis refusing every write while it answers: at maxmemory under noeviction, unable to save, a read-only replica. */
export type WriteRefusalKind = 'OOM' | 'MISCONF' | 'READONLY';

/** Which refusal, and what showed it: Redis's reply (its first sentence), or what INFO read (src/queue/redis-errors.ts, src/durability/probe.ts). */
export interface WriteRefusal {
  kind: WriteRefusalKind;
  shownBy: string;
}

/** What each refusal is, in plain words, and its fix, in the Node API's words. */
const WRITE_REFUSALS: Readonly<Record<WriteRefusalKind, { what: string; fix: string }>> = Object.freeze({
  OOM: {
    what: 'is at its maxmemory with maxmemory-policy noeviction, so it refuses writes',
    fix: 'raise maxmemory (CONFIG SET maxmemory, and in redis.conf) or free memory in it (docs/operations.md, "Redis settings", says what smsq\'s records take)',
  },
  MISCONF: {
    what: 'cannot save to disk (its last RDB or AOF write failed), so it refuses writes',
    fix: 'free space on its disk or make its dir writable (its log names the failed save), then BGSAVE: it takes writes again once a save succeeds',
  },
  READONLY: {
    what: 'is a read-only replica, so it refuses writes',
    fix: `point ${mention('redis')} at the primary, or use a redis+sentinel:// URL so smsq follows the primary`,
  },
});

/**
 * The fix of a refusal, in the Node API's words: the one table both a caller's error
 * ({@link RedisWritesRefusedError}) and a worker's log line (workers/redis-refusals.ts) name.
 */
export function writeRefusalFix(kind: WriteRefusalKind): string {
  return WRITE_REFUSALS[kind].fix;
}

/**
 * Redis answers but refuses writes (OOM, MISCONF, READONLY): a condition of Redis to fix, not an
 * outage to wait out, though it passes once fixed. One line naming `REDIS_URL` (password
 * redacted), the condition in plain words, Redis's reply, what was left and the fix; REST answers
 * `apiMessage`, without where Redis is.
 */
export class RedisWritesRefusedError extends SmsqError {
  readonly code = 'SMSQ_REDIS_WRITES_REFUSED';
  readonly apiMessage: string;
  constructor(
    /** REDIS_URL with any password replaced by `<redacted>`. */
    readonly redactedUrl: string,
    readonly refusal: WriteRefusal,
    /** What the refused call left, e.g. `nothing was enqueued`. */
    readonly outcome = 'nothing was enqueued',
    cause?: unknown,
    /** A campaign the refusal left part-way, after some of it was queued. */
    readonly campaign?: CutOffCampaign,
  ) {
    const { what, fix } = WRITE_REFUSALS[refusal.kind];
    const left = campaign
      ? `part-way through a campaign: send ${campaign.sendId} was created, and ${campaign.written} recipients were confirmed enqueued in it (workers may have sent them already). ${cutOffFix(campaign, 'once Redis takes writes')}`
      : `${outcome}. Fix: ${fix}`;
    super(`Redis at ${mention('redis', redactedUrl)} ${what} (${refusal.shownBy}); ${left}`, cause === undefined ? undefined : { cause });
    this.name = 'RedisWritesRefusedError';
    this.apiMessage = inApiTerms(
      `Redis ${what} (${refusal.shownBy}); ${campaign ? left : `${outcome}. Fix: retry once it takes writes again (Retry-After), and tell the operator of this server to ${fix}`}`,
    );
  }

  /** The same refusal, said of a call that left `outcome`. */
  saying(outcome: string): RedisWritesRefusedError {
    return this.campaign ? this : new RedisWritesRefusedError(this.redactedUrl, this.refusal, outcome, this.cause);
  }

  /** The same refusal, said of a control of a send: a refused write applies nothing. */
  asControl({ action }: ControlOfSend): RedisWritesRefusedError {
    return this.saying(`the ${action} was not applied: the send is as it was`);
  }

  /** The same refusal, said of a read (a read a Redis under OOM refuses is a script that may write). */
  asRead(): RedisWritesRefusedError {
    return this.saying('nothing was changed');
  }
}

/** A control of a send, as a failure names it. */
export interface ControlOfSend {
  action: 'pause' | 'resume' | 'cancel';
  sendId: string;
}

/** What a control that met a Redis gone did, and what to do: giving a control again changes nothing if it was applied. */
function controlOutcome({ action, sendId }: ControlOfSend, midCall: boolean, fix: OutageWords['fix']): string {
  return midCall
    ? `the ${action} may or may not have been applied (Redis went away during it). Fix: once Redis answers, give the ${action} again: given again it changes nothing if it was; ${mention('producer.getStatus', sendId)} shows the send's control`
    : `the ${action} was not applied: the send is as it was. ${fix(`give the ${action} again`)}`;
}

/** A campaign cut off by a Redis that went away, after its send was created. */
export interface CutOffCampaign {
  sendId: string;
  /** Recipients in chunks whose writes Redis confirmed (more may have landed as it went away). */
  written: number;
  /** The request's key: the same key again completes the send; without one, a retry is a new send. */
  idempotencyKey?: string;
  /** Set when Redis went away while the campaign was being stopped (what stopped it, e.g. SIGINT): the stop's pause may not have been made. */
  stopping?: string;
}

/** `once`: when the send can be written to again (Redis answers; the user is granted the command). */
function cutOffFix(c: CutOffCampaign, once = 'once Redis answers'): string {
  // An enqueue left unfinished is ended as failed by the repair sweep after its grace: what went out stays sent, its queued rest is not sent.
  const grace = mention('repair.enqueueGraceMs');
  const sweep = `the repair sweep ends an enqueue left unfinished as failed about 10 minutes after (${grace}): what went out stays sent, the rest of it is not sent`;
  const see = `${mention('producer.recipientPage', c.sendId)} shows which numbers went out`;
  // The caller meant to stop it: completing it (the same key) is the opposite; cancelling is what stops it.
  if (c.stopping !== undefined) {
    return `It was being stopped (${c.stopping}), and Redis did not answer before the stop was through: the send may not be paused, and what it holds goes out as workers reach it once Redis answers, until the repair sweep fails its unfinished enqueue about 10 minutes after (${grace}; the rest of it is then not sent). Fix: ${once}, cancel it (${mention('producer.cancel', c.sendId)}), which stops what is left of it; ${see}`;
  }
  if (c.idempotencyKey !== undefined) {
    return `Fix: ${once}, and before ${sweep}, make the same request with the same idempotency key (${c.idempotencyKey}): it completes send ${c.sendId}, never twice. Later, ${see}; send the others as a new campaign`;
  }
  return `No idempotency key was given, so the same request again would enqueue them again as a new send. Fix: ${once}, ${see} (${sweep}); send the others as a new campaign, with an idempotency key so that a retry completes it`;
}

/**
 * Carries a campaign's send and progress from the producer to its Redis gate, which says whether
 * the error under it is Redis going away ({@link RedisUnavailableError} with the campaign) or
 * something else (that error, as it is).
 */
export class CampaignCutOff extends Error {
  constructor(
    readonly campaign: CutOffCampaign,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'CampaignCutOff';
  }
}

/** zod's own message for a value of the wrong type, which names no fix. */
const ZOD_TYPE_MESSAGE = /^Invalid input: expected (\w+), received (\w+)$/;
/** JSON words for zod's type names, and how to write a value of that type. */
const JSON_TYPES: Readonly<Record<string, { noun: string; fix: string }>> = {
  string: { noun: 'a string', fix: 'write the value in double quotes ("...")' },
  number: { noun: 'a number', fix: 'write the value without quotes' },
  boolean: { noun: 'true or false', fix: 'write true or false, without quotes' },
  array: { noun: 'a list', fix: 'write it as a JSON list ([...])' },
  object: { noun: 'an object', fix: 'write it as a JSON object ({...})' },
  null: { noun: 'null', fix: 'leave the field out' },
  undefined: { noun: 'nothing', fix: 'give a value' },
};

/**
 * Where the values came from: a JSON body (the fix is how to write the JSON), or text such as a
 * query string or path (a list there is a parameter given twice).
 */
export type ValueForm = 'json' | 'text';

/**
 * Said of a null given for a field that may be left out: JSON's null is no "not given" here, and
 * the type's own fix misled (`name: null` was told to write the value in double quotes).
 */
export const NULL_GIVEN = 'null is not a value here. Fix: give a value or leave the field out';

/** zod's wrong-type message in smsq's words: what the field must be, what it got, and the fix; `optional`: the field may be left out. */
function typeMessage(message: string, form: ValueForm, optional: boolean): string {
  const m = ZOD_TYPE_MESSAGE.exec(message);
  if (!m) return message;
  const expected = JSON_TYPES[m[1] as string];
  const received = JSON_TYPES[m[2] as string];
  if (!expected) return message;
  if (m[2] === 'null' && optional) return `must be ${expected.noun}, got null: ${NULL_GIVEN}`;
  const fix = form === 'json' ? expected.fix : m[2] === 'array' ? 'give the parameter once' : `give ${expected.noun}`;
  // Missing, not mistyped: quoting a value that is not there fixes nothing (a field spelt `phones` for `phone`).
  if (m[2] === 'undefined') return `is required: ${expected.noun}. Fix: add it${form === 'json' ? ' (field names must match exactly)' : ''}`;
  return `must be ${expected.noun}, got ${received?.noun ?? m[2]}. Fix: ${fix}`;
}

/** Converts zod issues into field issues with readable paths (and zod's bare type messages into ones with a fix). */
export function fieldIssuesFromZod(issues: readonly { path: readonly PropertyKey[]; message: string }[], root = '', form: ValueForm = 'json', optionalAt: OptionalAt = () => false): FieldIssue[] {
  return issues.map((i) => {
    let field = root;
    for (const p of i.path) field += typeof p === 'number' ? `[${p}]` : field ? `.${String(p)}` : String(p);
    // The value as a whole: `(body)`, as every body-level refusal names it (docs/http-api.md).
    return { field: field || '(body)', message: typeMessage(i.message, form, optionalAt(i.path)) };
  });
}

/** Whether the field at a path may be left out (src/unknown-fields.ts's isOptionalAt, given the schema). */
export type OptionalAt = (path: readonly PropertyKey[]) => boolean;

/** A zod issue as {@link fieldIssuesNamingUnknownKeys} reads it (an unrecognized_keys issue carries its keys). */
export interface ZodIssueLike {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

/**
 * {@link fieldIssuesFromZod}, with each key the schema does not know named as a field of its own
 * (zod says them in one issue at the object): `unknownKey` says why it is refused, in the terms of
 * what was parsed (a request body, a file).
 */
export function fieldIssuesNamingUnknownKeys(issues: readonly ZodIssueLike[], unknownKey: (key: string, path: readonly PropertyKey[]) => string, root = '', form: ValueForm = 'json', optionalAt?: OptionalAt): FieldIssue[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? (issue.keys ?? []).map((key) => ({
          field: fieldIssuesFromZod([{ path: [...issue.path, key], message: '' }], root)[0]?.field ?? key,
          message: unknownKey(key, issue.path),
        }))
      : fieldIssuesFromZod([issue], root, form, optionalAt),
  );
}

/** A write smsq relies on could not be confirmed durable in time (WAIT / WAITAOF); nothing was acknowledged or sent on it. */
export class NotDurableError extends SmsqError {
  readonly code = 'SMSQ_NOT_DURABLE';
  constructor(
    /** What was written and not confirmed (`the send`, `1 receipt(s) of 2 pushed report(s)`). */
    readonly what: string,
    /** What the confirmation said (WAIT's count), for a caller that rewraps it. */
    readonly detail: string,
    /** What to do about it, where not the replicas and the timeout. */
    readonly fix = `check the replicas (INFO replication) or raise ${mention('durability.timeoutMs')}, then retry`,
  ) {
    super(`${what} could not be made durable: ${detail}. Fix: ${fix}`);
    this.name = 'NotDurableError';
  }
}

/**
 * Redis cannot keep the configured durability mode (SMSQ_DURABILITY); smsq refuses to start on it,
 * and a running producer refuses to enqueue. `stopped`: a campaign whose list was still being read
 * when a check found it so, held paused with what was read (its CampaignStoppedError's details).
 */
export class RedisNotDurableError extends SmsqError {
  readonly code = 'SMSQ_REDIS_NOT_DURABLE';
  constructor(
    readonly mode: string,
    /** What Redis does not keep, each with its fix. */
    readonly problems: string,
    readonly stopped?: StoppedCampaign,
  ) {
    // One line, as every refusal is; the relaxation is named, with its cost, for a Redis one cannot configure.
    super(
      `Redis cannot keep ${mention('durability.mode', mode)}: ${problems}.${stopped ? ` ${sentenceCase(stoppedMessage(stopped))}.` : ''} Or, where losing acknowledged sends is acceptable (development): ${mention('durability.mode', 'none')}, under which a Redis crash can lose acknowledged sends or send one twice`,
    );
    this.name = 'RedisNotDurableError';
  }
}

/**
 * What differs, each field named as `spell` names it (src/setting-mention.ts: the field, a flag, a
 * query parameter), with what a request without a kind counts as when the kind differs.
 */
function differenceOf(fields: readonly string[], defaultKind: string, spell: Spelling): { named: string; verb: string; kind: string } {
  const each = fields.map((field) => (isMentionedSetting(field) ? spell(field, undefined) : `\`${field}\``));
  const named = each.length === 1 ? (each[0] as string) : `${each.slice(0, -1).join(', ')} and ${each.at(-1)}`;
  // A request that names no kind is fingerprinted as the default kind, whatever its template resolves to.
  const kind = fields.includes('kind') ? ` (a request without ${spell('kind', undefined)} counts as ${spell('kind', defaultKind)})` : '';
  return { named, verb: fields.length === 1 ? 'was' : 'were', kind };
}

/**
 * The entry of a request's fingerprint (producers/request-fingerprint.ts) that says which call it
 * was: a send, a batch, a campaign. It is no field of any request: a key another call used cannot
 * be given "the same" of it, nor of the fields that call had and this one lacks.
 */
export const REQUEST_CALL_FIELD = 'call';

/**
 * An Idempotency-Key already stands for a different request (another body). Nothing was enqueued;
 * HTTP 422. Fix: a new key for a new request, or the same settings to repeat the first. A key
 * another kind of request used (another call: a campaign's, under a send) names no field: the
 * fields that differ are those of another request, which this one cannot give the same.
 */
export class IdempotencyKeyReusedError extends SmsqError {
  readonly code = 'SMSQ_IDEMPOTENCY_KEY_REUSED';
  /** The refusal said of the key alone (REST's issue on `Idempotency-Key`), in the same terms as the message. */
  readonly keyIssue: string;
  constructor(
    readonly idempotencyKey: string,
    /** The request's fields that differ from the first's (undefined for a key claimed before they were kept). */
    readonly differingFields?: readonly string[],
    /** The kind a request that names none counts as, for this call (notification; a campaign's marketing). */
    readonly defaultKind = 'notification',
    /** How the caller's surface names a field: the API's by default; see {@link respelled}. */
    spell: Spelling = fieldSpelling,
  ) {
    const d = differingFields?.length && !differingFields.includes(REQUEST_CALL_FIELD) ? differenceOf(differingFields, defaultKind, spell) : undefined;
    const fix = d ? `Fix: to repeat that request, give it the same ${d.named} as the first; for a new request, use a new idempotency key` : 'Fix: use a new key for a new request, or repeat the first request exactly';
    super(
      d
        ? `the idempotency key ${quoted(idempotencyKey)} stands for an earlier request whose ${d.named} ${d.verb} different${d.kind}; nothing was enqueued. ${fix}`
        : `the idempotency key ${quoted(idempotencyKey)} was used for a different request; nothing was enqueued. ${fix}`,
    );
    this.keyIssue = d ? `stands for an earlier request whose ${d.named} ${d.verb} different. ${fix}` : `was used for a different request. ${fix}`;
    this.name = 'IdempotencyKeyReusedError';
  }

  /** The same refusal with its fields named as a surface names them (an upload's `?kind=`). */
  respelled(spell: Spelling): IdempotencyKeyReusedError {
    return new IdempotencyKeyReusedError(this.idempotencyKey, this.differingFields, this.defaultKind, spell);
  }

  /**
   * The refusal in the terms of a surface that gives only the settings `gives` says it does (a
   * command's flags and file, an upload's query string), each named as `spell` names it. When a
   * field that differs is one it cannot give (`phones` to an upload, `callbackUrl` to `smsq send`:
   * the key's first request came another way), it says only that the key is another request's.
   */
  within(gives: (field: string) => boolean, spell: Spelling): IdempotencyKeyReusedError {
    if (this.differingFields?.some((field) => !gives(field))) return new IdempotencyKeyReusedError(this.idempotencyKey, undefined, this.defaultKind);
    return this.respelled(spell);
  }
}

/** A control asked of a send that has ended for good (resume of a cancelled send): nothing was changed. */
export class SendEndedError extends SmsqError {
  readonly code = 'SMSQ_SEND_ENDED';
  constructor(readonly sendId: string) {
    super(`send ${sendId} was cancelled; it cannot be resumed, and nothing was changed. Fix: enqueue its recipients again as a new send if they must still get it`);
    this.name = 'SendEndedError';
  }
}

/**
 * A cancel or a pause of a send every recipient of which was already sent: `sent` (its receipts
 * being collected) or `completed`. It stops nothing: recording it `cancelled` read as if nothing
 * had gone out, and a pause answered as done as if the send were held; so it is refused, and
 * nothing is written. HTTP 409, CLI exit 2.
 */
export class SendAlreadySentError extends SmsqError {
  readonly code = 'SMSQ_SEND_ALREADY_SENT';
  constructor(
    readonly sendId: string,
    /** The send's state, as the cancel found it. */
    readonly state: 'sent' | 'completed',
    /** The control refused. */
    readonly action: 'cancel' | 'pause' = 'cancel',
  ) {
    const receipts = state === 'sent' ? 'its receipts are being collected (it becomes completed once every one is in, or its receipt window ends)' : 'every receipt is in';
    super(
      `send ${sendId} is ${state}: every recipient was already sent (none is queued or in a call: each went past the API, or ended without a call), and ${receipts}; a ${action} stops nothing now, and nothing was changed. ` +
        `Fix: ${mention('producer.recipientPage', sendId)} (GET /v1/sends/${sendId}/recipients) shows who got it; to reach them again (a correction), enqueue a new send`,
    );
    this.name = 'SendAlreadySentError';
  }
}

/**
 * The send was cancelled while this producer was writing it: a cancel ends the enqueue of a send
 * whose producer had not, at the chunks written then, and a cancelled send takes no new chunk
 * (create-chunks.lua). Nothing more of the request was enqueued. `held`: what the send holds, once
 * the producer has read it (the chunk store, which refused the write, knows only the send).
 */
export class SendCancelledError extends SmsqError {
  readonly code = 'SMSQ_SEND_CANCELLED';
  /** Recipients the send holds (all cancelled but any a worker had already sent); undefined when not read. */
  readonly recipients: number | undefined;
  constructor(
    readonly sendId: string,
    held?: { recipients: number; reason?: string },
  ) {
    const why = held?.reason ? ` (${quoted(held.reason)})` : '';
    const holds = held === undefined ? 'the recipients written before the cancel' : `the ${held.recipients} recipients written before the cancel`;
    super(
      `send ${sendId} was cancelled${why} while it was being enqueued: the cancel ended its enqueue there, and it holds ${holds}, cancelled (none of them goes out but any a worker had already sent); the rest was not enqueued. ` +
        `Fix: nothing, if the cancel was meant; to send the list after all, enqueue it again as a new send (under a new idempotency key if this request had one); ${mention('producer.recipientPage', sendId)} shows any that went out`,
    );
    this.name = 'SendCancelledError';
    this.recipients = held?.recipients;
  }
}

/**
 * How to go on with a send held part-way (paused, its enqueue ended): resume it, which sends what
 * it holds and nothing more, then send `rest` as a new campaign; or cancel it.
 */
function heldSendFix(sendId: string, rest: string): string {
  return `Fix: resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume), then send the rest of the list (${rest}) as a new campaign; or cancel it (producer.cancel, smsq campaign cancel ${sendId}, or POST /v1/sends/${sendId}/cancel)`;
}

/** "after line 2931", or "after 2931 rows" for a source without lines; and the rows not read, said the same way. */
function cutPlace(afterLine: number | undefined, rowsRead: number): { after: string; rest: string } {
  return afterLine === undefined
    ? { after: `after ${rowsRead} rows`, rest: `the rows after the first ${rowsRead}` }
    : { after: `after line ${afterLine}`, rest: `the rows after line ${afterLine}` };
}

/**
 * A campaign's recipient list stopped reading part-way (a damaged workbook, a read error) after its
 * send was created. Its chunks are streamed into the queue as the list is read, so some were there
 * already: the send is paused, what was read before the failure is enqueued with it, and the
 * message names the send, how many recipients it holds, and how to resume or cancel it. `what`:
 * the reader's failure, without its own fix; `cause`: the reader's error.
 */
export class ListInterruptedError extends SmsqError {
  readonly code = 'SMSQ_LIST_INTERRUPTED';
  constructor(
    readonly sendId: string,
    readonly recipients: number,
    /** The last line read (its row number in a workbook); undefined for a source without lines. */
    readonly afterLine: number | undefined,
    readonly rowsRead: number,
    what: string,
    options?: { cause?: unknown },
  ) {
    const { after, rest } = cutPlace(afterLine, rowsRead);
    super(
      `${what} ${after}: the ${recipients} recipients read before it were enqueued as send ${sendId}, now paused (nothing more of it goes out; chunks a worker had already taken may have). ${heldSendFix(sendId, rest)} and send the whole list once it reads, either under a new idempotency key if this request had one (the same key is refused: it stands for this send)`,
      options,
    );
    this.name = 'ListInterruptedError';
  }
}

/** Where a stopped campaign stood: its send (undefined: not created, nothing enqueued) and its list. */
export interface StoppedCampaign {
  /** The send holding what was read, paused; undefined when the stop came before it was created. */
  sendId: string | undefined;
  /** Recipients enqueued in it (every valid row read, written and confirmed before the error); 0 without a send. */
  recipients: number;
  /** Rows read from the list (valid or not). */
  rowsRead: number;
  /** The last line read (its row number in a workbook); undefined for a source without lines or before a row. */
  afterLine: number | undefined;
  /** What stopped it: the AbortSignal's reason when it is a string (the CLI gives the signal's name, SIGINT). */
  by: string | undefined;
  /** The request's idempotency key, if it had one. */
  idempotencyKey: string | undefined;
  /** The whole list had been read when the stop came: the send holds all of it, and no rest is left to send. */
  wholeList?: boolean;
}

/** What a stopped campaign left, and the ways on. */
const sentenceCase = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function stoppedMessage(stopped: StoppedCampaign): string {
  const by = stopped.by === undefined ? 'stopped' : `stopped (${stopped.by})`;
  const { after, rest } = cutPlace(stopped.afterLine, stopped.rowsRead);
  const { sendId, recipients, idempotencyKey } = stopped;
  if (sendId === undefined) return `the campaign was ${by} before its send was created${stopped.rowsRead ? `, ${after}` : ''}: nothing was enqueued`;
  // The same request again reads the whole list again: a new send, unless its key answers with this one.
  const again =
    idempotencyKey === undefined
      ? 'The same command again is a new send to everyone on the list, these included'
      : `The same command with the same idempotency key (${idempotencyKey}) is refused (SMSQ_IDEMPOTENCY_KEY_CUT_SHORT) and enqueues nothing, for as long as the key lives (24 h by default): the key stands for this send; under a new key it is a new send to everyone on the list, these included`;
  if (stopped.wholeList) {
    return `the campaign was ${by} once its whole list was read (${after}): its ${recipients} recipients were enqueued as send ${sendId}, now paused (nothing more of it goes out; chunks a worker had already taken may have). Fix: resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume): no rest of the list is left to send; or cancel it (producer.cancel, smsq campaign cancel ${sendId}, or POST /v1/sends/${sendId}/cancel). ${again}`;
  }
  return `the campaign was ${by} ${after}: the ${recipients} recipients read before it were enqueued as send ${sendId}, now paused (nothing more of it goes out; chunks a worker had already taken may have). ${heldSendFix(sendId, rest)}. ${again}`;
}

/**
 * A campaign stopped by its caller (Ctrl-C or SIGTERM in `smsq campaign`, the `signal` of
 * `producer.campaign`) while its list was read. Reading stopped; once its send existed, the send
 * was paused, the rows read were enqueued in it and its enqueue ended (the repair sweep leaves it
 * be): it holds those recipients and goes on only if resumed. Before the send existed nothing was
 * written. The message names the send, how many it holds, and the ways on.
 */
export class CampaignStoppedError extends SmsqError {
  readonly code = 'SMSQ_CAMPAIGN_STOPPED';
  constructor(readonly stopped: StoppedCampaign) {
    super(stoppedMessage(stopped));
    this.name = 'CampaignStoppedError';
  }

  /** The send holding what was read (undefined: nothing was enqueued). */
  get sendId(): string | undefined {
    return this.stopped.sendId;
  }
}

/**
 * An Idempotency-Key that stands for a campaign whose list was cut short (it stopped reading:
 * SMSQ_LIST_INTERRUPTED, or its enqueue was stopped): its send holds only the recipients read
 * before, paused when it was cut. Answering the retry with that send (`duplicate: true`) said the
 * request was done while the rest of its list was never queued; so it is refused, and nothing is
 * written. HTTP 409.
 */
export class IdempotencyKeyCutShortError extends SmsqError {
  readonly code = 'SMSQ_IDEMPOTENCY_KEY_CUT_SHORT';
  constructor(
    readonly idempotencyKey: string,
    readonly sendId: string,
    /** The send's state now: `paused` unless someone resumed or cancelled it since; `cancelled` or `failed` (abandoned) when its producer was killed mid-list. */
    readonly state: string,
    /** Recipients the send holds (the ones read before the list was cut short). */
    readonly recipients: number,
    /** How it was cut short, e.g. `its list stopped reading after 1500 rows`. */
    readonly cutShort: string,
  ) {
    const resume = `resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume)`;
    const cancel = `cancel it (producer.cancel, smsq campaign cancel ${sendId}, or POST /v1/sends/${sendId}/cancel)`;
    const newKey = 'under a new idempotency key (this one stands for this send)';
    const fix =
      state === 'paused'
        ? `${resume} and send the rest of the list as a new campaign ${newKey}; or ${cancel} and send the whole list ${newKey}`
        : state === 'cancelled' || state === 'failed'
          ? `send the list again ${newKey}; ${mention('producer.recipientPage', sendId)} shows any that went out before it ${state === 'failed' ? 'failed' : 'was cancelled'}`
          : `send the rest of the list as a new campaign ${newKey}`;
    const now =
      state === 'paused' ? 'it is paused (nothing more of it goes out)' : state === 'cancelled' ? 'it was cancelled' : state === 'failed' ? 'it failed (nothing more of it goes out)' : `it was resumed since (now ${state})`;
    super(`the idempotency key ${quoted(idempotencyKey)} stands for send ${sendId}, a campaign cut short when ${cutShort}: it holds only the ${recipients} recipients read before, and ${now}; nothing was enqueued by this request. Fix: ${fix}`);
    this.name = 'IdempotencyKeyCutShortError';
  }
}

/**
 * An Idempotency-Key that stands for a send withdrawn at enqueue (its writes not confirmed durable:
 * SMSQ_NOT_DURABLE) and cancelled since, by the repair sweep once no retry took it back within
 * SMSQ_REPAIR_ENQUEUE_GRACE_MS. Answering the retry with that send (`duplicate: true`) would say it
 * is queued while nothing more of it is sent; so it is refused, and nothing is written. HTTP 409.
 */
export class SendWithdrawnError extends SmsqError {
  readonly code = 'SMSQ_SEND_WITHDRAWN';
  constructor(
    readonly idempotencyKey: string,
    readonly sendId: string,
    /** Why it was cancelled (its controlReason). */
    readonly reason: string,
  ) {
    super(
      `the idempotency key ${quoted(idempotencyKey)} stands for send ${sendId}, withdrawn when its enqueue could not be confirmed durable and cancelled since (${reason}); nothing was enqueued by this request. ` +
        `Fix: make the request again under a new idempotency key; ${mention('producer.recipientPage', sendId)} shows any of its recipients that went out before it was withdrawn`,
    );
    this.name = 'SendWithdrawnError';
  }
}

/**
 * createProducer refused the Redis connection it was handed (producers/producer-connection.ts):
 * nothing was created. `options` names the ioredis options at fault.
 */
export class ProducerConnectionError extends SmsqError {
  readonly code = 'SMSQ_PRODUCER_CONNECTION';
  constructor(
    readonly options: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'ProducerConnectionError';
  }
}

/** A call made on a producer after its close(), or on an events consumer after its own or its producer's: nothing was enqueued, changed or read. */
export class ProducerClosedError extends SmsqError {
  readonly code = 'SMSQ_PRODUCER_CLOSED';
  constructor(call: string, of: 'producer' | 'events consumer' = 'producer') {
    super(
      of === 'producer'
        ? `producer.${call}() was called after producer.close(); nothing was enqueued or changed. Fix: call close() only once done with the producer, or create a new one (createProducer)`
        : `the events consumer's ${call}() was called after its close() or its producer's; nothing was read or acknowledged. Fix: stop reading before closing, or make a new consumer (producer.events(), same group and name: what it had not acknowledged is still pending for it)`,
    );
    this.name = 'ProducerClosedError';
  }
}

/**
 * The request with this Idempotency-Key is still being enqueued by another caller, past the wait.
 * Nothing was enqueued by this call; HTTP 409. Retry later: the same request under the key then
 * returns that send. Not any request: a campaign's list is compared only once its enqueue has
 * ended, so this is also what another list under the key meets first, and it is refused
 * (SMSQ_IDEMPOTENCY_KEY_REUSED) on its retry.
 */
export class IdempotencyInProgressError extends SmsqError {
  readonly code = 'SMSQ_IDEMPOTENCY_IN_PROGRESS';
  constructor(
    readonly idempotencyKey: string,
    /** Empty when the key's record is gone under a live hold (a producer of a version before 2026-12-07 holds it). */
    readonly sendId: string,
    /**
     * Milliseconds until the earlier request's hold on the key lapses unless it renews it (it
     * does while it still enqueues; a process that died stops): the time to retry after.
     * Undefined when the hold had just ended as it was read.
     */
    readonly retryAfterMs?: number,
  ) {
    const when = retryAfterMs === undefined ? 'in a few seconds' : `in ${Math.ceil(retryAfterMs / 1000)} s (when the earlier request's hold on the key lapses, unless it is still enqueuing)`;
    super(`the request with idempotency key ${quoted(idempotencyKey)} is still being enqueued${sendId ? ` (send ${sendId})` : ''}. Fix: retry ${when}; the same request under this key then returns that send, completing it if the earlier request died; a campaign with another recipient list under it is refused (SMSQ_IDEMPOTENCY_KEY_REUSED)`);
    this.name = 'IdempotencyInProgressError';
  }
}

/**
 * A move the lifecycle table (src/queue/lifecycle.ts) does not declare: an unknown trigger, a
 * field the transition does not record, an expected state it does not leave. Refused before
 * Redis is called (and by the Lua scripts, which receive the table); nothing was changed. A bug.
 */
export class UndeclaredTransitionError extends SmsqError {
  readonly code = 'SMSQ_UNDECLARED_TRANSITION';
  constructor(
    /** The lifecycle (chunk, send, send control). */
    readonly lifecycle: string,
    readonly trigger: string,
    problem: string,
  ) {
    super(`${lifecycle} transition "${trigger}": ${problem}. Fix: declare it in src/queue/lifecycle.ts, or name a trigger the table has`);
    this.name = 'UndeclaredTransitionError';
  }
}
