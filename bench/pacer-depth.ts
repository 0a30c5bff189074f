/**
 * The pacer's bulk lane depth, side by side: the product's default (LANE_DEPTH_MS.bulk) against
 * another depth (`--otherMs`, default 5; the worker option `pacerBulkDepthMs`),
 * interleaved A B A B ... in one run. `npx tsx bench/pacer-depth.ts [--json] [--pairs P]
 * [--otherMs D] [--qps Q] [--codes N]`.
 *
 * Each round runs the priority bench (verification codes behind a marketing backlog: what a code
 * waits, and the marketing rate meanwhile: what the bulk lane gets of the account's rate) and the
 * limiter bench, each with its own Redis, emulator and workers. The depth trades the one for the
 * other: a deeper lane keeps the slot queue from running dry while reservations travel, and makes
 * every code wait behind it. The limiter bench drains verification codes, which take the `urgent`
 * lane, where the bulk depth does not apply: it is a control (the cap holds, the rate is unchanged),
 * not the rate the depth could lose; that one is the marketing rate.
 */
import { LANE_DEPTH_MS } from '../src/queue/call-pacer.js';
import { formatLimiter, runLimiter, type LimiterResult } from './pipeline-limiter.js';
import { runPriority, type PriorityResult } from './pipeline-priority.js';
import { median, round, runIfMain } from './support/pipeline.js';

export interface PacerDepthOptions {
  pairs: number;
  otherMs: number;
  qps: number;
  codes: number;
}

export const PACER_DEPTH_DEFAULTS: PacerDepthOptions = { pairs: 2, otherMs: 5, qps: 3000, codes: 200 };

interface Side {
  claimToAcceptedMs: { p50: number; p99: number }[];
  latencyMs: { p50: number; p99: number }[];
  /** Marketing (bulk lane) calls ÷ Q while the codes went. */
  marketingRatio: number[];
  limiterAverage: number[];
  limiterBusiestSecond: number[];
}

export interface PacerDepthResult {
  benchmark: 'pacer-depth';
  options: PacerDepthOptions;
  /** The default depth (LANE_DEPTH_MS.bulk). */
  standard: Side;
  other: Side;
  /** Medians, other ÷ default. */
  ratios: { claimToAcceptedP50: number; claimToAcceptedP99: number; latencyP99: number; marketingRatio: number; limiterAverage: number };
}

export async function runPacerDepth(opts: Partial<PacerDepthOptions> = {}): Promise<PacerDepthResult> {
  const o = { ...PACER_DEPTH_DEFAULTS, ...opts };
  const side = (): Side => ({ claimToAcceptedMs: [], latencyMs: [], marketingRatio: [], limiterAverage: [], limiterBusiestSecond: [] });
  const standard = side();
  const other = side();
  for (let p = 0; p < o.pairs; p++) {
    for (const [into, bulkDepthMs] of [
      [standard, 0],
      [other, o.otherMs],
    ] as const) {
      const priority: PriorityResult = await runPriority({ qps: o.qps, codes: o.codes, bulkDepthMs });
      into.claimToAcceptedMs.push(priority.claimToAcceptedMs);
      into.latencyMs.push({ p50: priority.latencyMs.p50, p99: priority.latencyMs.p99 });
      into.marketingRatio.push(priority.marketingRatio);
      const limiter: LimiterResult = await runLimiter({ qps: o.qps, bulkDepthMs, seconds: 6 });
      into.limiterAverage.push(limiter.averageRatio);
      into.limiterBusiestSecond.push(limiter.maxSlidingRatio);
      if (process.env.BENCH_VERBOSE) console.error(formatLimiter(limiter));
    }
  }
  const med = (s: Side, pick: (s: Side) => number[]) => median(pick(s));
  const ratio = (pick: (s: Side) => number[]) => round(med(other, pick) / med(standard, pick), 2);
  return {
    benchmark: 'pacer-depth',
    options: o,
    standard,
    other,
    ratios: {
      claimToAcceptedP50: ratio((s) => s.claimToAcceptedMs.map((x) => x.p50)),
      claimToAcceptedP99: ratio((s) => s.claimToAcceptedMs.map((x) => x.p99)),
      latencyP99: ratio((s) => s.latencyMs.map((x) => x.p99)),
      marketingRatio: ratio((s) => s.marketingRatio),
      limiterAverage: ratio((s) => s.limiterAverage),
    },
  };
}

export function formatPacerDepth(r: PacerDepthResult): string {
  const row = (name: string, s: Side) =>
    `  ${name.padEnd(22)} ${s.claimToAcceptedMs.map((x) => `${x.p50}/${x.p99}`).join(', ').padEnd(26)} ${s.latencyMs.map((x) => `${x.p50}/${x.p99}`).join(', ').padEnd(26)} ${s.marketingRatio.join(', ').padEnd(20)} ${s.limiterAverage.join(', ').padEnd(16)} ${s.limiterBusiestSecond.join(', ')}`;
  return [
    `Pacer bulk lane depth: the default (${LANE_DEPTH_MS.bulk} ms) vs ${r.options.otherMs} ms, Q = ${r.options.qps}, ${r.options.pairs} interleaved pairs`,
    `  ${'variant'.padEnd(22)} ${'claim → accepted p50/p99'.padEnd(26)} ${'enqueue → accepted p50/p99'.padEnd(26)} ${'marketing ÷ Q (bulk)'.padEnd(20)} ${'codes drained ÷ Q'.padEnd(16)} busiest second ÷ Q`,
    row(`default ${LANE_DEPTH_MS.bulk} ms`, r.standard),
    row(`${r.options.otherMs} ms`, r.other),
    `  ${r.options.otherMs} ms ÷ ${LANE_DEPTH_MS.bulk} ms (medians): claim → accepted p50 ${r.ratios.claimToAcceptedP50}, p99 ${r.ratios.claimToAcceptedP99}; enqueue → accepted p99 ${r.ratios.latencyP99}; marketing rate ${r.ratios.marketingRatio}; codes drained (urgent lane, a control) ${r.ratios.limiterAverage}`,
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['pairs', 'otherMs', 'qps', 'codes'],
  limitMs: 1_800_000,
  what: 'the pacer depth bench',
  run: (values) => runPacerDepth(values as Partial<PacerDepthOptions>),
  format: formatPacerDepth,
});
