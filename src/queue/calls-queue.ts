import { Queue, type ConnectionOptions, type Telemetry } from 'bullmq';
import { CALLS_QUEUE, HOUSEKEEPING_QUEUE } from './keys.js';

export interface CallsQueueOptions {
  connection: ConnectionOptions;
  /** Key prefix with a hash tag. Default `{smsq}`. */
  prefix: string;
  /** The queue's 'error' listener (see emitter-errors.ts); without one, errors are only the queue's own affair. */
  onError?: (err: Error) => void;
  /** BullMQ telemetry (OpenTelemetry through bullmq-otel, when tracing is on). Default: none. */
  telemetry?: Telemetry;
}

/**
 * How long finished jobs stay visible in Bull Board. Send state itself lives in chunk hashes.
 * Applied by the workers (BullMQ uses a worker's removeOnComplete/removeOnFail for a job that has
 * none of its own), not written into every job's options: 64 bytes less in each job hash, and
 * less JSON for BullMQ to parse per job. A job without it that an older worker finishes is kept
 * until a current worker finishes any job: BullMQ then trims the whole completed set by age and count.
 *
 * Both bounds hold together (BullMQ's KeepJobs: a job finishing removes those older than `age`,
 * then all but the newest `count`). Failed jobs were bounded by age alone: a callback receiver
 * down for a week at 100,000 callbacks a day kept ~700,000 failed jobs (~0.7 GB) under noeviction.
 * The same bounds serve both queues (the housekeeping worker's options are the calls worker's).
 * Nothing in smsq needs a failed job to stay: the repair sweep ends a chunk with no job as one
 * with a failed job (chunk-jobs.ts), only its log line then lacks BullMQ's reason; `smsq status`
 * reads the newest 1,000 ids of the failed set, so a failure with 50,000 newer ones was beyond its
 * reach already.
 */
export const JOB_RETENTION = Object.freeze({
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
});

/** The queue every Dysmsapi call goes through (sends, reconcile and receipt look-ups). */
export function createCallsQueue(options: CallsQueueOptions): Queue {
  return openQueue(CALLS_QUEUE, options);
}

/** The queue of work that makes no Dysmsapi call (receipt-window expiry, callbacks). */
export function createHousekeepingQueue(options: CallsQueueOptions): Queue {
  return openQueue(HOUSEKEEPING_QUEUE, options);
}

/**
 * A queue of this deployment by name, as every smsq process opens one. Opening it writes nothing:
 * not BullMQ's meta hash, which a worker writes once its start has found that Redis keeps the
 * durability mode ({@link writeQueueMeta}), so that a producer, the server, a CLI command or a
 * worker refused for Redis's settings leaves no key in it. The first job added writes the events
 * stream's length itself (BullMQ's getOrSetMaxEvents). Nor does it send a command: BullMQ's
 * version check (an INFO) runs once, and its failure is kept for the queue's life (every call on
 * the queue rejects with it). On a `client` connection that INFO fails when Redis goes away while
 * it is on the wire (or does not answer it within the command timeout): a producer or server
 * opened just before an outage then refused every send after Redis was back, for good. The
 * workers' BullMQ `Worker`s still check the version.
 *
 * Nor does it wait for the connection to be ready (`skipWaitingForReady`): the connection's role
 * says how a command waits (see RedisRole), and BullMQ's own wait has no bound. A queue opened
 * while Redis was down held every call on it until Redis was back (taskforcesh/bullmq#995): the
 * server's dashboard, started against a stopped Redis, answered nothing for as long as Redis
 * stayed down, then made the writes its callers had given up on. A `client` connection now
 * refuses them at once, as it refuses every other command while Redis is down; a `worker`
 * connection keeps them in its offline queue until Redis is back, as BullMQ's wait did.
 */
export function openQueue(name: string, { connection, prefix, onError, telemetry }: CallsQueueOptions): Queue {
  const queue = new Queue(name, { connection, prefix, skipMetasUpdate: true, skipVersionCheck: true, skipWaitingForReady: true, ...(telemetry ? { telemetry } : {}) });
  if (onError) queue.on('error', onError);
  return queue;
}

/**
 * Writes BullMQ's meta hash of `queue` (the library's version, the events stream's length), as
 * BullMQ's Queue does when it opens without `skipMetasUpdate`. A worker's start calls it once
 * Redis is found to keep the durability mode: written as the queue opened, it was left in a
 * Redis the worker then refused.
 */
export async function writeQueueMeta(queue: Queue): Promise<void> {
  await queue.backend.setQueueMeta(queue.metaValues);
}
