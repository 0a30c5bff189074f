/**
 * A worker in a child process, for tests that kill workers or run several at once.
 * Usage: node <the run's build>/test/support/worker-process.js '<json WorkerProcessConfig>' (test/support/test-build.ts)
 * Prints "ready" on stdout once it takes jobs; closes gracefully on SIGTERM. With `stampRequests`,
 * prints `request <epoch ms>` for every HTTP request as the SDK makes it.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import type { ReconcileTiming } from '../../src/queue/follow-ups.js';
import type { ReceiptSchedule } from '../../src/queue/receipt-policy.js';
import type { RepairOptions } from '../../workers/sms-worker.js';
import { workerFromConfig, type WorkerConfigBase } from './worker-from-config.js';

export interface WorkerProcessConfig extends WorkerConfigBase {
  reconcile: ReconcileTiming;
  stalledIntervalMs: number;
  lockDurationMs: number;
  durability?: DurabilityOptions;
  /** The worker's repair sweep; default the product's (every 5 min, so never within a test). */
  repair?: RepairOptions | null;
  /** When receipts are looked up; default the product's (first look after 30 s). */
  receiptSchedule?: ReceiptSchedule;
  /**
   * Print when each HTTP request leaves this process: the sender's side of the cap, which a busy
   * test process's emulator can only count late (its event loop reads arrivals in bunches).
   */
  stampRequests?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
if (cfg.stampRequests) {
  subscribe('http.client.request.start', () => process.stdout.write(`request ${performance.timeOrigin + performance.now()}\n`));
}
const { worker, connection } = workerFromConfig(cfg, {
  reconcile: cfg.reconcile,
  stalledIntervalMs: cfg.stalledIntervalMs,
  lockDurationMs: cfg.lockDurationMs,
  ...(cfg.durability ? { durability: cfg.durability } : {}),
  ...(cfg.repair !== undefined ? { repair: cfg.repair } : {}),
  ...(cfg.receiptSchedule ? { receiptSchedule: cfg.receiptSchedule } : {}),
});
await worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
