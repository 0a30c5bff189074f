/**
 * A bench worker process: `createSmsWorker` over `createSmsClient`, with a silent logger. Started
 * by `startWorkerChild` (pipeline.ts); takes jobs after the `start` request.
 * Requests: `start`, `cpu` (CPU seconds so far), `requestTimes` (when each HTTP request to the
 * emulator was made, epoch ms with fractions: the sender's side of the limiter bench's window).
 */
import { subscribe } from 'node:diagnostics_channel';
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

// Stamped when the SDK creates the request, before its bytes are written: what this process sent
// when, whatever the emulator's event loop does with the arrivals.
const requestTimes: number[] = [];
subscribe('http.client.request.start', () => requestTimes.push(performance.timeOrigin + performance.now()));

serveStartable(
  () => worker.start(),
  { pid: process.pid, window: worker.window },
  async () => {
    await worker.close();
    connection.disconnect();
  },
  { requestTimes: () => requestTimes },
);
