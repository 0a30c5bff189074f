/**
 * Commands that hold their connection until they answer (WAIT, WAITAOF: Redis answers nothing
 * else on that connection meanwhile), counted per connection. The Redis watch's probe reads the
 * count: a PING queued behind a WAIT for a lagging replica is late because of the replica, not
 * because Redis stopped answering.
 */
import type { Redis } from 'ioredis';
import { isCluster, type RedisConnection } from './connection.js';

const inFlight = new WeakMap<Redis, number>();

/** `command`, sent on `redis`, counted while it has not answered. */
export function blockingCommand<T>(redis: Redis, command: Promise<T>): Promise<T> {
  inFlight.set(redis, (inFlight.get(redis) ?? 0) + 1);
  const done = () => inFlight.set(redis, (inFlight.get(redis) ?? 1) - 1);
  command.then(done, done);
  return command;
}

/** True while a blocking command is out on `redis` (on a Cluster: on any of its masters). */
export function isHeldByBlockingCommand(redis: RedisConnection): boolean {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  return nodes.some((node) => (inFlight.get(node) ?? 0) > 0);
}
