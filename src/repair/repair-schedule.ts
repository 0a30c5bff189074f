import type { Logger } from '../logger.js';
import type { LeaderLease } from './leader-lease.js';
import type { OrphanSweep } from './orphan-sweep.js';
import { totalFound, type RepairReport } from './repair-report.js';

export interface RepairScheduleOptions {
  sweep: OrphanSweep;
  /** Only the holder sweeps; the other workers skip the round. */
  lease: LeaderLease;
  logger: Logger;
  /** Between sweeps (ms). */
  intervalMs: number;
  /** The first sweep after start (ms). Default: intervalMs. */
  firstAfterMs?: number;
}

export interface RepairSchedule {
  /** One round now: take the lease, sweep, log, give the lease back. Undefined when another holds it. */
  runOnce(): Promise<RepairReport | undefined>;
  start(): void;
  /** Stops the timer; a sweep in progress stops after its batch. */
  stop(): Promise<void>;
}

/**
 * Runs the orphan sweep every `intervalMs` in each worker; the leader lease lets one of them sweep
 * at a time. Each round logs one line: at `warn` when it found something (a rollback or a dead
 * producer left work behind), at `debug` otherwise.
 */
export function createRepairSchedule(options: RepairScheduleOptions): RepairSchedule {
  const log = options.logger.child({ component: 'repair' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let started = false;
  let stopping = false;

  async function runOnce(): Promise<RepairReport | undefined> {
    if (!(await options.lease.acquire())) return undefined;
    try {
      const report = await options.sweep.run({ shouldContinue: async () => !stopping && (await options.lease.renew()) });
      const line = { found: report.found, samples: report.samples, scanned: report.scanned, durationMs: report.durationMs, complete: report.complete, movedOn: report.movedOn };
      if (totalFound(report) > 0) log.warn(line, 'repair sweep resolved orphaned work (see docs/operations.md "Repair sweep")');
      else log.debug(line, 'repair sweep: nothing orphaned');
      return report;
    } finally {
      await options.lease.release();
    }
  }

  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => log.error({ err }, 'repair sweep failed; retrying at the next interval'))
      .finally(() => {
        running = undefined;
        if (started) timer = setTimeout(tick, options.intervalMs);
      });
  };

  return {
    runOnce,
    start() {
      if (started) return;
      started = true;
      stopping = false;
      timer = setTimeout(tick, options.firstAfterMs ?? options.intervalMs);
    },
    async stop() {
      started = false;
      stopping = true;
      clearTimeout(timer);
      await running;
      stopping = false;
    },
  };
}
