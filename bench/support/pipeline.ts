/**
 * Shared pieces of the pipeline benches: the emulator they run in-process, worker children,
 * backlogs of single-number SendSms jobs, and small statistics and time-bound helpers.
 */
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { benchDurability } from './redis.js';
import { readFileSync } from 'node:fs';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import type { MessageKind } from '../../src/queue/kinds.js';
import type { Producer } from '../../producers/producer.js';
import type { WorkerConfigBase } from '../../test/support/worker-from-config.js';
import { spawnChild, type BenchChild } from './children.js';
import { compileBenchEntries } from './compiled.js';
import { runLanes } from './lanes.js';

export const N = DEFAULT_FIXTURE_NAMES;
export const BENCH_PREFIX = '{smsq}';

/**
 * The emulator of a bench, in the bench process (its clock is the bench's clock). Flow control off
 * (every bench uses fresh numbers anyway) and rings big enough to keep every call of a bench.
 */
export async function startBenchEmulator(o: { qps: number; keep?: number; deliveryDelayMs?: number } & Pick<EmulatorOptions, 'latencyMs'>): Promise<{ emulator: Emulator; endpoint: string }> {
  const keep = o.keep ?? 200_000;
  const emulator = createEmulator({
    qps: o.qps,
    flowControl: false,
    latencyMs: o.latencyMs ?? 0,
    delivery: { delayMs: o.deliveryDelayMs ?? 60_000, failureRatio: 0 },
    retention: { calls: keep, acceptedSends: keep, recipients: keep, recipientsPerNumber: 4, flowControlKeys: 1000 },
  });
  const { endpoint } = await emulator.listen({ host: '127.0.0.1' });
  return { emulator, endpoint };
}

export interface WorkerChildConfig extends WorkerConfigBase {
  /** `default`: the product's receipt look-up policy; `none`: no look-ups (send path alone). */
  receiptLookups: 'default' | 'none';
  /** SMSQ_DURABILITY of the worker; default the product's (`fsync`). */
  durability?: DurabilityOptions;
  /** The pacer's bulk lane depth (ms, the worker option pacerBulkDepthMs); default the product's (LANE_DEPTH_MS.bulk, 10). */
  pacerBulkDepthMs?: number;
}

export interface WorkerChildReady {
  pid: number;
  window: { max: number; duration: number; worstSlidingSecond: number; sustainedPerSecond: number };
}

/** A worker process (bench/support/worker-child.ts); call `request('start')` to let it take jobs. */
export function startWorkerChild(o: {
  redisUrl: string;
  endpoint: string;
  qps: number;
  concurrency: number;
  receiptLookups?: WorkerChildConfig['receiptLookups'];
  durability?: DurabilityOptions;
  pacerBulkDepthMs?: number;
  /** Another entry point with the same protocol, for experiments (run under tsx unless `compiled`). Default: worker-child.ts compiled. */
  script?: string;
  /** `script` is JavaScript to run with plain node (no tsx). */
  compiled?: boolean;
}): Promise<BenchChild<WorkerChildReady>> {
  const cfg: WorkerChildConfig = {
    redisUrl: o.redisUrl,
    prefix: BENCH_PREFIX,
    endpoint: o.endpoint,
    accessKeyId: SANDBOX_ACCESS_KEY.accessKeyId,
    accessKeySecret: SANDBOX_ACCESS_KEY.accessKeySecret,
    qps: o.qps,
    concurrency: o.concurrency,
    readTimeoutMs: 3000,
    receiptLookups: o.receiptLookups ?? 'default',
    durability: o.durability ?? benchDurability(),
    ...(o.pacerBulkDepthMs !== undefined ? { pacerBulkDepthMs: o.pacerBulkDepthMs } : {}),
  };
  const experiment = o.script ?? process.env.BENCH_WORKER_SCRIPT;
  // By default the worker child runs compiled, as users run smsq (support/compiled.ts).
  if (experiment === undefined) return spawnChild<WorkerChildReady>(compiledWorkerChild(), cfg, { compiled: true });
  return spawnChild<WorkerChildReady>(experiment, cfg, { compiled: o.compiled ?? false });
}

const WORKER_CHILD = 'bench/support/worker-child.ts';
let compiledWorker: string | undefined;
/** The worker child compiled by tsc (once per bench process). */
function compiledWorkerChild(): string {
  compiledWorker ??= compileBenchEntries('worker', [WORKER_CHILD])[WORKER_CHILD];
  return compiledWorker;
}

/** `count` distinct mainland mobile numbers from `base` (e.g. 13000000000). */
export function phones(base: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(base + i));
}

/**
 * Enqueues one single-number send per number through the producer's public `send` (a marketing
 * backlog of single-number calls: a real campaign packs 1000 numbers into one SendSms, but the
 * emulator cannot take Q × 1000 numbers a second, and the priority bench needs calls at the cap).
 * `inFlight` sends run at once. Returns the send ids.
 */
export async function enqueueSingles(
  producer: Producer,
  kind: MessageKind,
  numbers: readonly string[],
  shape: { signName: string; templateCode: string; templateParam?: Record<string, string> },
  inFlight = 64,
): Promise<string[]> {
  const ids: string[] = new Array<string>(numbers.length);
  await runLanes(numbers.length, inFlight, async (i) => {
    ids[i] = (await producer.send({ phones: [numbers[i] as string], kind, ...shape })).sendId;
  });
  return ids;
}

// ---- statistics ----

/** Nearest-rank percentile (p in 0..100) of unsorted numbers. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Calls per second between the first and the last timestamp (ms): (n - 1) / span. */
export function rateOf(times: readonly number[]): number {
  if (times.length < 2) return 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return hi > lo ? ((times.length - 1) * 1000) / (hi - lo) : 0;
}

// ---- time bounds ----

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * A bench file run by itself (`npx tsx bench/X.ts [--json] [--flag N]`): parses its numeric flags,
 * runs it within its own time bound, prints JSON or the formatted figures, and exits 1 on failure.
 * Does nothing when the file is imported (by run-all.ts).
 */
export function runIfMain<R>(
  meta: ImportMeta,
  o: { flags: readonly string[]; limitMs: number; what: string; run: (values: Record<string, number>) => Promise<R>; format: (r: R) => string },
): void {
  if (meta.url !== `file://${process.argv[1]}`) return;
  const { json, values } = parseFlags(process.argv.slice(2), o.flags);
  bounded(o.run(values), o.limitMs, o.what)
    .then((r) => console.log(json ? JSON.stringify(r, null, 2) : o.format(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}

/** Rejects if `p` takes longer than `ms` (the bench's own time bound). */
export async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses `--json` and `--name value` flags (numbers) for a bench's standalone entry. */
export function parseFlags(argv: string[], numeric: readonly string[]): { json: boolean; values: Record<string, number> } {
  const values: Record<string, number> = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') {
      json = true;
      continue;
    }
    const name = a.replace(/^--/, '');
    if (!a.startsWith('--') || !numeric.includes(name)) throw new Error(`unknown argument ${a}; known: --json ${numeric.map((n) => `--${n} N`).join(' ')}`);
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number >= 0`);
    values[name] = v;
  }
  return { json, values };
}

// ---- the machine ----

/** Busy CPU (all processes) from /proc/stat, in core-seconds; undefined where there is no /proc. */
export function machineBusySeconds(): number | undefined {
  try {
    const text = readFileSync('/proc/stat', 'utf8');
    const f = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / 100; // USER_HZ
  } catch {
    return undefined;
  }
}
