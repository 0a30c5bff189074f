/**
 * A bench worker process: `createSmsWorker` over `createSmsClient`, with a silent logger. Started
 * by `startWorkerChild` (pipeline.ts); takes jobs after the `start` request.
 * Requests: `start`, `cpu` (CPU seconds so far), `loop` (event-loop delay since the last `loop`),
 * `stop` (graceful close).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_RECEIPT_POLICIES, type ReceiptPolicies } from '../../src/receipts/receipt-policy.js';
import { workerFromConfig } from '../../test/support/worker-from-config.js';
import { childConfig, cpuSeconds, serveChild } from './children.js';
import type { WorkerChildConfig } from './pipeline.js';

const cfg = childConfig<WorkerChildConfig>();
const none = { mode: 'none', sampleRate: 0 } as const;
const receiptPolicies: ReceiptPolicies =
  cfg.receiptLookups === 'none' ? { verification: none, notification: none, marketing: none } : DEFAULT_RECEIPT_POLICIES;
const { worker, connection } = workerFromConfig(cfg, { receiptPolicies, name: `bench-${process.pid}` });
await connection.ping();

const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let started = false;
serveChild(
  {
    async start() {
      if (!started) {
        started = true;
        await worker.start();
      }
      loopDelay.reset();
      return { window: worker.window };
    },
    cpu: () => cpuSeconds(),
    loop() {
      const r = { meanMs: loopDelay.mean / 1e6, p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
      loopDelay.reset();
      return r;
    },
    async stop() {
      await worker.close();
      return true;
    },
  },
  { pid: process.pid, window: worker.window },
  async () => {
    await worker.close();
    connection.disconnect();
  },
);
