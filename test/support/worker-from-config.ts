import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { createLogger } from '../../src/logger.js';
import { createSmsClient } from '../../src/sms/client.js';
import { createSmsWorker, type SmsWorker, type SmsWorkerOptions } from '../../workers/sms-worker.js';

/** What a worker running in a child process (tests, benches) is told as JSON. */
export interface WorkerConfigBase {
  redisUrl: string;
  prefix: string;
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  qps: number;
  concurrency: number;
  readTimeoutMs: number;
  /** Logs as JSON lines on stdout at this level, for a test that reads what the worker noticed. Default: silent. */
  logLevel?: 'info' | 'warn' | 'error';
}

/** Builds the worker of a child process: its own connection, an SMS client for the emulator, a silent logger. */
export function workerFromConfig(cfg: WorkerConfigBase, extra: Partial<SmsWorkerOptions> = {}): { worker: SmsWorker; connection: RedisConnection } {
  const connection = createRedisConnection(cfg.redisUrl);
  const client = createSmsClient({
    endpoint: cfg.endpoint,
    protocol: 'http',
    readTimeoutMs: cfg.readTimeoutMs,
    credential: { kind: 'access-key', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret },
  });
  const worker = createSmsWorker({
    connection,
    client,
    logger: createLogger({ level: cfg.logLevel ?? 'silent' }),
    prefix: cfg.prefix,
    qps: cfg.qps,
    concurrency: cfg.concurrency,
    readTimeoutMs: cfg.readTimeoutMs,
    name: `child-${process.pid}`,
    // Marketing goes out whatever the hour a test or bench runs.
    quietHours: null,
    ...extra,
  });
  return { worker, connection };
}
