/**
 * A bench worker process: `createSmsWorker` over `createSmsClient`, with a silent logger. Started
 * by `startWorkerChild` (pipeline.ts); takes jobs after the `start` request.
 * Requests: `start`, `cpu` (CPU seconds so far), `loop` (event-loop delay since the last `loop`),
 * `stop` (graceful close).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { DEFAULT_RECEIPT_POLICIES, type ReceiptPolicies } from '../../src/receipts/receipt-policy.js';
import { createSmsClient } from '../../src/sms/client.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { childConfig, cpuSeconds, serveChild } from './children.js';
import type { WorkerChildConfig } from './pipeline.js';

const cfg = childConfig<WorkerChildConfig>();
const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
const client = createSmsClient({
  endpoint: cfg.endpoint,
  protocol: 'http',
  readTimeoutMs: cfg.readTimeoutMs,
  credential: { kind: 'access-key', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret },
});
const none = { mode: 'none', sampleRate: 0 } as const;
const receiptPolicies: ReceiptPolicies =
  cfg.receiptLookups === 'none' ? { verification: none, notification: none, marketing: none } : DEFAULT_RECEIPT_POLICIES;
const worker = createSmsWorker({
  connection,
  client,
  logger: createLogger({ level: 'silent' }),
  prefix: cfg.prefix,
  qps: cfg.qps,
  concurrency: cfg.concurrency,
  readTimeoutMs: cfg.readTimeoutMs,
  receiptPolicies,
  name: `bench-${process.pid}`,
});
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
