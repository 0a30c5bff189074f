/**
 * What each durability mode (SMSQ_DURABILITY, docs/durability.md) costs, side by side in one run:
 * `npx tsx bench/durability.ts [--json] [--rate N] [--seconds S]`.
 *
 * For each mode, on a fresh private Redis set up as the mode needs (none: no AOF; fsync: AOF with
 * appendfsync always; replicas: an everysec AOF on the primary (the mode refuses none) plus one replica, WAIT 1; fsync+replicas:
 * both; waitaof: Valkey, since Debian's Redis 7.0 has no WAITAOF, with appendfsync always on the
 * primary and its replica, WAITAOF 1 1, beside `none` on Valkey for its ratio), a worker in this
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
import { clientCommandTimeoutMs, createRedisConnection, DEFAULT_REDIS_CONNECT_TIMEOUT_MS } from '../src/queue/connection.js';
import { SANDBOX_ACCESS_KEY } from '../src/sms/defaults.js';
import { DEFAULT_DURABILITY, type DurabilityMode } from '../src/durability/mode.js';
import { createLogger } from '../src/logger.js';
import { binaryOnPath, startPrivateRedis, type PrivateRedis } from '../src/runtime/private-redis.js';
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
  /** The mode, and the server when it is not Debian's redis-server. */
  label: string;
  mode: DurabilityMode;
  /** Codes offered, accepted by the emulator (all of them unless the setup has a drain limit), and enqueues refused (SMSQ_NOT_DURABLE). */
  offered: number;
  accepted: number;
  refusedEnqueues: number;
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

interface ModeSetup {
  label: string;
  mode: DurabilityMode;
  server: string;
  primary: 'always' | 'everysec' | 'off';
  /** The replica's AOF, or no replica. */
  replica?: 'always' | 'off';
  /** The run whose figures this one is a ratio of. */
  baseline: string;
  /** SMSQ_DURABILITY_REPLICAS, when not 1. */
  replicas?: number;
  /** SMSQ_DURABILITY_TIMEOUT_MS, when the default would turn slow confirmations into failures. */
  timeoutMs?: number;
  /** How long to wait for every code to be accepted before reporting what was (default 60 s, then a failure). */
  drainMs?: number;
}

const SETUPS: ModeSetup[] = [
  { label: 'none', mode: 'none', server: 'redis-server', primary: 'off', baseline: 'none' },
  { label: 'fsync', mode: 'fsync', server: 'redis-server', primary: 'always', baseline: 'none' },
  { label: 'replicas', mode: 'replicas', server: 'redis-server', primary: 'everysec', replica: 'off', baseline: 'none' },
  { label: 'fsync+replicas', mode: 'fsync+replicas', server: 'redis-server', primary: 'always', replica: 'off', baseline: 'none' },
  { label: 'none on Valkey', mode: 'none', server: 'valkey-server', primary: 'off', baseline: 'none on Valkey' },
  { label: 'waitaof 1 0 on Valkey', mode: 'waitaof', server: 'valkey-server', primary: 'always', replicas: 0, baseline: 'none on Valkey' },
  // Valkey 8.0's replica acknowledges its fsyncs late when confirmations wait together
  // (docs/durability.md): with the default 1 s most would fail; 10 s shows what they cost, and
  // the run reports what was accepted in 20 s rather than waiting for every code.
  { label: 'waitaof 1 1 on Valkey', mode: 'waitaof', server: 'valkey-server', primary: 'always', replica: 'always', baseline: 'none on Valkey', timeoutMs: 10_000, drainMs: 20_000 },
];


async function cpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function runMode(setup: ModeSetup, opts: DurabilityBenchOptions, base: number): Promise<DurabilityModeRun> {
  const { mode, server } = setup;
  const servers: PrivateRedis[] = [];
  const start = async (appendfsync: 'always' | 'everysec' | 'off') => {
    const s = await startPrivateRedis({ appendfsync, server });
    onExitKill(s.process as ChildProcess);
    servers.push(s);
    return s;
  };
  const primary = await start(setup.primary);
  const connections: Redis[] = [];
  const connect = (url: string) => {
    const c = new Redis(url, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const redis = connect(primary.url);
  const measured = [redis];
  if (setup.replica) {
    const replicaServer = await start(setup.replica);
    const replica = connect(replicaServer.url);
    await replica.replicaof('127.0.0.1', primary.port);
    await waitFor(async () => /master_link_status:up/.test(await replica.info('replication')), 'the replica to sync', 10_000);
    if (mode === 'waitaof') {
      await redis.set('warm', '1');
      await waitFor(async () => ((await redis.call('WAITAOF', 1, 1, 100)) as number[])[1] === 1 || undefined, 'the replica to acknowledge an fsync', 15_000);
    }
    measured.push(replica);
  }
  const { emulator, endpoint } = await startBenchEmulator({ qps: 5000 });
  const logger = createLogger({ level: 'silent' });
  const durability = { ...DEFAULT_DURABILITY, mode, replicas: setup.replicas ?? DEFAULT_DURABILITY.replicas, ...(setup.timeoutMs ? { timeoutMs: setup.timeoutMs } : {}) };
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 3000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const worker = opts.workers === 0 ? createSmsWorker({ connection: redis, client, logger, prefix: BENCH_PREFIX, qps: 5000, readTimeoutMs: 3000, concurrency: 64, durability }) : undefined;
  const children = await Promise.all(
    Array.from({ length: opts.workers }, () => startWorkerChild({ redisUrl: primary.url, endpoint, qps: 5000, concurrency: 64, receiptLookups: 'none', durability })),
  );
  // A producer's connection fails its commands while Redis is down (createProducer takes no other).
  const producerRedis = createRedisConnection(primary.url, { role: 'client', commandTimeoutMs: clientCommandTimeoutMs(DEFAULT_REDIS_CONNECT_TIMEOUT_MS, durability.timeoutMs) });
  const producer = createProducer({ redis: producerRedis, prefix: BENCH_PREFIX, logger, durability });
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
    const enqueued = await Promise.allSettled(pending);
    const refused = enqueued.filter((e) => e.status === 'rejected').length;
    if (refused && !setup.drainMs) throw (enqueued.find((e) => e.status === 'rejected') as PromiseRejectedResult).reason;
    const expected = numbers.length - refused;
    await waitFor(() => emulator.accepted().length >= expected || undefined, `every code accepted (${setup.label}: ${emulator.accepted().length} of ${expected})`, setup.drainMs ?? 60_000).catch((err: unknown) => {
      if (!setup.drainMs) throw err;
    });
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
      label: setup.label,
      mode,
      offered: numbers.length,
      accepted: accepted.length,
      refusedEnqueues: refused,
      callsPerSecond: round((accepted.length * 1000) / span, 1),
      redisCpuMicrosPerCall: round(((cpuAfter - cpuBefore) * 1e6) / accepted.length, 1),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      cores: { redis: primaryCores, workers: workerCores, benchProcess: selfCores, machine: machineCores },
      bound: boundBy(primaryCores, workerCores, selfCores, machineCores, (accepted.length * 1000) / span < 0.9 * opts.rate),
    };
  } finally {
    await producer.close();
    await worker?.close();
    await stopAll(children);
    for (const c of connections) c.disconnect();
    producerRedis.disconnect();
    await emulator.close();
    for (const s of servers.reverse()) await s.stop();
  }
}

/** A single-threaded process at 0.9 cores or more is CPU-bound; so is a machine with every core 90% busy. */
function boundBy(redisCores: number, workerCores: number[], benchCores: number, machineCores: number | null, behindRate: boolean): string {
  const bound: string[] = [];
  if (redisCores >= 0.9) bound.push('Redis (its one core)');
  workerCores.forEach((c, i) => {
    if (c >= 0.9) bound.push(`worker ${i + 1}`);
  });
  if (benchCores >= 0.9) bound.push('the producer and emulator process');
  if (machineCores !== null && machineCores >= 0.9 * cpus().length) bound.push(`the machine (${machineCores} of ${cpus().length} cores busy)`);
  if (bound.length) return bound.join(', ');
  // Behind the offered rate with no core busy: the calls wait on something, not on CPU.
  return behindRate ? 'no CPU: the calls wait (in the WAIT modes, on confirmations queued behind each other on a connection)' : 'no process (the offered rate)';
}

export async function benchDurability(opts: DurabilityBenchOptions = DURABILITY_DEFAULTS): Promise<DurabilityBenchResult> {
  // A short warm-up first, so the mode measured first does not pay the JIT and connection set-up.
  const [warmUp] = SETUPS as [ModeSetup];
  await runMode(warmUp, { ...opts, seconds: 1 }, 13500000000);
  const runs: DurabilityModeRun[] = [];
  const haveValkey = binaryOnPath('valkey-server');
  for (const [i, setup] of SETUPS.entries()) {
    if (setup.server !== 'redis-server' && !haveValkey) continue; // printed as missing by formatDurability
    process.stderr.write(`durability bench: ${setup.label}…\n`);
    runs.push(await runMode(setup, opts, 13600000000 + i * 1_000_000));
  }
  return { benchmark: 'durability', rate: opts.rate, seconds: opts.seconds, workers: opts.workers, runs };
}

export function formatDurability(r: DurabilityBenchResult): string {
  const ratio = (a: number, b: number | undefined) => (b ? ` (${round(a / b, 2)}×)` : '');
  const missing = SETUPS.filter((s) => !r.runs.some((x) => x.label === s.label)).map((s) => s.label);
  return [
    `durability modes: verification codes enqueued at ${r.rate}/s for ${r.seconds} s, ${r.workers ? `${r.workers} worker processes` : 'one worker in the bench process'} (concurrency 64 each); ratios to \`none\` on the same server`,
    ...r.runs.map((x) => {
      const base = r.runs.find((b) => b.label === SETUPS.find((s) => s.label === x.label)?.baseline);
      return (
        `  ${x.label.padEnd(17)} ${x.callsPerSecond} calls/s${ratio(x.callsPerSecond, base?.callsPerSecond)}, ` +
        `Redis ${x.redisCpuMicrosPerCall} µs/call${ratio(x.redisCpuMicrosPerCall, base?.redisCpuMicrosPerCall)}, ` +
        `enqueue → accepted p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms${ratio(x.p99Ms, base?.p99Ms)}` +
        `${x.accepted < x.offered ? `; only ${x.accepted} of ${x.offered} accepted in the time allowed, ${x.refusedEnqueues} enqueues refused` : ''}\n` +
        `            cores busy: Redis ${x.cores.redis}${x.cores.workers.length ? `, workers ${x.cores.workers.join(' / ')}` : ''}, producer + emulator ${x.cores.benchProcess}` +
        `${x.cores.machine !== null ? `, machine ${x.cores.machine} of ${cpus().length}` : ''}; bound by ${x.bound}`
      );
    }),
    ...(missing.length ? [`  not run (no valkey-server on PATH; apt-get install -t bookworm-backports valkey-server): ${missing.join(', ')}`] : []),
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['rate', 'seconds', 'workers'],
  // Worker processes start (compiled, support/compiled.ts) once per mode: slow on a busy machine.
  limitMs: 600_000,
  what: 'the durability bench',
  run: (values) => benchDurability({ ...DURABILITY_DEFAULTS, ...values }),
  format: formatDurability,
});
