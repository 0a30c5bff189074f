import { clientCommandTimeoutMs, commandTimeoutOf, isCluster, type RedisConnection } from '../src/queue/connection.js';
import type { ResolvedDurability } from '../src/durability/mode.js';
import { ProducerConnectionError } from '../src/errors.js';

/**
 * What a producer's Redis connection must be, checked by createProducer before it makes anything.
 *
 * A producer stops writing once the connection it began on has been lost (a campaign:
 * one-connection-enqueuer.ts; an enqueue's confirmation: src/durability/barrier.ts), because the
 * server the connection comes back to may lack its earlier writes (a replica promoted while it
 * lagged). It can only see a drop that has happened. A connection that keeps a write to send later
 * sends it to that server before any check can see the change: ioredis's offline queue
 * (`enableOfflineQueue`, writes made while Redis is down go out once it is back) and its resending
 * of the commands on the wire when the link dropped (`autoResendUnfulfilledCommands`). Both are on
 * in ioredis's defaults and in smsq's `worker` role (a worker waits through an outage and resumes).
 * test/integration/producer-connection.test.ts: a campaign's jobs, on the wire when its Redis was
 * killed, landed on the empty server started in its place, under a send it held no record of.
 *
 * Refused rather than worked around (a `client` duplicate made here): the connection stays the
 * caller's, as every side effect is (one connection, one owner who closes it), and the caller
 * learns at once, not after a failover.
 *
 * A Cluster is judged by its own offline queue and its nodes' resending (`redisOptions`), which
 * matters once `clusterNodeRetryStrategy` lets a node reconnect. Not judged here: the Cluster client
 * itself sends a command whose node connection closed again, to the slot's master once its slots
 * are refreshed (`retryDelayOnFailover`, in every role: a node still connecting is handled that
 * way too, so it cannot simply be turned off).
 */
export function checkProducerConnection(redis: RedisConnection, durability: ResolvedDurability): void {
  refuseWritesSentLater(redis);
  checkConfirmationFits(redis, durability);
}

/** The ioredis options of `redis` that would send a write later than it was given. */
export function writesSentLater(redis: RedisConnection): ('enableOfflineQueue' | 'autoResendUnfulfilledCommands')[] {
  const options = redis.options as { enableOfflineQueue?: boolean; autoResendUnfulfilledCommands?: boolean };
  const late: ('enableOfflineQueue' | 'autoResendUnfulfilledCommands')[] = [];
  // ioredis fills its defaults in: absent means on, as in a connection made with `new Redis(url)`.
  if (options.enableOfflineQueue !== false) late.push('enableOfflineQueue');
  const resend = isCluster(redis) ? redis.options.redisOptions?.autoResendUnfulfilledCommands : options.autoResendUnfulfilledCommands;
  if (resend !== false) late.push('autoResendUnfulfilledCommands');
  return late;
}

const WHAT_IT_DOES = {
  enableOfflineQueue: 'enableOfflineQueue is on (a write made while Redis is down waits, and goes out once it is back)',
  autoResendUnfulfilledCommands: 'autoResendUnfulfilledCommands is on (a write on the wire when the link drops is sent again after the reconnect)',
} as const;

function refuseWritesSentLater(redis: RedisConnection): void {
  const late = writesSentLater(redis);
  if (late.length === 0) return;
  throw new ProducerConnectionError(
    late,
    `createProducer: the Redis connection would send a write later than the producer gave it: ${late.map((o) => WHAT_IT_DOES[o]).join('; ')}. ` +
      "Such a write goes to whichever server the connection reaches next, before the producer can see it changed: after a failover, a replica promoted while it lagged, which lacks the send's earlier writes. " +
      "Fix: give the producer a connection of its own made with createRedisConnection(url, { role: 'client' }) (ioredis's defaults and role 'worker' keep both options on; a worker needs them, so do not share its connection)",
  );
}

/**
 * A confirmation's WAIT or WAITAOF waits up to the durability timeout: on a connection whose command
 * timeout is not longer, it would be cut as if Redis had stopped answering (SMSQ_REDIS_UNAVAILABLE)
 * instead of refused as not durable (the enqueue withdrawn).
 */
function checkConfirmationFits(redis: RedisConnection, durability: ResolvedDurability): void {
  const commandTimeout = commandTimeoutOf(redis);
  if (durability.mode === 'fsync' || durability.mode === 'none' || commandTimeout === undefined) return;
  if (clientCommandTimeoutMs(0, durability.timeoutMs) <= commandTimeout) return;
  throw new ProducerConnectionError(
    ['commandTimeout'],
    `createProducer: durability.timeoutMs (${durability.timeoutMs} ms) is not a second shorter than the connection's command timeout (${commandTimeout} ms): a ${durability.mode === 'waitaof' ? 'WAITAOF' : 'WAIT'} would be cut as if Redis had stopped answering. ` +
      `Fix: createRedisConnection(url, { role: 'client', commandTimeoutMs: clientCommandTimeoutMs(connectTimeoutMs, ${durability.timeoutMs}) }), or a shorter durability timeout`,
  );
}
