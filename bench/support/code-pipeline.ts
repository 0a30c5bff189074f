/**
 * The in-process pipeline the memory benches send verification codes through: the emulator
 * (reports 1 s after a send), a producer and one worker that leaves finished sends uncompacted,
 * so that a bench can read a send before and after compacting it itself.
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { createLogger } from '../../src/logger.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createSmsWorker, type SmsWorker } from '../../workers/sms-worker.js';
import { BENCH_PREFIX, N, startBenchEmulator } from './pipeline.js';
import { benchDurability } from './redis.js';

export interface CodePipeline {
  producer: Producer;
  worker: SmsWorker;
  /** Enqueues the i-th code (its own number). */
  sendCode(i: number): ReturnType<Producer['send']>;
  close(): Promise<void>;
}

/** `lookDelaysMs`: the worker's receipt look-ups after a send is accepted. The worker is not started. */
export async function startCodePipeline(producerConnection: RedisConnection, workerConnection: Redis, lookDelaysMs: number[]): Promise<CodePipeline> {
  const { emulator, endpoint } = await startBenchEmulator({ qps: 0, deliveryDelayMs: 1000 });
  const producer = createProducer({ redis: producerConnection, prefix: BENCH_PREFIX, durability: benchDurability() });
  const worker = createSmsWorker({
    connection: workerConnection,
    client: createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } }),
    logger: createLogger({ level: 'silent' }),
    prefix: BENCH_PREFIX,
    qps: 5000,
    readTimeoutMs: 3000,
    durability: benchDurability(),
    receiptSchedule: { lookDelaysMs, windowMs: 3_600_000 },
    compactFinished: false,
  });
  return {
    producer,
    worker,
    sendCode: (i) => producer.send({ phones: [String(13300000000 + i)], kind: 'verification', signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' } }),
    async close() {
      await worker.close();
      await producer.close();
      await emulator.close();
    },
  };
}
