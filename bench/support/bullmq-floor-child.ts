/**
 * The "BullMQ floor" of the worker-overhead bench: a plain BullMQ Worker, configured as smsq
 * configures its calls worker (concurrency, drain delay, the global rate limit of the pacer's
 * backstop, finished-job retention), whose processor only makes the SDK call: no pacer, no chunk
 * state machine, no follow-ups. What one BullMQ job per call costs on its own, to put smsq's own
 * share of the overhead apart from the queue's.
 * With `records: 'plain'` (variant D of the bench) the processor also writes the least that smsq's
 * invariant asks of a call: a record of the attempt before it (one script: the attempt's state and
 * one count) and of its outcome after it (one script: state, BizId, two counts), each its own
 * write, so each is made durable like smsq's claim and answer. What that costs Redis over the
 * plain floor bounds what a design keeping "a durable record before and after every call" with
 * records written call by call can reach against the floor.
 * With `records: 'invariants'` (variant E) the two scripts also do what the other invariants ask of
 * every call, and nothing more: the record before it reads the attempt's state first (no call
 * unless it is still to be sent: no resend without a look-up) and reserves the call's slot on the
 * account-wide pacer (Redis TIME, the slot key: the cap counted across processes), and the record
 * after it applies only to its own attempt (reads the attempt's OutId first). No events, no
 * counts across sends, no receipt window: what E costs over the floor is the least any design
 * keeping smsq's invariants pays, call by call.
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
  /** Write a record before and after each call (variant D), and with the invariants' checks and pacer slot (variant E). */
  records?: 'plain' | 'invariants';
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
// Variant E. KEYS: record, counts, pacer slot. ARGV: attempt, now (ms), OutId, slot spacing (µs).
// Returns the µs until the reserved slot, or -1 (not to be sent: its state is past queued).
const BEFORE_CHECKED = `
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'queued' then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[3]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[3], string.format('%.0f', slot + tonumber(ARGV[4])), 'PX', 60000)
redis.call('HSET', KEYS[1], 'state', 'sending', 'attempt', ARGV[1], 'outId', ARGV[3], 'sentAt', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'sending', 1)
return slot - now`;
// KEYS: record, counts. ARGV: BizId, now (ms), OutId. Applies only to the caller's attempt.
const AFTER_CHECKED = `
local f = redis.call('HMGET', KEYS[1], 'state', 'outId')
if f[1] ~= 'sending' or f[2] ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'accepted', 'bizId', ARGV[1], 'updatedAt', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'sending', -1)
redis.call('HINCRBY', KEYS[2], 'accepted', 1)
return 1`;
// Per queue: D and E number their jobs alike, and E reads the record it writes.
const recordKey = (job: Job) => `${cfg.prefix}:floor-record:${cfg.queue}:${job.id}`;
const countsKey = `${cfg.prefix}:floor-record-counts:${cfg.queue}`;
// EVALSHA, as smsq's scripts are run.
connection.defineCommand('floorBefore', { numberOfKeys: 2, lua: BEFORE });
connection.defineCommand('floorAfter', { numberOfKeys: 2, lua: AFTER });
connection.defineCommand('floorBeforeChecked', { numberOfKeys: 3, lua: BEFORE_CHECKED });
connection.defineCommand('floorAfterChecked', { numberOfKeys: 2, lua: AFTER_CHECKED });
const scripts = connection as unknown as Record<'floorBefore' | 'floorAfter' | 'floorBeforeChecked' | 'floorAfterChecked', (...args: (string | number)[]) => Promise<number>>;
const slotKey = `${cfg.prefix}:floor-pacer`;
// As smsq's pacer spaces calls for SMS_QPS (src/queue/call-pacer.ts).
const spacingMicros = Math.ceil(1e6 / Math.max(cfg.qps * 0.975 - 1, cfg.qps / 2));
const queue = new Queue(cfg.queue, { connection, prefix: cfg.prefix });
const worker = new Worker(
  cfg.queue,
  async (job: Job<FloorJobData>) => {
    const outId = `floor-${job.id}.${job.attemptsStarted}`;
    if (cfg.records === 'plain') await scripts.floorBefore(recordKey(job), countsKey, job.attemptsStarted, Date.now());
    if (cfg.records === 'invariants') {
      const wait = await scripts.floorBeforeChecked(recordKey(job), countsKey, slotKey, job.attemptsStarted, Date.now(), outId, spacingMicros);
      if (wait < 0) return { skipped: true };
      if (wait >= 1000) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait / 1000)));
    }
    const res = await sdk.sendSmsWithOptions(bareSendRequest(cfg, job.data.phone, `floor-${job.id}`), runtime);
    if (res.body?.code !== 'OK') throw new Error(`SendSms answered ${res.body?.code}`);
    if (cfg.records === 'plain') await scripts.floorAfter(recordKey(job), countsKey, res.body.bizId ?? '', Date.now());
    if (cfg.records === 'invariants') await scripts.floorAfterChecked(recordKey(job), countsKey, res.body.bizId ?? '', Date.now(), outId);
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
