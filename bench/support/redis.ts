/**
 * A private redis-server for one bench (src/runtime/private-redis.ts), plus what benches read from
 * it: connections, used memory, CPU. If the bench dies first, an exit hook kills it and removes its
 * temp dir.
 */
import { Redis } from 'ioredis';
import { parseInfo } from '../../src/durability/probe.js';
import { DEFAULT_DURABILITY, type DurabilityOptions } from '../../src/durability/mode.js';
import { startPrivateRedis as startBase } from '../../src/runtime/private-redis.js';
import { onExitKill, onExitRemove } from './children.js';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';

export interface PrivateRedis {
  url: string;
  port: number;
  pid: number;
  /** A BullMQ-ready connection (`maxRetriesPerRequest: null`); closed by `stop()`. */
  connect(): Redis;
  /** A producer's connection (role 'client': createProducer takes no other); closed by `stop()`. */
  connectProducer(): RedisConnection;
  /** `INFO memory` used_memory in bytes. */
  usedMemory(): Promise<number>;
  /** redis-server CPU seconds so far (`INFO cpu`, user + sys, main thread and children). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info);
  if (!m) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

/**
 * The durability mode the bench's producers and workers run in: the product's default, or `none`
 * when BENCH_APPENDFSYNC runs Redis without the fsync that default needs.
 */
export function benchDurability(): DurabilityOptions {
  const mode = process.env.BENCH_APPENDFSYNC;
  return mode === 'off' || mode === 'everysec' ? { ...DEFAULT_DURABILITY, mode: 'none' } : DEFAULT_DURABILITY;
}

/**
 * Starts redis-server on 127.0.0.1 and a free port; needs `redis-server` on PATH. Its AOF runs
 * `appendfsync always` (what smsq's default durability mode needs) unless BENCH_APPENDFSYNC says
 * `everysec` or `off` (then also run the bench with SMSQ_DURABILITY=none), to compare. Redis
 * rewrites its AOF by itself as it grows unless BENCH_AOF_REWRITE=off.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const mode = process.env.BENCH_APPENDFSYNC;
  // BENCH_AOF_REWRITE=off: no automatic AOF rewrite, to see smsq apart from the rewrites' stalls.
  const rewrite = process.env.BENCH_AOF_REWRITE === 'off' ? { autoAofRewrite: false } : {};
  const base = await startBase({ ...(mode === 'off' || mode === 'everysec' ? { appendfsync: mode } : {}), ...rewrite });
  const unhook = onExitKill(base.process);
  const unhookDir = onExitRemove(base.dir);
  const connections: RedisConnection[] = [];
  let admin: Redis | undefined;
  const adminConn = () => {
    if (!admin) {
      admin = new Redis(base.url, { maxRetriesPerRequest: null });
      connections.push(admin);
    }
    return admin;
  };
  return {
    url: base.url,
    port: base.port,
    pid: base.process.pid as number,
    connect() {
      const c = new Redis(base.url, { maxRetriesPerRequest: null });
      connections.push(c);
      return c;
    },
    connectProducer() {
      const c = createRedisConnection(base.url, { role: 'client' });
      connections.push(c);
      return c;
    },
    async usedMemory() {
      return infoField(await adminConn().info('memory'), 'used_memory');
    },
    async cpuSeconds() {
      const info = await adminConn().info('cpu');
      return infoField(info, 'used_cpu_sys') + infoField(info, 'used_cpu_user');
    },
    async stop() {
      for (const c of connections) c.disconnect();
      await base.stop();
      unhook();
      unhookDir();
    },
  };
}

/**
 * `aof_rewrites` (INFO persistence) and `total_forks` (INFO stats) of a bench's Redis: an AOF
 * rewrite writes a whole base file while every write of `appendfsync always` waits for its own
 * fsync, so what a bench measures across one dips (docs/benchmarks.md, session 12).
 */
export async function forksOf(conn: Redis): Promise<{ aofRewrites: number; total: number }> {
  const info = parseInfo(await conn.info());
  return { aofRewrites: Number(info.get('aof_rewrites') ?? 0), total: Number(info.get('total_forks') ?? 0) };
}
