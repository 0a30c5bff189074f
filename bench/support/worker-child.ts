/**
 * A bench worker process: `createSmsWorker` over `createSmsClient`, with a silent logger. Started
 * by `startWorkerChild` (pipeline.ts); takes jobs after the `start` request.
 * Requests: `start`, `cpu` (CPU seconds so far).
 */
import { DEFAULT_RECEIPT_POLICIES, type ReceiptPolicies } from '../../src/queue/receipt-policy.js';
import { workerFromConfig } from '../../test/support/worker-from-config.js';
import { childConfig, serveStartable } from './children.js';
import type { WorkerChildConfig } from './pipeline.js';

const cfg = childConfig<WorkerChildConfig>();
const none = { mode: 'none', sampleRate: 0 } as const;
const receiptPolicies: ReceiptPolicies =
  cfg.receiptLookups === 'none' ? { verification: none, notification: none, marketing: none } : DEFAULT_RECEIPT_POLICIES;
const { worker, connection } = workerFromConfig(cfg, { receiptPolicies, name: `bench-${process.pid}`, ...(cfg.durability ? { durability: cfg.durability } : {}), ...(cfg.pacerBulkDepthMs !== undefined ? { pacerBulkDepthMs: cfg.pacerBulkDepthMs } : {}) });
await connection.ping();

serveStartable(
  () => worker.start(),
  { pid: process.pid, window: worker.window },
  async () => {
    await worker.close();
    connection.disconnect();
  },
);
