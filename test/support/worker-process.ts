/**
 * A worker in a child process, for tests that kill workers or run several at once.
 * Usage: node --import tsx test/support/worker-process.ts '<json WorkerProcessConfig>'
 * Prints "ready" on stdout once it takes jobs; closes gracefully on SIGTERM.
 */
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { createSmsClient } from '../../src/sms/client.js';
import { createSmsWorker } from '../../workers/sms-worker.js';

export interface WorkerProcessConfig {
  redisUrl: string;
  prefix: string;
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  qps: number;
  concurrency: number;
  readTimeoutMs: number;
  reconcile: { firstLookAfterMs: number; settleMs: number; lookIntervalMs: number };
  stalledIntervalMs: number;
  lockDurationMs: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
const client = createSmsClient({
  endpoint: cfg.endpoint,
  protocol: 'http',
  readTimeoutMs: cfg.readTimeoutMs,
  credential: { kind: 'access-key', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret },
});
const worker = createSmsWorker({
  connection,
  client,
  logger: createLogger({ level: 'silent' }),
  prefix: cfg.prefix,
  qps: cfg.qps,
  concurrency: cfg.concurrency,
  readTimeoutMs: cfg.readTimeoutMs,
  reconcile: cfg.reconcile,
  stalledIntervalMs: cfg.stalledIntervalMs,
  lockDurationMs: cfg.lockDurationMs,
  name: `child-${process.pid}`,
});
await worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
