/**
 * What each durability mode (SMSQ_DURABILITY, docs/durability.md) costs, side by side in one run:
 * `npx tsx bench/durability.ts [--json] [--rate N] [--seconds S]`.
 *
 * For each mode, on a fresh private Redis set up as the mode needs (none: no AOF; fsync: AOF with
 * appendfsync always; replicas: no AOF on the primary plus one replica, WAIT 1), a worker in this
 * process sends verification codes that a producer enqueues at a steady `rate` a second for
 * `seconds`, after a one-second warm-up run that is not reported. Figures: calls/s accepted, Redis CPU µs per call (the primary, plus the replica's in
 * the replicas mode), and enqueue → accepted p50/p99 (from the start of `send()` to the emulator's
 * acceptance), each also as a ratio to `none`. With `--workers N`, also the cores each process
 * kept busy during the run (Redis's main thread, each worker process, this process: producer and
 * emulator) and which of them was CPU-bound (a single-threaded process near one core), or the
 * machine (every core busy): what to add to reach the rate.
 */
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { createProducer } from '../producers/producer.js';
import { SANDBOX_ACCESS_KEY } from '../src/sms/defaults.js';
import { DEFAULT_DURABILITY, type DurabilityMode } from '../src/durability/mode.js';
import { createLogger } from '../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../src/runtime/private-redis.js';
import { createSmsClient } from '../src/sms/client.js';
import { createSmsWorker } from '../workers/sms-worker.js';
import { cpuSeconds as ownCpuSeconds, onExitKill, stopAll } from './support/children.js';
import { BENCH_PREFIX, machineBusySeconds, N, percentile, phones, round, runIfMain, sleep, startBenchEmulator, startWorkerChild, waitFor } from './support/pipeline.js';

export interface DurabilityBenchOptions {
  rate: number;
  seconds: number;
  /** 0: one worker in the bench process; N: N worker processes (bench/support/worker-child.ts). */
  workers: number;
}

export const DURABILITY_DEFAULTS: DurabilityBenchOptions = { rate: 600, seconds: 4, workers: 0 };

export interface DurabilityModeRun {
  mode: DurabilityMode;
  callsPerSecond: number;
  redisCpuMicrosPerCall: number;
  p50Ms: number;
  p99Ms: number;
  /** Cores busy during the run: Redis (the primary), each worker process, this process, the whole machine. */
  cores: { redis: number; workers: number[]; benchProcess: number; machine: number | null };
  /** What set the pace: a process near one core, the machine, or none of them. */
  bound: string;
}

export interface DurabilityBenchResult {
  benchmark: 'durability';
  rate: number;
  seconds: number;
  workers: number;
  runs: DurabilityModeRun[];
}

const MODES: DurabilityMode[] = ['none', 'fsync', 'replicas'];

async function cpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function runMode(mode: DurabilityMode, opts: DurabilityBenchOptions, base: number): Promise<DurabilityModeRun> {
  const servers: PrivateRedis[] = [];
  const start = async (appendfsync: 'always' | 'off') => {
    const s = await startPrivateRedis({ appendfsync });
    onExitKill(s.process as ChildProcess);
    servers.push(s);
    return s;
  };
  const primary = await start(mode === 'fsync' ? 'always' : 'off');
  const connections: Redis[] = [];
  const connect = (url: string) => {
    const c = new Redis(url, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const redis = connect(primary.url);
  const measured = [redis];
  if (mode === 'replicas') {
    const replicaServer = await start('off');
    const replica = connect(replicaServer.url);
    await replica.replicaof('127.0.0.1', primary.port);
    await waitFor(async () => /master_link_status:up/.test(await replica.info('replication')), 'the replica to sync', 10_000);
    measured.push(replica);
  }
  const { emulator, endpoint } = await startBenchEmulator({ qps: 5000 });
  const logger = createLogger({ level: 'silent' });
  const durability = { ...DEFAULT_DURABILITY, mode };
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 3000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const worker = opts.workers === 0 ? createSmsWorker({ connection: redis, client, logger, prefix: BENCH_PREFIX, qps: 5000, readTimeoutMs: 3000, concurrency: 64, durability }) : undefined;
  const children = await Promise.all(
    Array.from({ length: opts.workers }, () => startWorkerChild({ redisUrl: primary.url, endpoint, qps: 5000, concurrency: 64, receiptLookups: 'none', durability })),
  );
  const producer = createProducer({ redis: connect(primary.url), prefix: BENCH_PREFIX, logger, durability });
  try {
    await worker?.start();
    await Promise.all(children.map((c) => c.request('start')));
    const numbers = phones(base, opts.rate * opts.seconds);
    const startedAt = new Map<string, number>();
    const cpuBefore = (await Promise.all(measured.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    const primaryBefore = await cpuSeconds(redis);
    const childrenBefore = await Promise.all(children.map((c) => c.request<number>('cpu')));
    const selfBefore = ownCpuSeconds();
    const machineBefore = machineBusySeconds();
    const t0 = Date.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < numbers.length; i++) {
      const due = t0 + (i * 1000) / opts.rate;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      const phone = numbers[i] as string;
      startedAt.set(phone, Date.now());
      pending.push(producer.send({ phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification' }));
    }
    await Promise.all(pending);
    await waitFor(() => emulator.accepted().length >= numbers.length || undefined, 'every code accepted', 60_000);
    const cpuAfter = (await Promise.all(measured.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    const wall = (Date.now() - t0) / 1000;
    const primaryCores = round(((await cpuSeconds(redis)) - primaryBefore) / wall, 2);
    const workerCores = (await Promise.all(children.map((c) => c.request<number>('cpu')))).map((after, i) => round((after - (childrenBefore[i] ?? 0)) / wall, 2));
    const selfCores = round((ownCpuSeconds() - selfBefore) / wall, 2);
    const machineAfter = machineBusySeconds();
    const machineCores = machineBefore !== undefined && machineAfter !== undefined ? round((machineAfter - machineBefore) / wall, 2) : null;
    const accepted = emulator.accepted();
    const latencies = accepted.map((a) => a.acceptedAt - (startedAt.get(a.phoneNumbers[0] as string) ?? a.acceptedAt));
    const span = Math.max(...accepted.map((a) => a.acceptedAt)) - t0;
    return {
      mode,
      callsPerSecond: round((accepted.length * 1000) / span, 1),
      redisCpuMicrosPerCall: round(((cpuAfter - cpuBefore) * 1e6) / accepted.length, 1),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cores: { redis: primaryCores, workers: workerCores, benchProcess: selfCores, machine: machineCores },
      bound: boundBy(primaryCores, workerCores, selfCores, machineCores),
    };
  } finally {
    await producer.close();
    await worker?.close();
    await stopAll(children);
    for (const c of connections) c.disconnect();
    await emulator.close();
    for (const s of servers.reverse()) await s.stop();
  }
}

/** A single-threaded process at 0.9 cores or more is CPU-bound; so is a machine with every core 90% busy. */
function boundBy(redisCores: number, workerCores: number[], benchCores: number, machineCores: number | null): string {
  const bound: string[] = [];
  if (redisCores >= 0.9) bound.push('Redis (its one core)');
  workerCores.forEach((c, i) => {
    if (c >= 0.9) bound.push(`worker ${i + 1}`);
  });
  if (benchCores >= 0.9) bound.push('the producer and emulator process');
  if (machineCores !== null && machineCores >= 0.9 * cpus().length) bound.push(`the machine (${machineCores} of ${cpus().length} cores busy)`);
  return bound.length ? bound.join(', ') : 'no process (the offered rate)';
}

export async function benchDurability(opts: DurabilityBenchOptions = DURABILITY_DEFAULTS): Promise<DurabilityBenchResult> {
  // A short warm-up first, so the mode measured first does not pay the JIT and connection set-up.
  await runMode('none', { ...opts, seconds: 1 }, 13500000000);
  const runs: DurabilityModeRun[] = [];
  for (const [i, mode] of MODES.entries()) runs.push(await runMode(mode, opts, 13600000000 + i * 1_000_000));
  return { benchmark: 'durability', rate: opts.rate, seconds: opts.seconds, workers: opts.workers, runs };
}

export function formatDurability(r: DurabilityBenchResult): string {
  const none = r.runs.find((x) => x.mode === 'none');
  const ratio = (a: number, b: number | undefined) => (b ? ` (${round(a / b, 2)}×)` : '');
  return [
    `durability modes: verification codes enqueued at ${r.rate}/s for ${r.seconds} s, ${r.workers ? `${r.workers} worker processes` : 'one worker in the bench process'} (concurrency 64 each)`,
    ...r.runs.map(
      (x) =>
        `  ${x.mode.padEnd(9)} ${x.callsPerSecond} calls/s${ratio(x.callsPerSecond, none?.callsPerSecond)}, ` +
        `Redis ${x.redisCpuMicrosPerCall} µs/call${ratio(x.redisCpuMicrosPerCall, none?.redisCpuMicrosPerCall)}, ` +
        `enqueue → accepted p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms${ratio(x.p99Ms, none?.p99Ms)}\n` +
        `            cores busy: Redis ${x.cores.redis}${x.cores.workers.length ? `, workers ${x.cores.workers.join(' / ')}` : ''}, producer + emulator ${x.cores.benchProcess}` +
        `${x.cores.machine !== null ? `, machine ${x.cores.machine} of ${cpus().length}` : ''}; bound by ${x.bound}`,
    ),
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['rate', 'seconds', 'workers'],
  // Worker processes start (under tsx) once per mode: slow on a busy machine.
  limitMs: 600_000,
  what: 'the durability bench',
  run: (values) => benchDurability({ ...DURABILITY_DEFAULTS, ...values }),
  format: formatDurability,
});
