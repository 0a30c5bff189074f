/**
 * Telling "Redis is not there" apart from every other failure: what ioredis and BullMQ throw or
 * emit when a connection is refused, times out, drops, or is down with commands refused, or when
 * what answers at REDIS_URL's port is not Redis.
 */
import { CERTIFICATE_REFUSED, CLIENT_CERTIFICATE_REFUSED, IN_CLUSTER, NO_SLOT_MASTER, NOT_REDIS, RedisAuthRefusedError, writeRefusalFix, type RedisAuthReply, type WriteRefusal, type WriteRefusalKind } from '../errors.js';

export type { WriteRefusal, WriteRefusalKind };

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

const CONNECTION_MESSAGES = [
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Cluster isn't ready/i,
  /Reached the max retries per request limit/i,
  /connect ETIMEDOUT/i,
  /Command timed out/i,
  /Socket closed unexpectedly/i,
  /None of startup nodes is available/i,
  /Failed to refresh slots cache/i,
];

// redis-parser's words for a reply whose first byte is none of RESP's: the port answered in another
// protocol. ioredis adds ". Please report this." as for a bug of its own, and reconnects.
const NOT_RESP = /^Protocol error, got "(.*?)" as reply type byte/;

/** The protocol a first byte most likely starts, as JSON.stringify wrote it in the parser's message. */
const SPOKEN_BY_FIRST_BYTE: Readonly<Record<string, string>> = Object.freeze({ H: 'HTTP', S: 'SSH', '\\u0015': 'TLS', '\\u0016': 'TLS' });

/** True when `err` says something answered at REDIS_URL's port, but not in Redis's protocol. */
export function isNotRedis(err: unknown): boolean {
  return err instanceof Error && NOT_RESP.test(err.message);
}

/** True when `err` is the link reset or broken under a read or a write (not refused, not timed out). */
export function isResetLink(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

// A Redis Cluster that cannot serve a slot now: its replies, as ioredis gives them up after following
// them `maxRedirections` times ("Too many Cluster redirections. Last error: ReplyError: TRYAGAIN ..."),
// or as they came.
const CLUSTER_REPLY = /^(?:Too many Cluster redirections\. Last error: )?(?:ReplyError: )?((TRYAGAIN|ASK|MOVED|CLUSTERDOWN)\b.*)$/;

// A command given up after ioredis's retries on a closed link: it retries one only while the Cluster
// is ready, so the master of the command's slot is gone while others answer (droppable-cluster.ts
// names the closed link rather than the MOVED to that master that other nodes answered meanwhile).
const SLOT_MASTER_GONE = /^Too many Cluster redirections\. Last error: (?:Error: )?Connection is closed\.$/;

/**
 * What a Redis Cluster reply that cannot be served now says, in words starting {@link IN_CLUSTER}
 * (errors.ts then says the Cluster's fix, not "start Redis"); undefined for any other error. The
 * reply may be under an EXECABORT: a Cluster down answers each command queued in a MULTI
 * CLUSTERDOWN, and EXEC then discards it all (an Idempotency-Key's look-up was answered 500).
 */
export function clusterStateReason(err: unknown): string | undefined {
  const under = underExecAbort(err);
  const firstLine = under instanceof Error ? (under.message.split('\n')[0] ?? '') : '';
  if (SLOT_MASTER_GONE.test(firstLine)) return `${NO_SLOT_MASTER}the slot of smsq's keys (the link to its master closed, ioredis's retries spent): a master failed and no replica has taken its slots yet`;
  const m = CLUSTER_REPLY.exec(firstLine);
  if (!m) return undefined;
  return m[2] === 'CLUSTERDOWN' ? `${IN_CLUSTER}is down (${m[1]})` : `${IN_CLUSTER}is moving the slot of smsq's keys between masters (${m[1]})`;
}

/** True when `err` says Redis could not be reached, or a Cluster cannot serve the slot now (as opposed to a command Redis refused). */
export function isRedisConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (clusterStateReason(err) !== undefined) return true;
  // Unusable as Redis, like a refused connection; a queue error log line of its own repeated it.
  if (isNotRedis(err)) return true;
  if (certificateRefusal(err) !== undefined || clientCertificateReason(err) !== undefined) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return CONNECTION_MESSAGES.some((re) => re.test(err.message));
}

const NO_SUCH_DATABASE = /DB index is out of range|invalid DB index/i;

/** True when `err` is Redis refusing SELECT because it has no such database (past its `databases`). */
export function isNoSuchDatabase(err: unknown): boolean {
  return err instanceof Error && NO_SUCH_DATABASE.test(err.message);
}

/**
 * True when `err` is Redis refusing the SELECT that ioredis sends for REDIS_URL's database as it
 * connects (no such database, or a user without +select). ioredis emits it on the connection
 * and goes on; the database check (redis-database.ts) says it once, naming REDIS_URL and the fix,
 * so listeners leave it to that check instead of saying it again as an outage or a queue error.
 */
export function isDatabaseRefusal(err: unknown): boolean {
  return isNoSuchDatabase(err) || (err instanceof Error && /^NOPERM\b.*\bselect\b/i.test(err.message));
}

// Redis's replies refusing credentials: WRONGPASS (a wrong user or password, a disabled user),
// NOAUTH (none given where one is required; "Ready check failed: " when ioredis's INFO met it),
// Redis before 6's "ERR invalid password"; and NOPERM, a command its user may not run.
const AUTH_REPLY = /^(?:Ready check failed: )?(WRONGPASS|NOAUTH|NOPERM|ERR invalid password)\b/;

/**
 * Which refusal `err` is, when it is Redis refusing smsq's credentials (WRONGPASS, NOAUTH) or a
 * command to its user (NOPERM; not the SELECT of REDIS_URL's database: {@link isDatabaseRefusal}).
 * ioredis reconnects after a refused AUTH and is refused again: no wait mends it.
 */
export function authRefusal(err: unknown): RedisAuthReply | undefined {
  if (!(err instanceof Error) || isDatabaseRefusal(err)) return undefined;
  const word = AUTH_REPLY.exec(err.message)?.[1];
  return word === undefined ? undefined : word === 'ERR invalid password' ? 'WRONGPASS' : (word as RedisAuthReply);
}

/** True when `err` is the connection's credentials refused (WRONGPASS, NOAUTH), which a failed start or a Redis watch says, not every listener. */
export function isCredentialRefusal(err: unknown): boolean {
  const reply = authRefusal(err);
  return reply === 'WRONGPASS' || reply === 'NOAUTH';
}

/** `err` as {@link RedisAuthRefusedError} naming `redactedUrl` when it is such a refusal; else undefined. */
export function authRefusedError(err: unknown, redactedUrl: string): RedisAuthRefusedError | undefined {
  if (err instanceof RedisAuthRefusedError) return err;
  const reply = authRefusal(err);
  // Not ioredis's error as cause: the AUTH command it carries holds the password.
  return reply === undefined ? undefined : new RedisAuthRefusedError(redactedUrl, reply, connectionReason(err).replace(/^Ready check failed: /, ''));
}

/**
 * ioredis's errors that say nothing of why Redis is gone: its refusal of a command on a `client`
 * connection that is not connected ("Stream isn't writeable and enableOfflineQueue options is
 * false", a Cluster's "Cluster isn't ready and ..."; the command was not sent), and its giving up on a command whose link dropped under it
 * ("Reached the max retries per request limit ... Refer to maxRetriesPerRequest"). The
 * connection's own failure says it.
 */
export function saysNotWhy(err: unknown): boolean {
  return err instanceof Error && (/Stream isn't writeable|Cluster isn't ready/i.test(err.message) || err.name === 'MaxRetriesPerRequestError' || /Reached the max retries per request limit/i.test(err.message));
}

// Node's codes for a server certificate refused in the TLS handshake: a CA not trusted, a certificate
// expired or not naming the address dialled. Redis without TLS never answers a handshake (silence).
const REFUSED_CERTIFICATE_CODE = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_CERT_|HOSTNAME_MISMATCH)/;

/**
 * The refusal of a server's TLS certificate that `err` is, or that made a Cluster find no node to
 * read its slots from (ioredis's "Failed to refresh slots cache.", whose `lastNodeError`
 * droppable-cluster.ts sets to it, with the node's address as `node`); undefined for any other error.
 */
export function certificateRefusal(err: unknown): Error | undefined {
  const under = nodeErrorUnder(err);
  const code = under instanceof Error ? (under as { code?: unknown }).code : undefined;
  return typeof code === 'string' && REFUSED_CERTIFICATE_CODE.test(code) ? (under as Error) : undefined;
}

/** The error a node gave, under a Cluster's "no node answered" (droppable-cluster.ts sets `lastNodeError`); `err` itself otherwise. */
function nodeErrorUnder(err: unknown): unknown {
  return err instanceof Error && err.name === 'ClusterAllFailedError' ? (err as { lastNodeError?: unknown }).lastNodeError : err;
}

/**
 * The TLS alerts a Redis sends when it refuses this process's side of the handshake (OpenSSL's
 * codes as Node reports them): a client certificate asked for and not presented (TLS 1.3), or one
 * it does not take (a CA it does not trust, expired, revoked).
 */
const CLIENT_CERTIFICATE_ALERTS: Readonly<Record<string, string>> = Object.freeze({
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'it asks for a client certificate (tls-auth-clients yes) and none was presented',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'it does not trust the CA of the client certificate presented',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'it refused the client certificate presented',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'it refused the client certificate presented',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the client certificate presented has expired',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'the client certificate presented was revoked',
});

/** The refusal of this process's TLS client side that `err` is (or made a Cluster find no node to serve), said as a reason; else undefined. */
function clientCertificateReason(err: unknown): string | undefined {
  const under = nodeErrorUnder(err);
  const code = under instanceof Error ? (under as { code?: unknown }).code : undefined;
  const what = typeof code === 'string' && Object.hasOwn(CLIENT_CERTIFICATE_ALERTS, code) ? CLIENT_CERTIFICATE_ALERTS[code] : undefined;
  return what === undefined ? undefined : `${CLIENT_CERTIFICATE_REFUSED}${what} (${code as string})`;
}

/** One line for "what happened", from whatever ioredis reported (never a stack). */
export function connectionReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const client = clientCertificateReason(err);
  if (client !== undefined) return client;
  // Said for what it is, not as Redis gone; a Cluster no node of which answered says nothing of why.
  const refused = certificateRefusal(err);
  if (refused !== undefined) {
    const node = (refused as { node?: unknown }).node;
    return `${CERTIFICATE_REFUSED}${typeof node === 'string' ? `of ${node} ` : ''}was refused: ${refused.message.split('\n')[0] ?? ''}`;
  }
  const cluster = clusterStateReason(err);
  if (cluster !== undefined) return cluster;
  const notResp = NOT_RESP.exec(err.message);
  if (notResp) {
    const spoken = SPOKEN_BY_FIRST_BYTE[notResp[1] ?? ''];
    return `${NOT_REDIS} (${spoken === undefined ? `its first byte was "${notResp[1] ?? ''}"` : `it speaks ${spoken}?`})`;
  }
  const firstLine = err.message.split('\n')[0] ?? err.name;
  return firstLine || err.name;
}

/**
 * The first error queued in a MULTI whose EXEC Redis aborted (ioredis keeps them on the EXECABORT
 * error as `previousErrors`): "Transaction discarded because of previous errors" names no cause.
 */
export function underExecAbort(err: unknown): unknown {
  if (!(err instanceof Error) || !/^EXECABORT\b/.test(err.message)) return err;
  const previous = (err as { previousErrors?: unknown }).previousErrors;
  return Array.isArray(previous) && previous[0] instanceof Error ? previous[0] : err;
}

/**
 * Redis's replies refusing a command for its own state, for as long as that state lasts: a command
 * (or a script, at its first write) refused this way changed nothing, and the same command later
 * may be taken. OOM: `maxmemory` reached under `noeviction`; MISCONF: the last save to disk failed
 * (`stop-writes-on-bgsave-error`); READONLY: a replica; NOREPLICAS: fewer replicas than
 * `min-replicas-to-write`; BUSY: a script past its time limit; LOADING: the data set still loading;
 * MASTERDOWN: a replica that lost its primary (`replica-serve-stale-data no`); EXECABORT: a
 * transaction refused whole for one of these (the first error under it, when ioredis kept it). Redis
 * 6 says a script's as `ERR Error running script ... -OOM ...`. {@link writeRefusal} is the
 * three of them that refuse every write, as the front ends name them.
 */
const STATE_REFUSAL = /^(?:ERR .*?-)?((OOM|MISCONF|READONLY|NOREPLICAS|BUSY|LOADING|MASTERDOWN|EXECABORT)\b[^.]*)/;

export type RedisStateRefusal = 'OOM' | 'MISCONF' | 'READONLY' | 'NOREPLICAS' | 'BUSY' | 'LOADING' | 'MASTERDOWN' | 'EXECABORT';

/** The refusal `err` is (through an aborted MULTI) and Redis's reply for it (its first sentence); undefined for any other error. */
function stateRefusalOf(err: unknown): { kind: RedisStateRefusal; reply: string } | undefined {
  const under = underExecAbort(err);
  if (!(under instanceof Error)) return undefined;
  const m = STATE_REFUSAL.exec(under.message);
  return m ? { kind: m[2] as RedisStateRefusal, reply: (m[1] ?? '').trim() } : undefined;
}

/** Which of Redis's refusals for its own state `err` is (see {@link STATE_REFUSAL}); undefined for any other error. */
export function redisStateRefusal(err: unknown): RedisStateRefusal | undefined {
  return stateRefusalOf(err)?.kind;
}

const WRITE_REFUSAL_KINDS: ReadonlySet<RedisStateRefusal> = new Set<WriteRefusalKind>(['OOM', 'MISCONF', 'READONLY']);

/** The refusal `err` is when it is one of those that refuse every write (OOM, MISCONF, READONLY), with the reply that showed it; else undefined. */
export function writeRefusal(err: unknown): WriteRefusal | undefined {
  const refusal = stateRefusalOf(err);
  return refusal && WRITE_REFUSAL_KINDS.has(refusal.kind) ? { kind: refusal.kind as WriteRefusalKind, shownBy: refusal.reply } : undefined;
}

/**
 * What to do about each refusal, for the operator of that Redis, in the Node API's words (a
 * logger of `smsq` says them as the environment's). The three that refuse every write have the
 * fix SMSQ_REDIS_WRITES_REFUSED names (src/errors.ts), not words of their own here.
 */
export const STATE_REFUSAL_FIX: Readonly<Record<RedisStateRefusal, string>> = Object.freeze({
  OOM: writeRefusalFix('OOM'),
  MISCONF: writeRefusalFix('MISCONF'),
  READONLY: writeRefusalFix('READONLY'),
  NOREPLICAS: 'fewer replicas than min-replicas-to-write are connected to the primary: bring them back',
  BUSY: 'a script runs past busy-reply-threshold: wait for it, or SCRIPT KILL it',
  LOADING: 'Redis is loading its data set after a start: wait for it',
  MASTERDOWN: 'REDIS_URL reaches a replica that lost its primary: point it at the primary',
  EXECABORT: 'a transaction was refused whole for the state of Redis: see its log',
});
