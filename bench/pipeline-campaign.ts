/**
 * A 1,000,000-recipient campaign from CSV: `npx tsx bench/pipeline-campaign.ts [--json]
 * [--recipients N] [--compare 0] [--recording 1] [--opted-out N] [--floor 1] [--arenas N] [--key 1]`.
 *
 * - Writes a CSV of N distinct mainland numbers (header `phone`) in a temp dir.
 * - With `--key 1`, every run's campaign carries an idempotency key (a new one each run): its list
 *   is read into a digest, and each write of chunks keeps how far it was read (list-digest.ts).
 * - With `--opted-out N`, the opt-out list holds N numbers (none of the campaign's) before each
 *   run, as a deployment that receives SmsUp replies has; by default it is empty, as in the
 *   figures of earlier sessions (the opt-out check then skips the numbers in Redis).
 * - A fresh private Redis; no worker runs. A child process (bench/support/campaign-child.ts) runs
 *   `producer.campaign(readRecipientsCsv(file), {marketing template, shared params})`.
 * - The child runs as a service that imports smsq would run it: compiled by tsc with the settings of
 *   `npm run build` (into node_modules/.cache/smsq-bench-campaign/, incrementally) and started with
 *   plain `node`, default V8 settings. Those are the headline figures.
 * - For comparison (skipped with `--compare 0`), on the same file and a flushed Redis:
 *   - the same child under tsx (`node --import tsx`, as the other benches run): tsx's loader runs
 *     in a second V8 isolate, memory that no user process carries;
 *   - `smsq campaign --file ... --yes` (the compiled CLI, against an in-process emulator for its
 *     template look-up): the CLI loads every command's modules (the SDK, fastify, Bull Board) before
 *     it runs one. Its peak RSS is reported by a one-line preload (`process.resourceUsage()` at exit).
 * - With `--recording 1`, on a flushed Redis, the recording of the same N numbers for opt-outs two
 *   ways side by side, each in the order of the CSV and shuffled (as real lists are): the packed
 *   log smsq writes (src/receipts/sent-numbers.ts, one call per eight 1000-number chunks) and the
 *   sets it wrote before (bench/support/legacy-sent-numbers.ts, one call per chunk, eight at a
 *   time). Wall seconds, Redis CPU seconds and Redis bytes per number.
 * - Figures: seconds for `campaign()` (target ≤ 2, the performance issue's), the producer
 *   process's peak RSS (`process.resourceUsage().maxRSS`, target ≤ 120 MB), its CPU seconds and
 *   Redis's during the call (steadier than seconds on a shared machine), and Redis memory per
 *   recipient (`INFO memory` used_memory after − before, ÷ N; target ≤ 150 bytes).
 * - What the producer's resident set is made of, when ready and at the highest RSS sampled during
 *   the call: V8's young generation, its old space, its other spaces, array buffers (the
 *   duplicate set's pages among them), pages mapped from files (the node binary and libraries),
 *   and the rest (node's and V8's own allocations outside the heap).
 * - Then the campaign is cancelled from this process (`producer.cancel`, as `smsq cancel` and
 *   `POST /v1/sends/{id}/cancel` do): seconds until it answers, every queued chunk marked cancelled.
 * - With `--arenas N`, the compiled child again on a flushed Redis, with glibc's malloc held to N
 *   arenas (`MALLOC_ARENA_MAX=N`, as the Dockerfile can set it) and without, alternated three
 *   rounds each: peak RSS and producer CPU, medians side by side, and their ratio.
 * - With `--floor 1`, what is under the producer's figures, each compiled and in a process of its
 *   own: a process with ioredis and BullMQ loaded and a Queue ready, nothing of smsq
 *   (bench/support/queue-floor-child.ts), its RSS when ready; and the campaign child reading the
 *   same file the same way, chunk by chunk, its rows counted and dropped (no campaign, nothing
 *   written), its peak RSS.
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { systemClock } from '../src/clock.js';
import { createKeys } from '../src/queue/keys.js';
import { createProducer } from '../producers/producer.js';
import { createSentNumbers } from '../src/receipts/sent-numbers.js';
import { createLegacyRecorder } from './support/legacy-sent-numbers.js';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitKill, onExitRemove, REPO_ROOT, spawnChild, stopAll, type BenchChild } from './support/children.js';
import { BENCH_PREFIX, bounded, machineBusySeconds, N, runIfMain, round, startBenchEmulator } from './support/pipeline.js';
import { benchDurability, startPrivateRedis, type PrivateRedis } from './support/redis.js';
import type { CampaignChildConfig, CampaignChildResult, CampaignRun, RssParts } from './support/campaign-child.js';
import { benchBuildDir, compileBenchEntries } from './support/compiled.js';

export interface CampaignOptions {
  recipients: number;
  /** 1: also run the child under tsx and the compiled CLI on the same file; 0: only the headline run. */
  compare: number;
  /** 1: also record the numbers for opt-outs the old and the new way, side by side. */
  recording: number;
  /** Numbers on the opt-out list (none of the campaign's) before each run. */
  optedOut: number;
  /** 1: also measure the floors (a process with ioredis and BullMQ only; the file read alone). */
  floor: number;
  /** N > 0: also compare MALLOC_ARENA_MAX=N with glibc's default, alternated (0: skip). */
  arenas: number;
  /** 1: the campaign carries an idempotency key (its list digested, how far it was read kept with each write). */
  key: number;
}

export const CAMPAIGN_DEFAULTS: CampaignOptions = { recipients: 1_000_000, compare: 1, recording: 0, optedOut: 0, floor: 0, arenas: 0, key: 0 };

/** Puts `count` numbers that are not in the campaign on the opt-out list. */
async function seedOptOuts(admin: Redis, count: number): Promise<void> {
  const key = createKeys(BENCH_PREFIX).suppressed();
  for (let first = 0; first < count; first += 10_000) {
    await admin.sadd(key, ...Array.from({ length: Math.min(10_000, count - first) }, (_, i) => String(18600000000 + first + i)));
  }
}

/** One way of recording the campaign's numbers, in one order. */
export interface RecordingFigures {
  seconds: number;
  redisCpuSeconds: number;
  redisBytesPerNumber: number;
}

export interface RecordingComparison {
  /** Numbers in the order of the CSV. */
  csvOrder: { packedLog: RecordingFigures; legacySets: RecordingFigures };
  /** The same numbers shuffled. */
  shuffled: { packedLog: RecordingFigures; legacySets: RecordingFigures };
}

export interface CampaignBenchResult {
  benchmark: 'campaign-1m';
  recipients: number;
  /** Numbers on the opt-out list during the runs. */
  optedOut: number;
  /** Whether the campaign carried an idempotency key. */
  idempotencyKey: boolean;
  csvBytes: number;
  chunks: number;
  rejected: number;
  /** How the producer of the headline figures ran. */
  producerRuntime: 'compiled (tsc, plain node, default V8 settings)';
  seconds: number;
  secondsTarget: '<= 2';
  recipientsPerSecond: number;
  /** CPU seconds of the producer process during the call, and of redis-server. */
  cpuSeconds: { producer: number; redis: number };
  producerPeakRssMB: number;
  producerReadyRssMB: number;
  /** Peaks of the producer's heap during the campaign (sampled every 20 ms), MB. */
  producerHeapPeakMB: { used: number; total: number };
  /** The producer's resident set taken apart, when ready and at the highest RSS sampled during the call, MB. */
  producerRssParts: { ready: RssParts; peak: RssParts };
  rssTarget: '<= 120';
  redisBytesPerRecipient: number;
  redisTarget: '<= 150';
  redisUsedMemoryDeltaMB: number;
  /** Keys Redis holds after the campaign. */
  redisKeys: number;
  /** Seconds `producer.cancel` took to answer for the campaign, every queued chunk marked cancelled. */
  cancelSeconds: number;
  /** CPU cores used during the campaign: redis-server, and everything else on the machine. */
  cpu: { redis: number; machine: number | null };
  pass: { seconds: boolean; rss: boolean; redis: boolean };
  /** The same child under tsx (null with --compare 0). */
  tsx: { seconds: number; producerPeakRssMB: number; producerReadyRssMB: number } | null;
  /** `smsq campaign --yes`, compiled CLI (null with --compare 0). */
  cli: { seconds: number; peakRssMB: number } | null;
  /** The recording of numbers for opt-outs, new and old (null without --recording 1). */
  recording: RecordingComparison | null;
  /** What is under the producer's figures (null without --floor 1). */
  floor: {
    /** ioredis and BullMQ loaded, a Queue ready, nothing of smsq: RSS when ready. */
    bullmqReady: RssParts;
    /** The campaign child reading the file alone (rows counted and dropped, nothing written). */
    readOnly: { seconds: number; peakRssMB: number; peak: RssParts };
  } | null;
  /** glibc's malloc held to `arenas` arenas against its default, medians of alternated rounds (null without --arenas N). */
  arenas: ArenaComparison | null;
}

/** Peak RSS and producer CPU of the compiled child, per round. */
export interface ArenaRuns {
  peakRssMB: number[];
  producerCpuSeconds: number[];
}

export interface ArenaComparison {
  arenas: number;
  glibcDefault: ArenaRuns;
  limited: ArenaRuns;
  /** Medians: limited ÷ default. */
  ratio: { peakRss: number; producerCpu: number };
}

const ARENA_ROUNDS = 3;

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The compiled child with and without MALLOC_ARENA_MAX, alternated on a flushed Redis each time. */
async function compareArenas(entry: string, cfg: CampaignChildConfig, run: CampaignRun, admin: Redis, optedOut: number, arenas: number): Promise<ArenaComparison> {
  const runs = { glibcDefault: { peakRssMB: [] as number[], producerCpuSeconds: [] as number[] }, limited: { peakRssMB: [] as number[], producerCpuSeconds: [] as number[] } };
  for (let i = 0; i < ARENA_ROUNDS; i++) {
    for (const which of ['glibcDefault', 'limited'] as const) {
      await admin.flushall();
      await seedOptOuts(admin, optedOut);
      // The default run leaves the variable out even if this process has it.
      const child = await spawnChild(entry, cfg, { compiled: true, env: { MALLOC_ARENA_MAX: which === 'limited' ? String(arenas) : '' } });
      try {
        const r = await child.request<CampaignChildResult>('run', run, 120_000);
        runs[which].peakRssMB.push(round1(r.maxRssMB));
        runs[which].producerCpuSeconds.push(round(r.cpuSeconds, 2));
      } finally {
        await stopAll([child]);
      }
    }
  }
  return {
    arenas,
    ...runs,
    ratio: {
      peakRss: round(median(runs.limited.peakRssMB) / median(runs.glibcDefault.peakRssMB), 3),
      producerCpu: round(median(runs.limited.producerCpuSeconds) / median(runs.glibcDefault.producerCpuSeconds), 3),
    },
  };
}

const round1 = (x: number) => round(x, 1);

/** The numbers of the CSV, in its order (see writeCsv). */
function csvNumbers(count: number): string[] {
  return Array.from({ length: count }, (_, j) => String(13500000000 + (j % 5) * 100000000 + Math.floor(j / 5)));
}

/** The numbers in a fixed scattered order (i → i·7919 mod n, a permutation when n has no factor 7919), so runs compare. */
function shuffled(list: readonly string[]): string[] {
  const n = list.length;
  if (n % 7919 === 0) throw new RangeError('choose a count that 7919 does not divide');
  return Array.from({ length: n }, (_, i) => list[(i * 7919) % n] as string);
}

/**
 * Records `numbers` for opt-outs the new way (one call per eight 1000-number chunks) and the old
 * way (one call per chunk, eight at a time, as the enqueuer sent them), each on a flushed Redis.
 */
async function measureRecording(redis: PrivateRedis, numbers: readonly string[]): Promise<{ packedLog: RecordingFigures; legacySets: RecordingFigures }> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const keys = createKeys(BENCH_PREFIX);
  const retentionSeconds = 30 * 86_400;
  const packed = createSentNumbers({ redis: connection, keys, retentionSeconds, clock: systemClock });
  const legacy = createLegacyRecorder(connection, keys.legacySentNumberPrefix(), retentionSeconds);
  const flushOf = (at: number) => Array.from({ length: 8 }, (_, c) => numbers.slice(at + c * 1000, Math.min(numbers.length, at + (c + 1) * 1000))).filter((l) => l.length > 0);
  const measure = async (record: (lists: string[][]) => Promise<unknown>): Promise<RecordingFigures> => {
    await connection.flushall();
    const before = await redis.usedMemory();
    const cpu0 = await redis.cpuSeconds();
    const t0 = performance.now();
    for (let at = 0; at < numbers.length; at += 8000) await record(flushOf(at));
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = await redis.cpuSeconds();
    const bytes = (await redis.usedMemory()) - before;
    return { seconds: round(seconds, 2), redisCpuSeconds: round(cpu1 - cpu0, 2), redisBytesPerNumber: round(bytes / numbers.length, 1) };
  };
  try {
    const packedLog = await measure((lists) => packed.record(lists));
    const legacySets = await measure((lists) => Promise.all(lists.map((l) => legacy(l))));
    await connection.flushall();
    return { packedLog, legacySets };
  } finally {
    connection.disconnect();
  }
}

/** Writes `count` distinct mainland numbers under a `phone` header; resolves when flushed. */
async function writeCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('phone\n');
  const block = 10_000;
  for (let i = 0; i < count; i += block) {
    const lines: string[] = [];
    // Spread over several prefixes (135..139) so the numbers look like a real list, all distinct.
    for (let j = i; j < Math.min(count, i + block); j++) lines.push(String(13500000000 + (j % 5) * 100000000 + Math.floor(j / 5)));
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const BUILD_DIR = benchBuildDir('campaign');

/**
 * Compiles the campaign child, the queue floor child and (with `withCli`) the CLI as `npm run build`
 * does (support/compiled.ts).
 */
function compile(withCli: boolean): { child: string; cli: string; floorChild: string } {
  const CHILD = 'bench/support/campaign-child.ts';
  const FLOOR = 'bench/support/queue-floor-child.ts';
  const CLI = 'cli/main.ts';
  const built = compileBenchEntries('campaign', withCli ? [CHILD, FLOOR, CLI] : [CHILD, FLOOR]);
  return { child: built[CHILD], floorChild: built[FLOOR], cli: join(BUILD_DIR, 'out', 'cli', 'main.js') };
}

/** Runs the compiled child (plain node): one `cmd` request (`run` by default), `beforeRun` just before it, then stops it. */
async function runCompiledChild(entry: string, cfg: CampaignChildConfig, run: CampaignRun, beforeRun: () => Promise<void>, cmd: 'run' | 'read' = 'run'): Promise<CampaignChildResult> {
  const child = await spawnChild(entry, cfg, { compiled: true });
  try {
    await beforeRun();
    return await child.request<CampaignChildResult>(cmd, run, 120_000);
  } finally {
    await stopAll([child]);
  }
}

/** The floors (see the header): a compiled ioredis + BullMQ process when ready, and the campaign child reading the file alone. */
async function measureFloor(built: { child: string; floorChild: string }, cfg: CampaignChildConfig, run: CampaignRun): Promise<NonNullable<CampaignBenchResult['floor']>> {
  const queueChild = await spawnChild<RssParts>(built.floorChild, cfg, { compiled: true });
  const bullmqReady = roundParts(queueChild.ready);
  await stopAll([queueChild]);
  const read = await runCompiledChild(built.child, cfg, run, async () => {}, 'read');
  return { bullmqReady, readOnly: { seconds: round(read.ms / 1000, 2), peakRssMB: round(read.maxRssMB, 1), peak: roundParts(read.rssParts.peak) } };
}

/** Cancels the campaign as an operator does (a producer of its own, the bench's durability mode); seconds until it answers. */
async function timeCancel(redis: PrivateRedis, sendId: string, chunks: number): Promise<number> {
  const connection = redis.connectProducer();
  const producer = createProducer({ redis: connection, prefix: BENCH_PREFIX, durability: benchDurability() });
  try {
    const t0 = performance.now();
    const status = await producer.cancel(sendId, 'bench');
    const seconds = (performance.now() - t0) / 1000;
    if (status.counts.queued !== 0 || status.counts.cancelled === 0) throw new Error(`cancel left ${status.counts.queued} queued of ${chunks} chunks' recipients`);
    return seconds;
  } finally {
    await producer.close();
    connection.disconnect();
  }
}

/** `smsq campaign --file ... --yes` with the compiled CLI; its peak RSS from a preload that reports at exit. */
async function runCli(cli: string, file: string, redis: PrivateRedis, recipients: number): Promise<{ seconds: number; peakRssMB: number }> {
  const { emulator, endpoint } = await startBenchEmulator({ qps: 1000, keep: 1000 });
  const preload = join(BUILD_DIR, 'report-max-rss.mjs');
  writeFileSync(preload, "import { writeSync } from 'node:fs';\nprocess.on('exit', () => writeSync(3, `${process.resourceUsage().maxRSS}\\n`));\n");
  try {
    const args = ['--import', preload, cli, 'campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--param', JSON.stringify({ name: '会员' }), '--name', 'bench 1M (CLI)', '--yes', '--json'];
    const env = { ...process.env, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, REDIS_URL: redis.url, SMSQ_PREFIX: BENCH_PREFIX, LOG_LEVEL: 'warn' };
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    onExitKill(child);
    let out = '';
    let err = '';
    let rss = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString())); // progress lines and logs, shown on failure
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (rss += d.toString()));
    const [code] = (await bounded(once(child, 'close'), 120_000, 'smsq campaign')) as [number | null];
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`smsq campaign exited with ${code}:\n${err}${out}`);
    const queued = (JSON.parse(out) as { recipients: number }).recipients;
    if (queued !== recipients) throw new Error(`smsq campaign queued ${queued} recipients, expected ${recipients}`);
    return { seconds: round(seconds, 2), peakRssMB: round((Number(rss.trim()) * 1024) / 1e6, 1) };
  } finally {
    await emulator.close();
  }
}

export async function runCampaign(opts: Partial<CampaignOptions> = {}): Promise<CampaignBenchResult> {
  const o = { ...CAMPAIGN_DEFAULTS, ...opts };
  const compare = o.compare !== 0;
  const built = compile(compare);
  const dir = mkdtempSync(join(tmpdir(), 'smsq-bench-csv-'));
  const unhookDir = onExitRemove(dir);
  const file = join(dir, 'recipients.csv');
  const redis = await startPrivateRedis();
  let tsxChild: BenchChild | undefined;
  try {
    await writeCsv(file, o.recipients);
    const admin = redis.connect();
    const cfg: CampaignChildConfig = { redisUrl: redis.url, prefix: BENCH_PREFIX };
    const run: CampaignRun = {
      file,
      request: { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' }, kind: 'marketing', name: 'bench 1M' },
    };
    // A new key for each run (flushed Redis or not): the same key would answer the first run's send.
    let runs = 0;
    const keyed = (): CampaignRun => (o.key !== 0 ? { ...run, request: { ...run.request, idempotencyKey: `bench-1m-${Date.now()}-${++runs}` } } : run);
    let before = 0;
    let c0: { redis: number; machine: number | undefined } = { redis: 0, machine: undefined };
    let t0 = 0;
    await seedOptOuts(admin, o.optedOut);
    const r = await runCompiledChild(built.child, cfg, keyed(), async () => {
      before = await redis.usedMemory();
      c0 = { redis: await redis.cpuSeconds(), machine: machineBusySeconds() };
      t0 = performance.now();
    });
    const wall = (performance.now() - t0) / 1000;
    const c1 = { redis: await redis.cpuSeconds(), machine: machineBusySeconds() };
    const after = await redis.usedMemory();
    const keys = await admin.dbsize();
    const check = (x: CampaignChildResult) => {
      if (x.recipients !== o.recipients) throw new Error(`expected ${o.recipients} recipients queued, got ${x.recipients} (rejected ${x.rejectedCount}, duplicates ${x.duplicates})`);
    };
    check(r);
    const cancelSeconds = await timeCancel(redis, r.sendId, r.chunks);

    let tsx: CampaignBenchResult['tsx'] = null;
    let cli: CampaignBenchResult['cli'] = null;
    let recording: RecordingComparison | null = null;
    if (compare) {
      await admin.flushall();
      await seedOptOuts(admin, o.optedOut);
      tsxChild = await spawnChild('bench/support/campaign-child.ts', cfg);
      const t = await tsxChild.request<CampaignChildResult>('run', keyed(), 120_000);
      check(t);
      await stopAll([tsxChild]);
      tsxChild = undefined;
      tsx = { seconds: round(t.ms / 1000, 2), producerPeakRssMB: round(t.maxRssMB, 1), producerReadyRssMB: round(t.readyRssMB, 1) };
      await admin.flushall();
      await seedOptOuts(admin, o.optedOut);
      cli = await runCli(built.cli, file, redis, o.recipients);
    }
    const floor = o.floor !== 0 ? await measureFloor(built, cfg, run) : null;
    const arenas = o.arenas > 0 ? await compareArenas(built.child, cfg, keyed(), admin, o.optedOut, o.arenas) : null;
    if (o.recording !== 0) {
      const numbers = csvNumbers(o.recipients);
      recording = { csvOrder: await measureRecording(redis, numbers), shuffled: await measureRecording(redis, shuffled(numbers)) };
    }

    const perRecipient = (after - before) / o.recipients;
    const seconds = r.ms / 1000;
    return {
      benchmark: 'campaign-1m',
      recipients: r.recipients,
      optedOut: o.optedOut,
      idempotencyKey: o.key !== 0,
      csvBytes: statSync(file).size,
      chunks: r.chunks,
      rejected: r.rejectedCount,
      producerRuntime: 'compiled (tsc, plain node, default V8 settings)',
      seconds: round(seconds, 2),
      secondsTarget: '<= 2',
      recipientsPerSecond: Math.round(r.recipients / seconds),
      cpuSeconds: { producer: round(r.cpuSeconds, 2), redis: round(c1.redis - c0.redis, 2) },
      producerPeakRssMB: round(r.maxRssMB, 1),
      producerReadyRssMB: round(r.readyRssMB, 1),
      producerHeapPeakMB: { used: round(r.sampledPeakMB.heapUsed, 1), total: round(r.sampledPeakMB.heapTotal, 1) },
      producerRssParts: { ready: roundParts(r.rssParts.ready), peak: roundParts(r.rssParts.peak) },
      rssTarget: '<= 120',
      redisBytesPerRecipient: round(perRecipient, 1),
      redisTarget: '<= 150',
      redisUsedMemoryDeltaMB: round((after - before) / 1e6, 1),
      redisKeys: keys,
      cancelSeconds: round(cancelSeconds, 2),
      cpu: {
        redis: round((c1.redis - c0.redis) / wall, 2),
        machine: c0.machine !== undefined && c1.machine !== undefined ? round((c1.machine - c0.machine) / wall, 2) : null,
      },
      pass: { seconds: seconds <= 2, rss: r.maxRssMB <= 120, redis: perRecipient <= 150 },
      tsx,
      cli,
      recording,
      floor,
      arenas,
    };
  } finally {
    await stopAll([tsxChild]);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
    unhookDir();
  }
}

function roundParts(p: RssParts): RssParts {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round(v, 1)])) as unknown as RssParts;
}

/** `123.4 = new space 33.6 + old space 20.1 + ...`, in the order of RssParts. */
function formatParts(p: RssParts): string {
  return `${p.rss.toFixed(1)} = young generation ${p.newSpace} + old space ${p.oldSpace} + other heap spaces ${p.otherHeap} + array buffers ${p.arrayBuffers} + mapped files ${p.fileBacked} + the rest ${p.other}`;
}

export function formatCampaign(r: CampaignBenchResult): string {
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  return [
    `Campaign from CSV: ${r.recipients.toLocaleString('en')} recipients (${(r.csvBytes / 1e6).toFixed(1)} MB CSV) → ${r.chunks} SendSms chunks, ${r.optedOut.toLocaleString('en')} numbers on the opt-out list, ${r.idempotencyKey ? 'an idempotency key (the CLI run: none)' : 'no idempotency key'}, no worker running; producer ${r.producerRuntime}`,
    `  campaign() seconds                  ${r.seconds.toFixed(2).padStart(6)}   (${r.recipientsPerSecond.toLocaleString('en')} recipients/s)   target <= 2  ${mark(r.pass.seconds)}`,
    `  CPU seconds in the call             producer ${r.cpuSeconds.producer.toFixed(2)}, redis-server ${r.cpuSeconds.redis.toFixed(2)}`,
    `  producer peak RSS (MB)              ${r.producerPeakRssMB.toFixed(1).padStart(6)}   (${r.producerReadyRssMB.toFixed(1)} MB when ready; heap peak ${r.producerHeapPeakMB.used} used / ${r.producerHeapPeakMB.total} MB total)   target <= 120  ${mark(r.pass.rss)}`,
    `    RSS when ready (MB)               ${formatParts(r.producerRssParts.ready)}`,
    `    at the highest RSS sampled (MB)   ${formatParts(r.producerRssParts.peak)}`,
    `  Redis bytes per recipient           ${r.redisBytesPerRecipient.toFixed(1).padStart(6)}   (used_memory +${r.redisUsedMemoryDeltaMB} MB, ${r.redisKeys} keys)   target <= 150  ${mark(r.pass.redis)}`,
    `  cancel of the campaign (seconds)     ${r.cancelSeconds.toFixed(2).padStart(6)}   (producer.cancel: ${r.chunks} chunks marked cancelled; no target)`,
    `  CPU (cores) during the campaign: redis ${r.cpu.redis}; whole machine ${r.cpu.machine ?? '?'}`,
    ...(r.tsx
      ? [`  same child under tsx:               peak RSS ${r.tsx.producerPeakRssMB.toFixed(1)} MB (${r.tsx.producerReadyRssMB.toFixed(1)} MB when ready), ${r.tsx.seconds.toFixed(2)} s`]
      : []),
    ...(r.cli ? [`  smsq campaign --yes (compiled CLI): peak RSS ${r.cli.peakRssMB.toFixed(1)} MB, ${r.cli.seconds.toFixed(2)} s for the whole command`] : []),
    ...(r.floor
      ? [
          `  floor: ioredis + BullMQ, a Queue ready, nothing of smsq (compiled, its own process): RSS ${formatParts(r.floor.bullmqReady)}`,
          `  floor: the campaign child reading the file alone, rows counted and dropped (${r.floor.readOnly.seconds.toFixed(2)} s): peak RSS ${r.floor.readOnly.peakRssMB.toFixed(1)}; at the highest sampled ${formatParts(r.floor.readOnly.peak)}`,
        ]
      : []),
    ...(r.arenas ? formatArenas(r.arenas) : []),
    ...(r.recording ? formatRecording(r.recording) : []),
  ].join('\n');
}

function formatArenas(a: ArenaComparison): string[] {
  const runs = (r: ArenaRuns) => `peak RSS ${r.peakRssMB.map((x) => x.toFixed(1)).join(', ')} MB; producer CPU ${r.producerCpuSeconds.map((x) => x.toFixed(2)).join(', ')} s`;
  return [
    `  glibc malloc arenas, the compiled child alternated ${ARENA_ROUNDS} rounds each on a flushed Redis:`,
    `    glibc's default                    ${runs(a.glibcDefault)}`,
    `    MALLOC_ARENA_MAX=${String(a.arenas).padEnd(18)} ${runs(a.limited)}`,
    `    limited ÷ default (medians): peak RSS ${a.ratio.peakRss.toFixed(3)}, producer CPU ${a.ratio.producerCpu.toFixed(3)}`,
  ];
}

function formatRecording(c: RecordingComparison): string[] {
  const row = (what: string, f: RecordingFigures) => `    ${what.padEnd(34)} ${f.seconds.toFixed(2).padStart(6)} s   redis CPU ${f.redisCpuSeconds.toFixed(2).padStart(5)} s   ${f.redisBytesPerNumber.toFixed(1).padStart(5)} bytes/number`;
  const ratio = (o: { packedLog: RecordingFigures; legacySets: RecordingFigures }) =>
    `    old ÷ new: ${(o.legacySets.seconds / o.packedLog.seconds).toFixed(1)}× the time, ${(o.legacySets.redisCpuSeconds / Math.max(0.01, o.packedLog.redisCpuSeconds)).toFixed(1)}× the Redis CPU`;
  return [
    '  recording the numbers for opt-outs, side by side (same numbers, flushed Redis each time):',
    row('packed log, CSV order', c.csvOrder.packedLog),
    row('sets (before), CSV order', c.csvOrder.legacySets),
    ratio(c.csvOrder),
    row('packed log, shuffled', c.shuffled.packedLog),
    row('sets (before), shuffled', c.shuffled.legacySets),
    ratio(c.shuffled),
  ];
}

runIfMain(import.meta, {
  flags: ['recipients', 'compare', 'recording', 'opted-out', 'floor', 'arenas', 'key'],
  limitMs: 300_000,
  what: 'the campaign bench',
  run: ({ 'opted-out': optedOut, ...values }) => runCampaign({ ...values, ...(optedOut === undefined ? {} : { optedOut }) } as Partial<CampaignOptions>),
  format: formatCampaign,
});
