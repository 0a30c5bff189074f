/**
 * The "BullMQ floor" of the worker-overhead bench: a plain BullMQ Worker, configured as smsq
 * configures its calls worker (concurrency, drain delay, the global rate limit of the pacer's
 * backstop, finished-job retention), whose processor only makes the SDK call: no pacer, no chunk
 * state machine, no follow-ups. What one BullMQ job per call costs on its own, to put smsq's own
 * share of the overhead apart from the queue's.
 * With `records: true` (variant D of the bench) the processor also writes the least that smsq's
 * invariant asks of a call: a record of the attempt before it (one script: the attempt's state and
 * one count) and of its outcome after it (one script: state, BizId, two counts), each its own
 * write, so each is made durable like smsq's claim and answer. What that costs Redis over the
 * plain floor bounds what a design keeping "a durable record before and after every call" with
 * records written call by call can reach against the floor.
 * Config: {redisUrl, prefix, queue, concurrency, qps, records?, ...SDK config}. Requests: `start`, `cpu`.
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
  /** Write a record before and after each call (variant D). */
  records?: boolean;
}

/** A floor job: one number, one SendSms. */
export interface FloorJobData {
  phone: string;
}

const cfg = childConfig<BullmqFloorConfig>();
const { sdk, runtime } = createBareSdk(cfg);

const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
const BEFORE = "redis.call('HSET', KEYS[1], 'state', 'sending', 'attempt', ARGV[1], 'sentAt', ARGV[2]) redis.call('HINCRBY', KEYS[2], 'sending', 1) return 1";
const AFTER = "redis.call('HSET', KEYS[1], 'state', 'accepted', 'bizId', ARGV[1], 'updatedAt', ARGV[2]) redis.call('HINCRBY', KEYS[2], 'sending', -1) redis.call('HINCRBY', KEYS[2], 'accepted', 1) return 1";
const recordKey = (job: Job) => `${cfg.prefix}:floor-record:${job.id}`;
const countsKey = `${cfg.prefix}:floor-record-counts`;
// EVALSHA, as smsq's scripts are run.
connection.defineCommand('floorBefore', { numberOfKeys: 2, lua: BEFORE });
connection.defineCommand('floorAfter', { numberOfKeys: 2, lua: AFTER });
const scripts = connection as unknown as Record<'floorBefore' | 'floorAfter', (...args: (string | number)[]) => Promise<number>>;
const queue = new Queue(cfg.queue, { connection, prefix: cfg.prefix });
const worker = new Worker(
  cfg.queue,
  async (job: Job<FloorJobData>) => {
    if (cfg.records) await scripts.floorBefore(recordKey(job), countsKey, job.attemptsStarted, Date.now());
    const res = await sdk.sendSmsWithOptions(bareSendRequest(cfg, job.data.phone, `floor-${job.id}`), runtime);
    if (res.body?.code !== 'OK') throw new Error(`SendSms answered ${res.body?.code}`);
    if (cfg.records) await scripts.floorAfter(recordKey(job), countsKey, res.body.bizId ?? '', Date.now());
    return { bizId: res.body.bizId };
  },
  { connection, prefix: cfg.prefix, autorun: false, concurrency: cfg.concurrency, drainDelay: 1, maxStalledCount: 1_000_000, ...JOB_RETENTION },
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
