/**
 * BullMQ's own Redis work per job in smsq's calls queue against the BullMQ floor's queue, with none
 * of smsq's scripts: does BullMQ's moveToFinished (with the next job's move to active it makes)
 * cost Redis more for smsq's send jobs than for the floor's? `npx tsx bench/bullmq-move-cost.ts
 * [--json] [--count K] [--rounds R] [--profile 0|1] [--reverse 0|1] [--listpack V]`.
 *
 * - `smsq`: K verification codes enqueued by smsq's producer into its calls queue (its job ids,
 *   data, priority; its chunk records beside them), finished with a send job's return value.
 * - `floor`: K jobs added to a queue of their own as the overhead bench adds the floor's
 *   (bench/pipeline-overhead.ts, variant C), finished with the floor's return value.
 * - `floor, smsq's jobs`: the floor's queue and worker, jobs with smsq's job id form, data and
 *   return value.
 * Each is drained by a plain BullMQ Worker in this process with the floor's options (concurrency 64,
 * drain delay 1 s, the workers' retention, a global rate limit), whose processor returns at once:
 * Redis runs BullMQ's scripts for it and nothing else. The floor's finished jobs are cleaned after
 * each round, as the overhead bench cleans them; smsq's stay, as they stay there.
 *
 * The figure is Redis's main-thread CPU per job (`INFO cpu`), median of R rounds, the variants
 * alternated, with the AOF rewrites that fell in each round. With `--profile 1` each round is run
 * again under the slow log at threshold 0, as the overhead bench's BENCH_REDIS_PROFILE runs it,
 * and prints moveToFinished's time from it: Redis 7 times a command by the wall clock and logs
 * every command a script runs, inside the script's own time, so that figure moves with the
 * machine's load and with the length of the script's arguments; the CPU figure does not.
 */
import { cpus, loadavg } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { createCallsQueue, JOB_RETENTION } from '../src/queue/calls-queue.js';
import { PRIORITY } from '../src/queue/kinds.js';
import { createProducer } from '../producers/producer.js';
import { BENCH_PREFIX, median, N, phones, round, runIfMain, waitFor } from './support/pipeline.js';
import { benchDurability, forksOf, startPrivateRedis } from './support/redis.js';

export interface MoveCostOptions {
  /** Jobs per round. */
  count: number;
  /** Measured rounds of each variant (after one warm-up round of each). */
  rounds: number;
  /** 1: run each round again under the slow log (threshold 0) and report moveToFinished's time. */
  profile: number;
  /** 1: profile the variants in the reverse order (the first profiled after plain rounds pays the slow log's fresh memory). */
  reverse: number;
  /** hash-max-listpack-value of the bench's Redis (0: Redis's default, 64): 256 keeps smsq's job hashes listpacks, as docs/operations advise. */
  listpack: number;
}

export const MOVE_COST_DEFAULTS: MoveCostOptions = { count: 4000, rounds: 5, profile: 1, reverse: 0, listpack: 0 };

type Variant = 'smsq' | 'floor' | 'floorSmsqJobs';
const VARIANTS: readonly Variant[] = ['smsq', 'floor', 'floorSmsqJobs'];
const NAMES: Record<Variant, string> = { smsq: 'smsq', floor: 'floor', floorSmsqJobs: "floor, smsq's jobs" };

export interface MoveCostRound {
  variant: Variant;
  /** Redis main-thread CPU µs per job, no slow log. */
  redisMicrosPerJob: number;
  aofRewrites: number;
  /** Under the slow log: moveToFinished's median and mean µs, slow-log entries per job (scripts and the commands they ran), Redis CPU per job with the log on. */
  slowLog?: { medianMicros: number; meanMicros: number; entriesPerJob: number; redisMicrosPerJob: number };
}

export interface MoveCostResult {
  benchmark: 'bullmq-move-cost';
  count: number;
  /** hash-max-listpack-value of the bench's Redis. */
  listpackValue: number;
  rounds: MoveCostRound[];
  /** Medians per variant, and over the floor's. */
  medians: Record<Variant, { redisMicrosPerJob: number; slowLogMedianMicros: number | null; slowLogMeanMicros: number | null }>;
  load: number[];
}

const SHAPE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' } };

export async function runMoveCost(opts: Partial<MoveCostOptions> = {}): Promise<MoveCostResult> {
  const o = { ...MOVE_COST_DEFAULTS, ...opts };
  const redis = await startPrivateRedis();
  const workers: Worker[] = [];
  try {
    const conn = redis.connect();
    const admin = redis.connect();
    if (o.listpack) await admin.config('SET', 'hash-max-listpack-value', String(o.listpack));
    const producer = createProducer({ redis: redis.connectProducer(), prefix: BENCH_PREFIX, durability: benchDurability() });
    const queues: Record<Variant, Queue> = {
      smsq: createCallsQueue({ connection: conn, prefix: BENCH_PREFIX }),
      floor: new Queue('bench-floor', { connection: conn, prefix: BENCH_PREFIX }),
      floorSmsqJobs: new Queue('bench-floor-smsq-jobs', { connection: conn, prefix: BENCH_PREFIX }),
    };
    const finished: Record<Variant, number> = { smsq: 0, floor: 0, floorSmsqJobs: 0 };
    let bizSeq = 0;
    const bizId = () => `218685${String(bizSeq++).padStart(12, '0')}^0`;
    // What smsq's send processor returns for an accepted call (workers/send-processor.ts), and the floor's.
    const sendResult = () => ({ outcome: 'accepted', bizId: bizId(), attempt: 1 });
    const floorResult = () => ({ bizId: bizId() });
    for (const v of VARIANTS) {
      await queues[v].pause();
      await queues[v].setGlobalRateLimit(10_000, 1000);
      const worker = new Worker(queues[v].name, async () => (v === 'floor' ? floorResult() : sendResult()), {
        connection: redis.connect(),
        prefix: BENCH_PREFIX,
        concurrency: 64,
        drainDelay: 1,
        maxStalledCount: 1_000_000,
        ...JOB_RETENTION,
      });
      worker.on('error', () => {});
      worker.on('completed', () => finished[v]++);
      workers.push(worker);
    }

    const cpu = async () => {
      const info = await admin.info('cpu');
      const field = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
      return field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread');
    };
    let phoneBase = 13000000000;
    const enqueue = async (v: Variant) => {
      const base = phoneBase;
      phoneBase += o.count;
      if (v === 'smsq') return void (await producer.send({ phones: phones(base, o.count), kind: 'verification', ...SHAPE }));
      if (v === 'floor') {
        return void (await queues.floor.addBulk(Array.from({ length: o.count }, (_, i) => ({ name: 'send', data: { phone: String(base + i) }, opts: { priority: PRIORITY.verification } }))));
      }
      // smsq's send id form (21 characters) and job id form (jobIds.send).
      const sendId = `smx${base.toString(36).padStart(18, '0')}`;
      await queues.floorSmsqJobs.addBulk(
        Array.from({ length: o.count }, (_, i) => ({ name: 'send', data: { sendId, chunkId: `${sendId}.${i}` }, opts: { jobId: `s.${sendId}.${i}.a1`, priority: PRIORITY.verification } })),
      );
    };
    const drain = async (v: Variant) => {
      const q = queues[v];
      const target = finished[v] + o.count;
      await q.resume();
      await waitFor(() => finished[v] >= target, `a ${NAMES[v]} round`, o.count * 10 + 30_000, 5);
      await q.pause();
    };
    const clean = async (v: Variant) => {
      if (v !== 'smsq') await queues[v].clean(0, 0, 'completed');
    };
    const plain = async (v: Variant): Promise<MoveCostRound> => {
      await enqueue(v);
      const f0 = await forksOf(admin);
      const c0 = await cpu();
      await drain(v);
      const c1 = await cpu();
      const f1 = await forksOf(admin);
      await clean(v);
      return { variant: v, redisMicrosPerJob: round(((c1 - c0) * 1e6) / o.count, 1), aofRewrites: f1.aofRewrites - f0.aofRewrites };
    };
    const profiled = async (v: Variant): Promise<NonNullable<MoveCostRound['slowLog']>> => {
      await enqueue(v);
      await admin.config('SET', 'slowlog-log-slower-than', '0');
      await admin.config('SET', 'slowlog-max-len', '1000000');
      await admin.slowlog('RESET');
      const c0 = await cpu();
      await drain(v);
      const c1 = await cpu();
      const entries = (await admin.slowlog('GET', -1)) as [number, number, number, string[]][];
      await admin.config('SET', 'slowlog-log-slower-than', '10000');
      await admin.slowlog('RESET');
      await clean(v);
      // BullMQ's moveToFinished is its only script with 14 keys.
      const moves = entries.filter((e) => String(e[3][0]).toLowerCase() === 'evalsha' && e[3][2] === '14').map((e) => e[2]);
      return {
        medianMicros: round(median(moves), 1),
        meanMicros: round(moves.reduce((a, b) => a + b, 0) / Math.max(1, moves.length), 1),
        entriesPerJob: round(entries.length / o.count, 1),
        redisMicrosPerJob: round(((c1 - c0) * 1e6) / o.count, 1),
      };
    };

    for (const v of VARIANTS) await plain(v); // warm-up: scripts loaded, JIT
    const rounds: MoveCostRound[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const these: MoveCostRound[] = [];
      for (const v of VARIANTS) these.push(await plain(v));
      if (o.profile) for (const row of o.reverse ? [...these].reverse() : these) row.slowLog = await profiled(row.variant);
      rounds.push(...these);
    }
    await producer.close();
    for (const w of workers.splice(0)) await w.close();
    for (const q of Object.values(queues)) await q.close();

    const med = (v: Variant, pick: (r: MoveCostRound) => number | undefined) => {
      const xs = rounds.filter((r) => r.variant === v).map(pick).filter((x): x is number => x !== undefined);
      return xs.length ? round(median(xs), 1) : null;
    };
    const medians = Object.fromEntries(
      VARIANTS.map((v) => [v, { redisMicrosPerJob: med(v, (r) => r.redisMicrosPerJob) ?? NaN, slowLogMedianMicros: med(v, (r) => r.slowLog?.medianMicros), slowLogMeanMicros: med(v, (r) => r.slowLog?.meanMicros) }]),
    ) as MoveCostResult['medians'];
    return { benchmark: 'bullmq-move-cost', count: o.count, listpackValue: o.listpack || 64, rounds, medians, load: loadavg().map((x) => round(x, 1)) };
  } finally {
    for (const w of workers) await w.close();
    await redis.stop();
  }
}

export function formatMoveCost(r: MoveCostResult): string {
  const ratio = (x: number | null, y: number | null) => (x !== null && y !== null && y > 0 ? (x / y).toFixed(2) : '-');
  const f = r.medians.floor;
  return [
    `BullMQ's per-job Redis work, a plain worker draining ${r.count} jobs a round, hash-max-listpack-value ${r.listpackValue} (${cpus().length} cores, load ${r.load.join(' ')} at the end)`,
    '  variant              Redis CPU µs/job  AOF rewrites   slow log: moveToFinished median / mean µs, entries per job, Redis CPU µs/job',
    ...r.rounds.map(
      (x) =>
        `  ${NAMES[x.variant].padEnd(20)} ${x.redisMicrosPerJob.toFixed(1).padStart(16)}  ${String(x.aofRewrites).padStart(12)}` +
        (x.slowLog ? `   ${x.slowLog.medianMicros.toFixed(1).padStart(8)} / ${x.slowLog.meanMicros.toFixed(1).padStart(6)}, ${x.slowLog.entriesPerJob.toFixed(1).padStart(4)}, ${x.slowLog.redisMicrosPerJob.toFixed(1).padStart(6)}` : ''),
    ),
    `  medians over the floor: Redis CPU per job, smsq ${ratio(r.medians.smsq.redisMicrosPerJob, f.redisMicrosPerJob)}, floor with smsq's jobs ${ratio(r.medians.floorSmsqJobs.redisMicrosPerJob, f.redisMicrosPerJob)}` +
      (f.slowLogMedianMicros !== null
        ? `; slow log's moveToFinished median, smsq ${ratio(r.medians.smsq.slowLogMedianMicros, f.slowLogMedianMicros)}, floor with smsq's jobs ${ratio(r.medians.floorSmsqJobs.slowLogMedianMicros, f.slowLogMedianMicros)}` +
          `; mean, smsq ${ratio(r.medians.smsq.slowLogMeanMicros, f.slowLogMeanMicros)}, floor with smsq's jobs ${ratio(r.medians.floorSmsqJobs.slowLogMeanMicros, f.slowLogMeanMicros)}`
        : ''),
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['count', 'rounds', 'profile', 'reverse', 'listpack'],
  limitMs: 900_000,
  what: 'the BullMQ move-cost bench',
  run: (values) => runMoveCost(values as Partial<MoveCostOptions>),
  format: formatMoveCost,
});
