/**
 * Watches the connection of a long-running process (`smsq worker`, `smsq server`) and says one
 * line when Redis goes away and one when it is back, however many reconnect attempts lie between.
 */
import type { RedisConnection } from './connection.js';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { describeRedis } from './connection.js';
import { authRefusedError, connectionReason, isCredentialRefusal, isDatabaseRefusal } from './redis-errors.js';
import { isHeldByBlockingCommand } from './blocking-commands.js';
import { pingWithin, type TimedPing } from './ping-within.js';
import { certificateHint, tlsSilenceHint } from './tls-silence-hint.js';
import { CERTIFICATE_REFUSED, CLIENT_CERTIFICATE_REFUSED, NOT_REDIS, redisDoesNotAnswer, redisFix } from '../errors.js';
import { inEnvironmentTerms } from '../setting-mention.js';

export interface RedisWatchOptions {
  redis: RedisConnection;
  logger: Logger;
  /** REDIS_URL, password redacted. Default: derived from the connection. */
  redactedUrl?: string;
  clock?: Clock;
  /**
   * Asks Redis (PING) this often (ms), and takes an answer that does not come within the same time
   * as Redis gone (one line, and one when it answers again). A Redis frozen or cut off without a
   * reset gives the connection no event: a connection that waits through outages (a worker's) would
   * wait in silence, at start too (the ready check goes unanswered). Default: off.
   */
  probeMs?: number;
}

export interface RedisWatch {
  /** True while the connection is ready. */
  isUp(): boolean;
  /** Stops watching (before the connection is closed on purpose, so a shutdown is not an outage). */
  stop(): void;
}

export function watchRedis(options: RedisWatchOptions): RedisWatch {
  const { redis } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: 'redis' });
  const url = options.redactedUrl ?? describeRedis(redis);
  let up = redis.status === 'ready';
  let everUp = up;
  let downSince: number | undefined;
  let lastError: unknown;
  /** Whether Redis refused the credentials since the connection was last ready, and whether that was said. */
  let refused = false;
  let refusalSaid = false;

  const onError = (err: unknown) => {
    // Redis answered and refused REDIS_URL's database: not an outage, and said by the database check.
    if (isDatabaseRefusal(err)) return;
    // Redis answered and refused the credentials: not an outage either. Before it was ever ready,
    // the start it refuses says it (SMSQ_REDIS_AUTH); after, said once here: the reconnects go on,
    // and succeed once the credentials (or Redis's) are fixed.
    if (isCredentialRefusal(err)) {
      refused = true;
      if (everUp && !refusalSaid) {
        refusalSaid = true;
        log.error({ redisUrl: url, reason: connectionReason(err) }, `${refusalAsSaid(err, url)} (it keeps reconnecting with back-off, and resumes once the credentials match)`);
      }
      return;
    }
    lastError = err;
    // The first failed connect of a process that never reached Redis is an outage too.
    if (downSince === undefined && !up) goDown();
  };
  const goDown = () => {
    up = false;
    downSince = clock.now();
    const reason = lastError ? connectionReason(lastError) : 'connection closed';
    // Something else answering at that port is a wrong REDIS_URL: said so, with its fix, not as an outage.
    // Never reached over TLS, the handshake may be why (once reached, an outage is an outage).
    // A refused certificate is no outage either: said as what it is, with what TLS trusts.
    const said = reason.startsWith(NOT_REDIS)
      ? `${redisDoesNotAnswer(url, reason)}; retrying with back-off (work starts by itself once Redis answers there). ${redisFix(reason)}`
      : reason.startsWith(CERTIFICATE_REFUSED)
        ? `${redisDoesNotAnswer(url, `${reason}${certificateHint(url)}`)}; retrying with back-off (a certificate the server changes is taken then; a CA newly trusted takes a restart, as NODE_EXTRA_CA_CERTS is read at start). ${redisFix(reason)}`
        : reason.startsWith(CLIENT_CERTIFICATE_REFUSED)
          ? `${redisDoesNotAnswer(url, reason)}; retrying with back-off (a change of the Redis's tls-auth-clients or CA is taken then; a client certificate of this process's, only at a restart). ${redisFix(reason)}`
          : `Redis at REDIS_URL=${url} does not answer; retrying with back-off (work resumes by itself when it is back). Fix: check that Redis is running and reachable${everUp ? '' : tlsSilenceHint(url)}`;
    log.warn({ redisUrl: url, reason }, said);
  };
  const onClose = () => {
    if (up) goDown();
  };
  const onReady = () => {
    if (downSince !== undefined) log.info({ redisUrl: url, downMs: clock.now() - downSince }, `Redis at REDIS_URL=${url} answers again; resuming`);
    up = true;
    everUp = true;
    refused = false;
    refusalSaid = false;
    downSince = undefined;
    lastError = undefined;
  };
  // Links made so far: a probe's silence is about the link its PING went out on. A PING left on a
  // link that was dropped meanwhile (ioredis keeps it, unsent again, until its timeout) timed out
  // after a new link was ready, and called Redis gone while it answered, with nothing after.
  let links = 0;
  const onLinkReady = () => {
    links++;
    onReady();
  };
  redis.on('error', onError);
  redis.on('close', onClose);
  redis.on('ready', onLinkReady);

  const probeMs = options.probeMs;
  let probing = false;
  let stopped = false;
  let ping: TimedPing | undefined;
  const silent = () => new Error(`no answer within ${probeMs} ms`);
  /** A PING that went unanswered for probeMs: Redis gone, unless a blocking command (a WAIT) held the connection. */
  const unanswered = () => {
    if (stopped || !up || redis.status !== 'ready' || isHeldByBlockingCommand(redis)) return false;
    lastError = silent();
    goDown();
    return true;
  };
  const probe = async () => {
    if (probing || stopped) return;
    if (redis.status === 'ready') {
      // Behind a WAIT for a lagging replica a PING waits for the replica: not asked then.
      if (isHeldByBlockingCommand(redis)) return;
      probing = true;
      const link = links;
      // A PING failed by the connection's own command timeout (as long as probeMs on a client
      // connection) is the same silence, said as such rather than by the drop that follows.
      ping = pingWithin(redis, probeMs as number);
      const first = await ping.within;
      if (first === 'late' && link === links && unanswered()) {
        // A late answer on the same link is Redis answering again (no `ready` comes for it).
        if ((await ping.settled) === 'answered' && !stopped && downSince !== undefined && redis.status === 'ready') onReady();
      }
      probing = false;
    } else if (downSince === undefined && !up && !refused && (redis.status === 'connect' || redis.status === 'connecting')) {
      // (A Redis that refused the credentials answers: that is said, not silence.)
      // Connected (or connecting) since before the last probe and not ready: nothing answers.
      lastError ??= silent();
      goDown();
    }
  };
  const timer = probeMs === undefined ? undefined : setInterval(() => void probe(), probeMs);
  timer?.unref();
  return {
    isUp: () => up,
    stop() {
      stopped = true;
      clearInterval(timer);
      ping?.cancel();
      redis.off('error', onError);
      redis.off('close', onClose);
      redis.off('ready', onLinkReady);
    },
  };
}

/** A refusal of the credentials as this log says every Redis failure: naming REDIS_URL, as the outage lines do. */
function refusalAsSaid(err: unknown, url: string): string {
  const refusal = authRefusedError(err, url);
  return refusal === undefined ? connectionReason(err) : inEnvironmentTerms(refusal.message);
}
