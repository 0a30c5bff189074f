/**
 * The database `REDIS_URL` (a Node caller's `redis` connection) names is the one smsq writes to. ioredis sends SELECT when it connects
 * and, when Redis refuses it (a database past the server's `databases`), only emits an error and
 * goes on in database 0: every key would land in another deployment's keyspace, and a status read
 * would answer from it.
 */
import type { Redis } from 'ioredis';
import { RedisClusterNodeError, RedisDatabaseRefusedError } from '../errors.js';
import { mention } from '../setting-mention.js';
import { isCluster, madeFromSingleRedisUrl, type RedisConnection } from './connection.js';
import { isNoSuchDatabase } from './redis-errors.js';

// One connection is checked once, however many gates and workers share it; a failed check (Redis
// not answering yet) is asked again.
const confirmed = new WeakMap<RedisConnection, Promise<void>>();

/**
 * Throws {@link RedisDatabaseRefusedError} when the connection's database is not the one in use,
 * naming the Redis as the Node API's `redis` option (`` `redis: "redis://…/99"` ``), as the other
 * refusals of Redis do: the CLI and `smsq server` say it as REDIS_URL (src/setting-mention.ts).
 */
export function confirmDatabase(redis: RedisConnection, redactedUrl: string): Promise<void> {
  let check = confirmed.get(redis);
  if (check === undefined) {
    check = selectDatabase(redis, redactedUrl);
    confirmed.set(redis, check);
    check.catch(() => confirmed.delete(redis));
  }
  return check;
}

async function selectDatabase(redis: RedisConnection, redactedUrl: string): Promise<void> {
  if (isCluster(redis)) return; // a Cluster has database 0 only, and REDIS_URL cannot name another
  if (madeFromSingleRedisUrl(redis)) await refuseClusterNode(redis, redactedUrl);
  const db = Number(redis.options.db ?? 0);
  if (db === 0) return;
  try {
    await redis.select(db);
  } catch (err) {
    if (/^NOPERM/.test((err as Error).message)) {
      throw new RedisDatabaseRefusedError(
        `${mention('redis', redactedUrl)} names database ${db}, and its user may not SELECT (NOPERM); nothing was read or written. Fix: database 0 (${mention('redis', 'redis://user:pass@host:6379/0')}), or grant the user +select`,
      );
    }
    if (!isNoSuchDatabase(err)) throw err;
    const databases = await redis.config('GET', 'databases').then(
      (reply) => Number((reply as string[])[1]),
      () => undefined,
    );
    const has = databases === undefined ? '' : ` (it has ${databases}: 0 to ${databases - 1})`;
    throw new RedisDatabaseRefusedError(
      `${mention('redis', redactedUrl)} names database ${db}, which this Redis does not have${has}; nothing was read or written. Fix: a database this Redis has (${mention('redis', 'redis://host:6379/0')}), or raise \`databases\` in redis.conf`,
    );
  }
}

/**
 * Refuses a single-Redis URL (`redis://`, `rediss://`) that reaches a node of a Redis Cluster
 * (INFO cluster_enabled:1): smsq's keys answered MOVED by a node that does not serve their slot
 * failed as a raw `MOVED` (exit 1), and on the node that does they were served with no failover
 * or reshard ever followed. A Redis whose INFO fails (renamed, an ACL, refused credentials) is not judged here,
 * nor a client the caller made itself (`new Redis(url)`), which may be a Cluster's own node.
 */
async function refuseClusterNode(redis: Redis, redactedUrl: string): Promise<void> {
  // Not judged when INFO fails, whatever the reason: a refused command, or the credentials or the
  // connection, which the commands after this meet and say in their own words (a raw WRONGPASS
  // thrown from here reached `smsq worker` as exit 1).
  const info = await redis.info('cluster').catch(() => '');
  if (!/^cluster_enabled:1\s*$/m.test(info)) return;
  const { host = '127.0.0.1', port = 6379, tls } = redis.options;
  // A node reached in TLS (rediss://) is reached so as a Cluster: redis+cluster:// would drop it.
  const scheme = tls ? 'rediss+cluster' : 'redis+cluster';
  throw new RedisClusterNodeError(
    `${mention('redis', redactedUrl)} names a node of a Redis Cluster (INFO cluster_enabled:1) as a single Redis; nothing was read or written. Fix: ${mention('redis', `${scheme}://${host}:${port}`)} (the Cluster's nodes, as many as you like, comma-separated; the rest are discovered)`,
  );
}
