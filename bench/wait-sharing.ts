/**
 * The WAIT modes' confirmations on one connection, side by side in one run: each writer sending
 * its own WAIT after its write (as smsq did before 2026-12-05) against the durability barrier, which
 * shares one WAIT among the confirmations asked for while one is out. `npx tsx bench/wait-sharing.ts
 * [--json] [--writers W] [--seconds S] [--rounds R]`.
 *
 * A private primary and one replica (no AOF: the `replicas` mode), one connection to the primary,
 * W writers on it (a worker's job slots), each looping: SET, then the confirmation. Rounds
 * alternate own / shared. Figures per side (medians over rounds): writes confirmed per second,
 * WAITs run per confirmed write, and the CPU of both redis-servers per confirmed write.
 */
import { Redis } from 'ioredis';
import { createDurabilityBarrier } from '../src/durability/barrier.js';
import { startPrivateRedis, type PrivateRedis } from '../src/runtime/private-redis.js';
import { median, round, runIfMain } from './support/pipeline.js';

export interface WaitSharingOptions {
  writers: number;
  seconds: number;
  rounds: number;
}

export const WAIT_SHARING_DEFAULTS: WaitSharingOptions = { writers: 64, seconds: 3, rounds: 3 };

interface Side {
  confirmedPerSecond: number[];
  waitsPerWrite: number[];
  redisMicrosPerWrite: number[];
}

export interface WaitSharingResult {
  benchmark: 'wait-sharing';
  options: WaitSharingOptions;
  own: Side;
  shared: Side;
  /** Medians, shared ÷ own. */
  ratios: { confirmedPerSecond: number; redisMicrosPerWrite: number };
}

async function info(redis: Redis, section: string, field: RegExp): Promise<number> {
  return Number(field.exec(await redis.info(section))?.[1] ?? 0);
}
const cpuOf = async (redis: Redis) => (await info(redis, 'cpu', /used_cpu_sys:([\d.]+)/)) + (await info(redis, 'cpu', /used_cpu_user:([\d.]+)/));
const waitsOf = (redis: Redis) => info(redis, 'commandstats', /cmdstat_wait:calls=(\d+)/);

export async function runWaitSharing(opts: Partial<WaitSharingOptions> = {}): Promise<WaitSharingResult> {
  const o = { ...WAIT_SHARING_DEFAULTS, ...opts };
  const servers: PrivateRedis[] = [];
  const clients: Redis[] = [];
  try {
    const primary = await startPrivateRedis({ appendfsync: 'off' });
    servers.push(primary);
    const replicaServer = await startPrivateRedis({ appendfsync: 'off' });
    servers.push(replicaServer);
    const redis = new Redis(primary.url, { maxRetriesPerRequest: null });
    const replica = new Redis(replicaServer.url, { maxRetriesPerRequest: null });
    clients.push(redis, replica);
    await replica.replicaof('127.0.0.1', primary.port);
    for (let i = 0; !/master_link_status:up/.test(await replica.info('replication')); i++) {
      if (i > 100) throw new Error('the replica did not sync');
      await new Promise((r) => setTimeout(r, 100));
    }
    const barrier = createDurabilityBarrier(async () => redis, { mode: 'replicas', replicas: 1, timeoutMs: 5000 });
    const confirmations = {
      own: async () => {
        const acked = (await redis.call('WAIT', 1, 5000)) as number;
        if (acked < 1) throw new Error('WAIT: not confirmed');
      },
      shared: async (since: Awaited<ReturnType<typeof barrier.mark>>) => barrier.confirm('bench write', since),
    };
    const own: Side = { confirmedPerSecond: [], waitsPerWrite: [], redisMicrosPerWrite: [] };
    const shared: Side = { confirmedPerSecond: [], waitsPerWrite: [], redisMicrosPerWrite: [] };
    for (let r = 0; r < o.rounds + 1; r++) {
      for (const [name, into] of [
        ['own', own],
        ['shared', shared],
      ] as const) {
        const waits0 = await waitsOf(redis);
        const cpu0 = (await cpuOf(redis)) + (await cpuOf(replica));
        const until = Date.now() + o.seconds * 1000;
        const started = Date.now();
        let confirmed = 0;
        await Promise.all(
          Array.from({ length: o.writers }, async (_, w) => {
            for (let n = 0; Date.now() < until; n++) {
              const since = await barrier.mark();
              await redis.set(`bench:wait:${w}`, String(n));
              if (name === 'own') await confirmations.own();
              else await confirmations.shared(since);
              confirmed++;
            }
          }),
        );
        const seconds = (Date.now() - started) / 1000;
        const waits = (await waitsOf(redis)) - waits0;
        const cpu = (await cpuOf(redis)) + (await cpuOf(replica)) - cpu0;
        // The first round of each side warms up and is not kept.
        if (r === 0) continue;
        into.confirmedPerSecond.push(Math.round(confirmed / seconds));
        into.waitsPerWrite.push(round(waits / confirmed));
        into.redisMicrosPerWrite.push(round((cpu / confirmed) * 1e6, 1));
      }
    }
    return {
      benchmark: 'wait-sharing',
      options: o,
      own,
      shared,
      ratios: {
        confirmedPerSecond: round(median(shared.confirmedPerSecond) / median(own.confirmedPerSecond)),
        redisMicrosPerWrite: round(median(shared.redisMicrosPerWrite) / median(own.redisMicrosPerWrite)),
      },
    };
  } finally {
    for (const c of clients) c.disconnect();
    for (const s of servers) await s.stop();
  }
}

export function formatWaitSharing(r: WaitSharingResult): string {
  const line = (name: string, s: Side) =>
    `  ${name.padEnd(7)} confirmed writes/s ${s.confirmedPerSecond.join(', ')} (median ${median(s.confirmedPerSecond)}); WAITs per write ${s.waitsPerWrite.join(', ')}; Redis µs per write (both servers) ${s.redisMicrosPerWrite.join(', ')}`;
  return [
    `WAIT confirmations on one connection: ${r.options.writers} writers (SET, then confirm) for ${r.options.seconds} s a round, ${r.options.rounds} rounds a side after a warm-up, own and shared alternated`,
    line('own', r.own),
    line('shared', r.shared),
    `  shared ÷ own: confirmed writes/s ${r.ratios.confirmedPerSecond}, Redis µs per write ${r.ratios.redisMicrosPerWrite}`,
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['writers', 'seconds', 'rounds'],
  limitMs: 300_000,
  what: 'the WAIT sharing bench',
  run: (v) => runWaitSharing(v),
  format: formatWaitSharing,
});
