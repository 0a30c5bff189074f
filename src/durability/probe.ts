import type { Redis } from 'ioredis';
import type { RedisDurabilityFacts } from './mode.js';
import type { WriteRefusal } from '../queue/redis-errors.js';

/** `field:value` lines of an INFO reply. */
export function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) fields.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return fields;
}

/**
 * Reads what a Redis offers for durability: INFO always, and where CONFIG is allowed the two
 * settings that decide whether a reply means "on disk" (one pattern: Redis 6 takes one per GET).
 * Whether a failover can promote one of its replicas on its own: the connection found it through
 * Sentinel (its options name sentinels), or it is a Cluster master (INFO's cluster_enabled).
 */
export async function probeRedisDurability(redis: Redis): Promise<RedisDurabilityFacts> {
  const info = parseInfo(await redis.info());
  let appendfsync: string | undefined;
  let noFsyncDuringSaves: boolean | undefined;
  try {
    const reply = (await redis.config('GET', '*fsync*')) as string[];
    const settings = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) settings.set(String(reply[i]), String(reply[i + 1]));
    appendfsync = settings.get('appendfsync');
    const onRewrite = settings.get('no-appendfsync-on-rewrite');
    noFsyncDuringSaves = onRewrite === undefined ? undefined : onRewrite === 'yes';
  } catch {
    appendfsync = undefined; // managed Redis: CONFIG renamed or forbidden
  }
  return {
    version: info.get('redis_version') ?? '0',
    runId: info.get('run_id') ?? '',
    role: info.get('role') ?? 'master',
    aofEnabled: info.get('aof_enabled') === '1',
    appendfsync,
    noFsyncDuringSaves,
    connectedReplicas: Number(info.get('connected_slaves') ?? 0),
    maxmemoryPolicy: info.get('maxmemory_policy') ?? 'noeviction',
    failover: redis.options.sentinels?.length ? 'sentinel' : info.get('cluster_enabled') === '1' ? 'cluster' : undefined,
  };
}

/** The server's run_id: it changes whenever Redis restarts (or another node becomes primary). */
export async function redisRunId(redis: Redis): Promise<string> {
  return parseInfo(await redis.info('server')).get('run_id') ?? '';
}

/**
 * Whether Redis refuses writes now, as INFO tells without a write: a read-only replica
 * (role, replica_read_only), a failed AOF write or a failed RDB save that stops writes (MISCONF:
 * stop-writes-on-bgsave-error with a save point set; where CONFIG is refused, taken as set, as
 * Redis's defaults are), used_memory over maxmemory under noeviction (OOM). Undefined: it takes them.
 */
export async function probeWriteRefusal(redis: Pick<Redis, 'info' | 'config'>): Promise<WriteRefusal | undefined> {
  const info = parseInfo(await redis.info());
  if (info.get('role') === 'slave' && (info.get('replica_read_only') ?? info.get('slave_read_only')) !== '0') return { kind: 'READONLY', shownBy: 'INFO replication: role:slave' };
  if (info.get('aof_enabled') === '1' && info.get('aof_last_write_status') === 'err') return { kind: 'MISCONF', shownBy: 'INFO persistence: aof_last_write_status:err' };
  if (info.get('rdb_last_bgsave_status') === 'err' && (await savesStopWrites(redis))) return { kind: 'MISCONF', shownBy: 'INFO persistence: rdb_last_bgsave_status:err' };
  const maxmemory = Number(info.get('maxmemory') ?? 0);
  const used = Number(info.get('used_memory') ?? 0);
  if (maxmemory > 0 && used > maxmemory && (info.get('maxmemory_policy') ?? 'noeviction') === 'noeviction') {
    return { kind: 'OOM', shownBy: `INFO memory: used_memory ${used} > maxmemory ${maxmemory}` };
  }
  return undefined;
}

/** Whether a failed RDB save stops writes: stop-writes-on-bgsave-error, with a save point set. */
async function savesStopWrites(redis: Pick<Redis, 'config'>): Promise<boolean> {
  try {
    const [stop, save] = await Promise.all([redis.config('GET', 'stop-writes-on-bgsave-error'), redis.config('GET', 'save')]);
    return String((stop as string[])[1]) === 'yes' && String((save as string[])[1] ?? '').trim() !== '';
  } catch {
    return true; // managed Redis: CONFIG renamed or forbidden
  }
}
