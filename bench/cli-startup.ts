/**
 * CLI start-up: the CPU one `smsq` invocation of the compiled CLI costs, for commands that answer
 * at once, over what bare `node -e ""` costs on the same machine at the same moment.
 * `npx tsx bench/cli-startup.ts [--json] [--rounds N]`.
 *
 * - The CLI is compiled as `npm run build` compiles it (support/compiled.ts) and run with plain node.
 * - Cases: `node -e ""` (the floor), `smsq --version`, `smsq --help`, a refused flag
 *   (`smsq signs --bogus`), `smsq signs --json` against the emulator (in this process: its CPU is
 *   not the child's), `smsq sends --json` against a private Redis (empty: one page read).
 * - CPU is the child's own (user + system, every thread), reported by a one-line preload at exit,
 *   so the bench's and the emulator's work are not counted; the floor carries the same preload.
 * - Rounds interleave every case (and every CLI): a machine that gets busier mid-run weighs on all
 *   of them alike. Each figure is the median of its rounds; the ratio is over the floor's median.
 * - BENCH_CLI_BASELINE=/path/to/cli/main.js measures another build beside this tree's, in the same
 *   rounds (before/after a change: build the other commit with `npm run build` in a clone).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmulator } from '../src/emulator/index.js';
import { onExitKill, REPO_ROOT } from './support/children.js';
import { benchBuildDir, compileBenchEntries } from './support/compiled.js';
import { BENCH_PREFIX, bounded, median, round, runIfMain } from './support/pipeline.js';
import { startPrivateRedis } from './support/redis.js';

export interface CliStartupOptions {
  /** Rounds of every case; the figures are their medians. */
  rounds: number;
}

export const CLI_STARTUP_DEFAULTS: CliStartupOptions = { rounds: 7 };

/** One case measured for one CLI: CPU and wall time per invocation (medians, ms), and CPU over the floor's. */
export interface CaseFigures {
  cpuMs: number;
  wallMs: number;
  overBareNode: number;
}

export interface CliStartupResult {
  rounds: number;
  /** `node -e ""` with the same preload: the floor every ratio is over. */
  bareNode: { cpuMs: number; wallMs: number };
  /** Per CLI measured (`this tree`, and `baseline` when BENCH_CLI_BASELINE names one): per case. */
  clis: { name: string; path: string; cases: Record<string, CaseFigures> }[];
}

/** The cases: a label, the arguments and the exit code a healthy CLI ends with. */
const CASES = [
  { label: '--version', args: ['--version'], exit: 0 },
  { label: '--help', args: ['--help'], exit: 0 },
  { label: 'refused flag (signs --bogus)', args: ['signs', '--bogus'], exit: 2 },
  { label: 'signs (emulator)', args: ['signs', '--json'], exit: 0 },
  { label: 'sends (Redis)', args: ['sends', '--json'], exit: 0 },
] as const;

interface Invocation {
  cpuMs: number;
  wallMs: number;
}

/** Runs `node [preload] args` and returns its CPU (reported by the preload) and wall time. */
async function invoke(preload: string, args: readonly string[], env: NodeJS.ProcessEnv, exit: number): Promise<Invocation> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', preload, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  onExitKill(child);
  let out = '';
  let cpu = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (cpu += d.toString()));
  const [code] = (await bounded(once(child, 'close'), 60_000, `node ${args.join(' ')}`)) as [number | null];
  const wallMs = performance.now() - t0;
  if (code !== exit) throw new Error(`node ${args.join(' ')} exited with ${code}, expected ${exit}:\n${out}`);
  return { cpuMs: Number(cpu.trim()) / 1000, wallMs };
}

/** The environment of every invocation: the caller's, without anything smsq, the SDK or OpenTelemetry reads. */
function childEnv(vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SMS_|SMSQ_|ALIBABA_CLOUD_|OTEL_|LOG_LEVEL$|REDIS_URL$|NODE_OPTIONS$)/.test(k)) env[k] = v;
  return { ...env, ...vars };
}

export async function runCliStartup(o: Partial<CliStartupOptions> = {}): Promise<CliStartupResult> {
  const { rounds } = { ...CLI_STARTUP_DEFAULTS, ...o };
  const built = compileBenchEntries('cli-startup', ['cli/main.ts']);
  const clis = [{ name: 'this tree', path: built['cli/main.ts'] }];
  const baseline = process.env.BENCH_CLI_BASELINE;
  if (baseline) clis.push({ name: 'baseline', path: baseline });
  const buildDir = benchBuildDir('cli-startup');
  mkdirSync(buildDir, { recursive: true });
  const preload = join(buildDir, 'report-cpu.mjs');
  writeFileSync(preload, "import { writeSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.cpuUsage(); writeSync(3, `${u.user + u.system}\\n`); });\n");

  const redis = await startPrivateRedis();
  const emulator = createEmulator();
  try {
    const { endpoint } = await emulator.listen({ host: '127.0.0.1' });
    const env = childEnv({ SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, REDIS_URL: redis.url, SMSQ_PREFIX: BENCH_PREFIX, LOG_LEVEL: 'warn' });
    const bare: Invocation[] = [];
    const runs = clis.map(() => CASES.map((): Invocation[] => []));
    // One unmeasured pass first: the page cache and the compiled files' first reads are not a start-up's cost.
    for (const pass of [-1, ...Array.from({ length: rounds }, (_, i) => i)]) {
      const floor = await invoke(preload, ['-e', ''], env, 0);
      if (pass >= 0) bare.push(floor);
      for (const [c, { args, exit }] of CASES.entries()) {
        for (const [i, cli] of clis.entries()) {
          const run = await invoke(preload, [cli.path, ...args], env, exit);
          if (pass >= 0) runs[i]![c]!.push(run);
        }
      }
    }
    const bareCpu = median(bare.map((r) => r.cpuMs));
    return {
      rounds,
      bareNode: { cpuMs: round(bareCpu, 1), wallMs: round(median(bare.map((r) => r.wallMs)), 1) },
      clis: clis.map((cli, i) => ({
        ...cli,
        cases: Object.fromEntries(
          CASES.map(({ label }, c) => {
            const cpuMs = median(runs[i]![c]!.map((r) => r.cpuMs));
            return [label, { cpuMs: round(cpuMs, 1), wallMs: round(median(runs[i]![c]!.map((r) => r.wallMs)), 1), overBareNode: round(cpuMs / bareCpu, 2) }];
          }),
        ),
      })),
    };
  } finally {
    await emulator.close();
    await redis.stop();
  }
}

export function formatCliStartup(r: CliStartupResult): string {
  const lines = [`CLI start-up: CPU ms per invocation of the compiled CLI (median of ${r.rounds} interleaved rounds), × bare node -e "" (${r.bareNode.cpuMs} ms CPU)`];
  lines.push(`  ${'command'.padEnd(30)}${r.clis.map((c) => c.name.padStart(22)).join('')}`);
  for (const { label } of CASES) {
    const cells = r.clis.map((c) => {
      const f = c.cases[label]!;
      return `${f.cpuMs.toFixed(0)} ms (${f.overBareNode.toFixed(2)}×)`.padStart(22);
    });
    lines.push(`  ${label.padEnd(30)}${cells.join('')}`);
  }
  return lines.join('\n');
}

runIfMain(import.meta, {
  flags: ['rounds'],
  limitMs: 900_000,
  what: 'the CLI start-up bench',
  run: (values) => runCliStartup(values.rounds === undefined ? {} : { rounds: values.rounds }),
  format: formatCliStartup,
});
