/**
 * The bounded wait in front of every producer call and one-shot command: Redis answers, or the
 * call fails within the connect timeout with {@link RedisUnavailableError} (one line naming
 * REDIS_URL and the fix) instead of hanging or printing one error per reconnect attempt.
 */
import type { RedisConnection } from './connection.js';
import { CampaignCutOff, ConfigError, IN_CLUSTER, RedisAuthRefusedError, RedisUnavailableError, RedisWritesRefusedError } from '../errors.js';
import { commandTimeoutOf, describeRedis, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, isCluster } from './connection.js';
import { authRefusedError, certificateRefusal, connectionReason, isCredentialRefusal, isRedisConnectionError, isResetLink, saysNotWhy, underExecAbort, writeRefusal } from './redis-errors.js';
import { linkHistoryOf, noteFailure } from './link-history.js';
import { confirmDatabase } from './redis-database.js';
import { certificateHint, tlsSilenceHint } from './tls-silence-hint.js';

export interface RedisGateOptions {
  redis: RedisConnection;
  /** REDIS_URL, password redacted, for the message. Default: derived from the connection. */
  redactedUrl?: string;
  /** Longest wait for a connection that is still being made (ms). Default 5000. */
  timeoutMs?: number;
}

export interface RedisGate {
  /** Resolves when Redis is ready; rejects with {@link RedisUnavailableError} once it is known not to be (SMSQ_REDIS_AUTH when it refused the credentials). */
  ready(): Promise<void>;
  /** Runs `fn` once Redis is ready; a connection failure inside it becomes {@link RedisUnavailableError}. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * `err` as a {@link RedisUnavailableError} when it (or the connection's state) says Redis is gone,
   * as {@link RedisWritesRefusedError} when Redis refused a write (OOM, MISCONF, READONLY); else
   * `err`. `midCall`: Redis went away during the call.
   */
  translate(err: unknown, midCall?: boolean): unknown;
}

/** Statuses in which the first connect is still under way (ioredis `Redis#status`). */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

/** Whether ioredis would write a command now: a Cluster's links are its nodes', and it queues. */
function writable(redis: RedisConnection): boolean {
  return !('stream' in redis) || redis.stream === undefined || redis.stream.writable;
}

export function createRedisGate(options: RedisGateOptions): RedisGate {
  const { redis } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS;
  const url = () => options.redactedUrl ?? describeRedis(redis);
  // What the link has been through since it was last ready: what a command refused meanwhile is
  // said to have met. The connection's own history when it keeps one, so a gate made during an
  // outage knows it too.
  const history = linkHistoryOf(redis);
  // Keeps ioredis from printing "Unhandled error event" for each reconnect attempt.
  redis.on('error', () => {});

  // Redis that refused the credentials answered: a configuration to fix, not an outage to wait out.
  const unavailable = (reason: string, cause?: unknown) => authRefusedError(cause, url()) ?? new RedisUnavailableError(url(), reason, cause);
  /** In smsq's words: a command's timeout in ms, and for an error of ioredis's that says nothing of why (see saysNotWhy), why the link is down. */
  const reasonOf = (err: unknown): string => {
    const timeoutMs = commandTimeoutOf(redis);
    if (err instanceof Error && err.message === 'Command timed out' && timeoutMs !== undefined) return `no answer within ${timeoutMs} ms`;
    if (saysNotWhy(err)) return history.failure !== undefined && !saysNotWhy(history.failure) ? reasonNow() : 'the connection was lost';
    return connectionReason(err);
  };
  /**
   * Why the connection is down now, as its history says: a reconnect refused now is told as such,
   * with the loss before it; a loss with no attempt since, as the loss; a connection whose past is
   * unknown (made elsewhere, down before it was first asked) is not said to have lost anything.
   */
  const reasonNow = (): string => {
    const { failure } = history;
    if (failure !== undefined && !saysNotWhy(failure)) {
      const said = history.failureAfterLoss ? `${reasonOf(failure)}; reconnecting since the connection was lost` : reasonOf(failure);
      return certificateRefusal(failure) ? `${said}${certificateHint(url())}` : said;
    }
    if (redis.status !== 'reconnecting') return `connection ${redis.status}`;
    return history.lost ? 'the connection was lost; reconnecting' : 'not connected; reconnecting';
  };

  // One wait shared by every caller that arrives while the first connect is under way: a burst
  // of requests at start-up adds three listeners, not three per request (Node warns of a leak at 10).
  let connecting: Promise<void> | undefined;

  // Once per connection, after its first connect: the database REDIS_URL names is the one in use.
  let database: Promise<void> | undefined;
  const confirmed = () =>
    (database ??= confirmDatabase(redis, url()).catch((err: unknown) => {
      // Only a refused database is settled; a connection lost meanwhile is asked again next time.
      if (!(err instanceof ConfigError)) database = undefined;
      throw translate(err);
    }));

  function ready(): Promise<void> {
    // A link a command timeout dropped (droppable-redis.ts) to a Redis that is frozen, not gone,
    // stays `ready` until that Redis closes its end: every command is refused unwritten meanwhile,
    // so a call made now changes nothing, and must not be told it may have.
    if (redis.status === 'ready' && !writable(redis)) return Promise.reject(unavailable(reasonNow(), history.failure));
    if (redis.status === 'ready') return confirmed();
    // Reconnecting (or closed) means a connect already failed: fail now rather than make every
    // caller wait out the back-off while Redis is down.
    if (!CONNECTING.has(redis.status)) return Promise.reject(unavailable(reasonNow(), history.failure));
    if (redis.status === 'wait') redis.connect().catch(() => {}); // lazyConnect: the gate starts it
    connecting ??= waitForConnect()
      .then(confirmed)
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  }

  function waitForConnect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('reconnecting', onDown);
        redis.off('end', onEnd);
        fn();
      };
      const onReady = () => done(resolve);
      const onEnd = () => done(() => reject(unavailable(reasonNow(), history.failure)));
      // A link reset before anything answered may have lost what the other end said: a server of
      // another protocol answers, closes, and our next write draws a reset that drops its answer
      // unread. The next attempts, within the timeout, tell; every other failure is told at once.
      const onDown = () => {
        if (!isResetLink(history.failure)) onEnd();
      };
      const tls = tlsSilenceHint(url());
      // A refused certificate is said as such rather than as silence.
      const said = () => (isResetLink(history.failure) || certificateRefusal(history.failure) ? reasonNow() : `no answer within ${timeoutMs} ms${tls}`);
      const timer = setTimeout(() => done(() => reject(unavailable(said(), history.failure))), timeoutMs);
      redis.on('ready', onReady);
      redis.on('reconnecting', onDown);
      redis.on('end', onEnd);
    });
  }

  /**
   * A command refused because the link is down (ioredis says not why) while its reconnect is refused
   * the credentials (a password rotated, a user removed): that refusal, which no wait mends, as
   * ready() says it; undefined otherwise.
   */
  function credentialsRefusedOnReconnect(err: unknown): RedisAuthRefusedError | undefined {
    return saysNotWhy(err) && isCredentialRefusal(history.failure) ? authRefusedError(history.failure, url()) : undefined;
  }

  function translate(err: unknown, midCall = false): unknown {
    if (err instanceof CampaignCutOff) {
      const under = credentialsRefusedOnReconnect(err.cause) ?? translate(err.cause, midCall);
      if (under instanceof RedisUnavailableError) return new RedisUnavailableError(under.redactedUrl, under.reason, err.cause, true, false, err.campaign);
      if (under instanceof RedisWritesRefusedError) return new RedisWritesRefusedError(under.redactedUrl, under.refusal, under.outcome, err.cause, err.campaign);
      // Redis refusing a command to the user (NOPERM) or the credentials on a reconnect part-way
      // leaves the send as an outage does: said with it.
      if (under instanceof RedisAuthRefusedError) return under.partWayThrough(err.campaign);
      return under;
    }
    if (err instanceof RedisUnavailableError || err instanceof RedisWritesRefusedError) return err;
    // Redis answered, refusing: a refused write writes nothing, whether or not others went before.
    const refusal = writeRefusal(err);
    if (refusal) return new RedisWritesRefusedError(url(), refusal, undefined, underExecAbort(err));
    // Mid-call, the link lost may have taken a write with it: said as an outage, which says so.
    const refused = authRefusedError(err, url()) ?? (midCall ? undefined : credentialsRefusedOnReconnect(err));
    if (refused) return refused;
    const ours = typeof (err as { code?: unknown } | null)?.code === 'string' && String((err as { code: string }).code).startsWith('SMSQ_');
    if (ours) return err;
    // A script sent in a MULTI (BullMQ's adds) to the master a reshard moved the slot to, which had
    // never run it: ioredis loads it there for the next call, so this one alone fails.
    if (isCluster(redis) && err instanceof Error && err.message.startsWith('NOSCRIPT')) {
      return new RedisUnavailableError(url(), `${IN_CLUSTER}moved the slot of smsq's keys to a master that had not loaded smsq's scripts yet (NOSCRIPT); they are loaded for the next call`, err, midCall);
    }
    if (!isRedisConnectionError(err)) return err;
    // A command that timed out dropped the link (src/queue/droppable-redis.ts): the calls refused
    // until it is made again met that timeout.
    if (!saysNotWhy(err)) noteFailure(history, err);
    return new RedisUnavailableError(url(), reasonOf(err), err, midCall);
  }

  return {
    ready,
    async run(fn) {
      await ready();
      try {
        return await fn();
      } catch (err) {
        // Redis answered at first: whatever `fn` had written may have landed.
        throw translate(err, true);
      }
    },
    translate,
  };
}

