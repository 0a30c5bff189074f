/**
 * Limiter precision: worker processes drain a backlog under SMS_QPS = Q while the emulator (cap
 * off) records every call. `npx tsx bench/pipeline-limiter.ts [--json] [--qps Q] [--workers W]
 * [--concurrency C] [--seconds S] [--warmupSeconds S] [--latencyMs L]`.
 *
 * - W worker processes (children, `createSmsWorker` over `createSmsClient`) start cold on a warm-up
 *   backlog of Q × warmupSeconds verification codes (not measured; its first second is reported, as
 *   the cold-start ramp). Then the queue is paused, the measured backlog of Q × S codes (one number
 *   per SendSms, the producer's own path) is written, and the queue is resumed.
 * - Figures: the largest number of calls the emulator saw in any sliding second ÷ Q (target ≤ 1.00,
 *   `maxInSlidingWindow` over every call of the run, warm-up included), and the average rate over
 *   the measured drain ((calls − 1) / first-to-last call) ÷ Q (target ≥ 0.97, issue 14's), with what the window
 *   plan itself allows (`planRateWindow(Q).sustainedPerSecond`) beside it when the workers use the
 *   window; with the call pacer (the default) calls are spaced at 0.975 × Q and the window is a backstop.
 * - The CPU share of each side (workers, redis-server, the bench process that hosts the emulator,
 *   other processes on the machine) shows whether the machine, rather than the limiter, set the pace. */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { createProducer } from '../producers/producer.js';
import { createCallsQueue } from '../src/queue/calls-queue.js';
import { busiestSlidingWindow, maxInSlidingWindow } from '../src/queue/rate-window.js';
import { cpuSeconds, stopAll, type BenchChild } from './support/children.js';
import {
  BENCH_PREFIX,
  machineBusySeconds,
  N,
  runIfMain,
  phones,
  rateOf,
  round,
  startBenchEmulator,
  startWorkerChild,
  waitFor,
  type WorkerChildReady,
} from './support/pipeline.js';
import { benchDurability, forksOf, startPrivateRedis } from './support/redis.js';

export interface LimiterOptions {
  qps: number;
  workers: number;
  concurrency: number;
  /** Backlog = qps × seconds calls. */
  seconds: number;
  /** Wall-clock delay the emulator adds to every answer (Alibaba's answer time is tens of ms). */
  latencyMs: number;
  /** A first backlog of qps × warmupSeconds drained (unmeasured) by the cold workers. */
  warmupSeconds: number;
  /** The pacer's bulk lane depth (ms, the worker option pacerBulkDepthMs); 0: the product's default (LANE_DEPTH_MS.bulk, 10). */
  bulkDepthMs: number;
}

export const LIMITER_DEFAULTS: LimiterOptions = { qps: 3000, workers: 2, concurrency: 64, seconds: 10, latencyMs: 0, warmupSeconds: 2, bulkDepthMs: 0 };

export interface LimiterResult {
  benchmark: 'limiter-precision';
  qps: number;
  workers: number;
  concurrencyPerWorker: number;
  window: WorkerChildReady['window'];
  /** What planRateWindow guarantees at most on average: window.sustainedPerSecond / Q. */
  windowCeilingRatio: number;
  calls: number;
  /** Calls other than SendSms (receipt or reconcile look-ups); they count against the cap too. */
  otherCalls: number;
  nonOk: Record<string, number>;
  drainSeconds: number;
  maxSlidingSecond: number;
  maxSlidingRatio: number;
  maxSlidingTarget: '<= 1.00';
  averagePerSecond: number;
  averageRatio: number;
  averageTarget: '>= 0.97';
  /** Average over the drain without its first and last second (ramp-up and tail). */
  steadyPerSecond: number;
  /** Calls in the first second of the cold workers' warm-up backlog (not part of the figures). */
  coldStartFirstSecond: number;
  /**
   * Background saves Redis forked during the drain. An AOF rewrite (Redis starts one as the file
   * grows) writes a whole base file while every write of `appendfsync always` waits for its own
   * fsync, so the calls dip while it runs.
   */
  redisForks: { aofRewrites: number; total: number };
  /** The fewest calls in any 100 ms of the drain after its first second, ÷ (Q / 10): the depth of the worst dip. */
  slowestTenth: number;
  /**
   * Where the busiest second is and what set it. The emulator counts a call when its own event
   * loop reads the request (it runs in this bench process); the workers stamp each request when
   * they make it. `senderMaxSlidingSecond` is the busiest sliding second of the workers' stamps,
   * merged: over Q, the pacer let calls go too close; at most Q with the emulator's figure over
   * it, the calls bunched on the way in (`benchLoopDelayMaxMs`, this process's worst event-loop
   * delay, is the emulator's share of that).
   */
  busiest: { startsAtSeconds: number; inWarmUp: boolean; senderMaxSlidingSecond: number; senderMaxSlidingRatio: number; benchLoopDelayMaxMs: number };
  /** CPU seconds per wall second over the drain (1.0 = one core). */
  cpu: { workers: number[]; redis: number; benchProcess: number; total: number; otherProcesses: number | null };
  pass: { maxSliding: boolean; average: boolean };
}

export async function runLimiter(opts: Partial<LimiterOptions> = {}): Promise<LimiterResult> {
  const o = { ...LIMITER_DEFAULTS, ...opts };
  const total = Math.round(o.qps * o.seconds);
  const warm = Math.round(o.qps * o.warmupSeconds);
  const redis = await startPrivateRedis();
  const { emulator, endpoint } = await startBenchEmulator({ qps: 0, keep: warm + total + 10_000, latencyMs: o.latencyMs });
  const workers: BenchChild<WorkerChildReady>[] = [];
  const sendCalls = () => emulator.calls().reduce((n, c) => n + (c.action === 'SendSms' ? 1 : 0), 0);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  try {
    const conn = redis.connect();
    const producer = createProducer({ redis: redis.connectProducer(), prefix: BENCH_PREFIX, durability: benchDurability() });
    const queue = createCallsQueue({ connection: conn, prefix: BENCH_PREFIX });
    const codes = (base: number, n: number) =>
      producer.send({ phones: phones(base, n), signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    const drain = async (sendId: string, calls: number, what: string) => {
      try {
        // Drained when the emulator has answered a SendSms for every chunk (a chunk whose answer was
        // lost is reconciled later, which is not what this bench measures).
        await waitFor(() => sendCalls() >= calls, what, o.seconds * 4000 + 30_000, 50);
      } catch (err) {
        const st = await producer.getStatus(sendId).catch(() => undefined);
        throw new Error(`${(err as Error).message}; recipients by state ${JSON.stringify(st?.counts)}, emulator saw ${emulator.calls().length} calls`);
      }
    };
    for (let i = 0; i < o.workers; i++) workers.push(await startWorkerChild({ redisUrl: redis.url, endpoint, qps: o.qps, concurrency: o.concurrency, ...(o.bulkDepthMs ? { pacerBulkDepthMs: o.bulkDepthMs } : {}) }));

    // Warm-up: the workers start cold on a backlog of warmupSeconds (JIT, sockets, scripts loaded).
    const w = await codes(13300000000, warm);
    await Promise.all(workers.map((c) => c.request('start')));
    await drain(w.sendId, warm, 'the warm-up backlog to drain');
    const warmTimes = emulator.calls().map((c) => c.at);
    const warmFirst = warmTimes.reduce((a, b) => Math.min(a, b), Infinity);
    const coldFirstSecond = warmTimes.filter((t) => t < warmFirst + 1000).length;

    // The measured backlog is written while the queue is paused, then released at once.
    await queue.pause();
    const res = await codes(13000000000, total);
    if (res.chunks !== total) throw new Error(`expected ${total} chunks, got ${res.chunks}`);
    const forks0 = await forksOf(conn);
    const cpu0 = { workers: await Promise.all(workers.map((c) => c.request<number>('cpu'))), redis: await redis.cpuSeconds(), self: cpuSeconds(), machine: machineBusySeconds() };
    const t0 = Date.now();
    await queue.resume();
    await drain(res.sendId, warm + total, 'the backlog to drain');
    const wall = (Date.now() - t0) / 1000;
    const cpu1 = { workers: await Promise.all(workers.map((c) => c.request<number>('cpu'))), redis: await redis.cpuSeconds(), self: cpuSeconds(), machine: machineBusySeconds() };
    const forks1 = await forksOf(conn);

    // The cap counts every call of the account (warm-up, sends, any look-ups); the drain rate
    // counts the measured backlog's sends.
    const allCalls = emulator.calls();
    const calls = allCalls.filter((c) => c.action === 'SendSms' && c.at >= t0);
    // BENCH_DUMP_CALLS=file writes the call timestamps, to look at the window pattern.
    if (process.env.BENCH_DUMP_CALLS) writeFileSync(process.env.BENCH_DUMP_CALLS, JSON.stringify(calls.map((c) => c.at)));
    const times = calls.map((c) => c.at);
    const nonOk: Record<string, number> = {};
    for (const c of allCalls) if (c.code !== 'OK') nonOk[c.code] = (nonOk[c.code] ?? 0) + 1;
    const first = times.reduce((a, b) => Math.min(a, b), Infinity);
    const last = times.reduce((a, b) => Math.max(a, b), -Infinity);
    const steady = times.filter((t) => t >= first + 1000 && t <= last - 1000);
    const { count: maxSliding, start: busiestStart } = busiestSlidingWindow(
      allCalls.map((c) => c.at),
      1000,
    );
    const sent = (await Promise.all(workers.map((c) => c.request<number[]>('requestTimes')))).flat();
    const senderMax = maxInSlidingWindow(sent, 1000);
    loopDelay.disable();
    const avg = rateOf(times);
    const workerCpu = cpu1.workers.map((c, i) => round((c - (cpu0.workers[i] as number)) / wall, 2));
    const redisCpu = round((cpu1.redis - cpu0.redis) / wall, 2);
    const selfCpu = round((cpu1.self - cpu0.self) / wall, 2);
    const ours = workerCpu.reduce((a, b) => a + b, 0) + redisCpu + selfCpu;
    const machine = cpu0.machine !== undefined && cpu1.machine !== undefined ? (cpu1.machine - cpu0.machine) / wall : undefined;
    await queue.close();
    await producer.close();
    const window = (workers[0] as BenchChild<WorkerChildReady>).ready.window;
    return {
      benchmark: 'limiter-precision',
      qps: o.qps,
      workers: o.workers,
      concurrencyPerWorker: o.concurrency,
      window,
      windowCeilingRatio: round(window.sustainedPerSecond / o.qps),
      calls: calls.length,
      otherCalls: allCalls.length - calls.length,
      nonOk,
      drainSeconds: round((last - first) / 1000, 2),
      maxSlidingSecond: maxSliding,
      maxSlidingRatio: round(maxSliding / o.qps),
      maxSlidingTarget: '<= 1.00',
      averagePerSecond: Math.round(avg),
      averageRatio: round(avg / o.qps),
      averageTarget: '>= 0.97',
      steadyPerSecond: Math.round(rateOf(steady)),
      coldStartFirstSecond: coldFirstSecond,
      redisForks: { aofRewrites: forks1.aofRewrites - forks0.aofRewrites, total: forks1.total - forks0.total },
      slowestTenth: slowestTenth(times),
      busiest: {
        startsAtSeconds: round((busiestStart - t0) / 1000, 2),
        inWarmUp: busiestStart < t0,
        senderMaxSlidingSecond: senderMax,
        senderMaxSlidingRatio: round(senderMax / o.qps),
        benchLoopDelayMaxMs: round(loopDelay.max / 1e6, 1),
      },
      cpu: { workers: workerCpu, redis: redisCpu, benchProcess: selfCpu, total: round(ours, 2), otherProcesses: machine === undefined ? null : round(Math.max(0, machine - ours), 2) },
      pass: { maxSliding: maxSliding <= o.qps, average: avg >= 0.97 * o.qps },
    };
  } finally {
    await stopAll(workers);
    await emulator.close();
    await redis.stop();
  }
}

/** The fewest calls in one 100 ms bin of the drain, leaving out its first second (the ramp) and last bin. */
function slowestTenth(times: readonly number[]): number {
  if (times.length === 0) return 0;
  const first = Math.min(...times);
  const bins: number[] = [];
  for (const t of times) {
    const i = Math.floor((t - first) / 100);
    bins[i] = (bins[i] ?? 0) + 1;
  }
  const steady = Array.from(bins.slice(10, -1), (n) => n ?? 0);
  return steady.length ? Math.min(...steady) : 0;
}

export function formatLimiter(r: LimiterResult): string {
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  return [
    `Limiter precision: ${r.workers} worker processes × concurrency ${r.concurrencyPerWorker}, SMS_QPS Q = ${r.qps} (window ${r.window.max} per ${r.window.duration} ms), a backlog of ${r.calls} calls drained in ${r.drainSeconds} s`,
    `  max calls in a sliding second / Q   ${r.maxSlidingRatio.toFixed(3)}  (${r.maxSlidingSecond}/${r.qps})   target <= 1.00  ${mark(r.pass.maxSliding)}`,
    `  average rate over the drain / Q     ${r.averageRatio.toFixed(3)}  (${r.averagePerSecond}/s; without its first and last second ${r.steadyPerSecond}/s; ${r.windowCeilingRatio > 1 ? `calls paced at 0.975 × Q, BullMQ's window only a backstop at ${r.window.sustainedPerSecond}/s` : `the window plan's own ceiling ${r.window.sustainedPerSecond}/s = ${r.windowCeilingRatio.toFixed(3)} × Q`})   target >= 0.97  ${mark(r.pass.average)}`,
    `  busiest second: ${r.busiest.inWarmUp ? 'in the warm-up' : 'in the drain'}, ${r.busiest.startsAtSeconds} s from the drain's start; as the workers sent them ${r.busiest.senderMaxSlidingRatio.toFixed(3)} × Q (${r.busiest.senderMaxSlidingSecond}); the emulator's event loop was late by up to ${r.busiest.benchLoopDelayMaxMs} ms`,
    `  (warm workers: a cold start on the same backlog made ${r.coldStartFirstSecond} calls in its first second)`,
    `  slowest 100 ms after the first second: ${r.slowestTenth} calls; Redis rewrote its AOF ${r.redisForks.aofRewrites} time(s) during the drain` +
      (r.redisForks.aofRewrites > 0 ? ' (under appendfsync always every write waits for its fsync while the rewrite writes its file: the calls dip; see docs/benchmarks.md)' : ''),
    `  CPU (cores): workers ${r.cpu.workers.join(' + ')}, redis ${r.cpu.redis}, emulator/bench ${r.cpu.benchProcess}; total ${r.cpu.total} of ${cpus().length}; other processes ${r.cpu.otherProcesses ?? '?'}` +
      (Object.keys(r.nonOk).length ? `; non-OK answers ${JSON.stringify(r.nonOk)}` : ''),
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['qps', 'workers', 'concurrency', 'seconds', 'latencyMs', 'warmupSeconds', 'bulkDepthMs'],
  limitMs: 300_000,
  what: 'the limiter bench',
  run: (values) => runLimiter(values as Partial<LimiterOptions>),
  format: formatLimiter,
});
