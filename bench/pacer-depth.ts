/**
 * The pacer's bulk lane depth, side by side: the product's default (it follows the reservations'
 * round trip, src/queue/lane-depth.ts) against a fixed depth (default 20 ms, the fixed depth of
 * earlier versions), interleaved A B A B ... in one run. `npx tsx bench/pacer-depth.ts [--json]
 * [--pairs P] [--fixedMs F] [--qps Q] [--codes N]`.
 *
 * Each round runs the priority bench (verification codes behind a marketing backlog: what a code
 * waits) and the limiter bench (a backlog drained: what the account's rate gets), each with its own
 * Redis, emulator and workers. The depth trades the one for the other: a deeper lane keeps the
 * slot queue from running dry while reservations travel, and makes every code wait behind it.
 */
import { formatLimiter, runLimiter, type LimiterResult } from './pipeline-limiter.js';
import { runPriority, type PriorityResult } from './pipeline-priority.js';
import { median, round, runIfMain } from './support/pipeline.js';

export interface PacerDepthOptions {
  pairs: number;
  fixedMs: number;
  qps: number;
  codes: number;
}

export const PACER_DEPTH_DEFAULTS: PacerDepthOptions = { pairs: 2, fixedMs: 20, qps: 3000, codes: 200 };

interface Side {
  claimToAcceptedMs: { p50: number; p99: number }[];
  latencyMs: { p50: number; p99: number }[];
  limiterAverage: number[];
  limiterBusiestSecond: number[];
}

export interface PacerDepthResult {
  benchmark: 'pacer-depth';
  options: PacerDepthOptions;
  adaptive: Side;
  fixed: Side;
  /** Medians, adaptive ÷ fixed. */
  ratios: { claimToAcceptedP50: number; claimToAcceptedP99: number; latencyP99: number; limiterAverage: number };
}

export async function runPacerDepth(opts: Partial<PacerDepthOptions> = {}): Promise<PacerDepthResult> {
  const o = { ...PACER_DEPTH_DEFAULTS, ...opts };
  const side = (): Side => ({ claimToAcceptedMs: [], latencyMs: [], limiterAverage: [], limiterBusiestSecond: [] });
  const adaptive = side();
  const fixed = side();
  for (let p = 0; p < o.pairs; p++) {
    for (const [into, bulkDepthMs] of [
      [adaptive, 0],
      [fixed, o.fixedMs],
    ] as const) {
      const priority: PriorityResult = await runPriority({ qps: o.qps, codes: o.codes, bulkDepthMs });
      into.claimToAcceptedMs.push(priority.claimToAcceptedMs);
      into.latencyMs.push({ p50: priority.latencyMs.p50, p99: priority.latencyMs.p99 });
      const limiter: LimiterResult = await runLimiter({ qps: o.qps, bulkDepthMs, seconds: 6 });
      into.limiterAverage.push(limiter.averageRatio);
      into.limiterBusiestSecond.push(limiter.maxSlidingRatio);
      if (process.env.BENCH_VERBOSE) console.error(formatLimiter(limiter));
    }
  }
  const med = (s: Side, pick: (s: Side) => number[]) => median(pick(s));
  const ratio = (pick: (s: Side) => number[]) => round(med(adaptive, pick) / med(fixed, pick), 2);
  return {
    benchmark: 'pacer-depth',
    options: o,
    adaptive,
    fixed,
    ratios: {
      claimToAcceptedP50: ratio((s) => s.claimToAcceptedMs.map((x) => x.p50)),
      claimToAcceptedP99: ratio((s) => s.claimToAcceptedMs.map((x) => x.p99)),
      latencyP99: ratio((s) => s.latencyMs.map((x) => x.p99)),
      limiterAverage: ratio((s) => s.limiterAverage),
    },
  };
}

export function formatPacerDepth(r: PacerDepthResult): string {
  const row = (name: string, s: Side) =>
    `  ${name.padEnd(22)} ${s.claimToAcceptedMs.map((x) => `${x.p50}/${x.p99}`).join(', ').padEnd(26)} ${s.latencyMs.map((x) => `${x.p50}/${x.p99}`).join(', ').padEnd(26)} ${s.limiterAverage.join(', ').padEnd(16)} ${s.limiterBusiestSecond.join(', ')}`;
  return [
    `Pacer bulk lane depth: the default (follows the round trip, 4-20 ms) vs fixed ${r.options.fixedMs} ms, Q = ${r.options.qps}, ${r.options.pairs} interleaved pairs`,
    `  ${'variant'.padEnd(22)} ${'claim → accepted p50/p99'.padEnd(26)} ${'enqueue → accepted p50/p99'.padEnd(26)} ${'limiter avg ÷ Q'.padEnd(16)} busiest second ÷ Q`,
    row('default (adaptive)', r.adaptive),
    row(`fixed ${r.options.fixedMs} ms`, r.fixed),
    `  default ÷ fixed (medians): claim → accepted p50 ${r.ratios.claimToAcceptedP50}, p99 ${r.ratios.claimToAcceptedP99}; enqueue → accepted p99 ${r.ratios.latencyP99}; limiter average ${r.ratios.limiterAverage}`,
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['pairs', 'fixedMs', 'qps', 'codes'],
  limitMs: 1_800_000,
  what: 'the pacer depth bench',
  run: (values) => runPacerDepth(values as Partial<PacerDepthOptions>),
  format: formatPacerDepth,
});
