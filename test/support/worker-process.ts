/**
 * A worker in a child process, for tests that kill workers or run several at once.
 * Usage: node --import tsx test/support/worker-process.ts '<json WorkerProcessConfig>'
 * Prints "ready" on stdout once it takes jobs; closes gracefully on SIGTERM.
 */
import type { DurabilityOptions } from '../../src/durability/mode.js';
import type { ReconcileTiming } from '../../src/queue/follow-ups.js';
import { workerFromConfig, type WorkerConfigBase } from './worker-from-config.js';

export interface WorkerProcessConfig extends WorkerConfigBase {
  reconcile: ReconcileTiming;
  stalledIntervalMs: number;
  lockDurationMs: number;
  durability?: DurabilityOptions;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
const { worker, connection } = workerFromConfig(cfg, {
  reconcile: cfg.reconcile,
  stalledIntervalMs: cfg.stalledIntervalMs,
  lockDurationMs: cfg.lockDurationMs,
  ...(cfg.durability ? { durability: cfg.durability } : {}),
});
await worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
