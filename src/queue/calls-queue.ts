import { Queue, type ConnectionOptions } from 'bullmq';
import { CALLS_QUEUE, HOUSEKEEPING_QUEUE } from './keys.js';

export interface CallsQueueOptions {
  connection: ConnectionOptions;
  /** Key prefix with a hash tag. Default `{smsq}`. */
  prefix: string;
}

/** How long finished jobs stay visible in Bull Board. Send state itself lives in chunk hashes. */
export const JOB_RETENTION = Object.freeze({
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
});

/** The queue every Dysmsapi call goes through (sends, reconcile and receipt look-ups). */
export function createCallsQueue({ connection, prefix }: CallsQueueOptions): Queue {
  return new Queue(CALLS_QUEUE, { connection, prefix, defaultJobOptions: { ...JOB_RETENTION } });
}

/** The queue of work that makes no Dysmsapi call (receipt-window expiry, callbacks). */
export function createHousekeepingQueue({ connection, prefix }: CallsQueueOptions): Queue {
  return new Queue(HOUSEKEEPING_QUEUE, { connection, prefix, defaultJobOptions: { ...JOB_RETENTION } });
}
