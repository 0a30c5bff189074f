/**
 * The "BullMQ floor" of the worker-overhead bench: a plain BullMQ Worker, configured as smsq
 * configures its calls worker (concurrency, drain delay, the global rate limit of the pacer's
 * backstop, finished-job retention), whose processor only makes the SDK call: no pacer, no chunk
 * state machine, no follow-ups. What one BullMQ job per call costs on its own, to put smsq's own
 * share of the overhead apart from the queue's.
 * Config: {redisUrl, prefix, queue, concurrency, qps, ...SDK config}. Requests: `start`, `cpu`.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { bareSendRequest, createBareSdk } from './bare-sdk.js';
import { JOB_RETENTION } from '../../src/queue/calls-queue.js';
import { childConfig, serveStartable } from './children.js';
import type { SdkLoopConfig } from './sdk-loop-child.js';

export interface BullmqFloorConfig extends SdkLoopConfig {
  redisUrl: string;
  prefix: string;
  queue: string;
  concurrency: number;
  qps: number;
}

/** A floor job: one number, one SendSms. */
export interface FloorJobData {
  phone: string;
}

const cfg = childConfig<BullmqFloorConfig>();
const { sdk, runtime } = createBareSdk(cfg);

const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(cfg.queue, { connection, prefix: cfg.prefix, defaultJobOptions: { ...JOB_RETENTION } });
const worker = new Worker(
  cfg.queue,
  async (job: Job<FloorJobData>) => {
    const res = await sdk.sendSmsWithOptions(bareSendRequest(cfg, job.data.phone, `floor-${job.id}`), runtime);
    if (res.body?.code !== 'OK') throw new Error(`SendSms answered ${res.body?.code}`);
    return { bizId: res.body.bizId };
  },
  { connection, prefix: cfg.prefix, autorun: false, concurrency: cfg.concurrency, drainDelay: 1, maxStalledCount: 1_000_000 },
);
await connection.ping();

serveStartable(
  async () => {
    await queue.setGlobalRateLimit(2 * cfg.qps, 1000);
    void worker.run();
  },
  { pid: process.pid },
  async () => {
    await worker.close();
    await queue.close();
    connection.disconnect();
  },
);
