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

/** How long finished jobs stay visible in Bull Board. Send state itself lives in chunk hashes. */
export const JOB_RETENTION = Object.freeze({
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
});

/** The queue every Dysmsapi call goes through (sends, reconcile and receipt look-ups). */
export function createCallsQueue({ connection, prefix, onError, telemetry }: CallsQueueOptions): Queue {
  return listened(new Queue(CALLS_QUEUE, { connection, prefix, defaultJobOptions: { ...JOB_RETENTION }, ...(telemetry ? { telemetry } : {}) }), onError);
}

/** The queue of work that makes no Dysmsapi call (receipt-window expiry, callbacks). */
export function createHousekeepingQueue({ connection, prefix, onError, telemetry }: CallsQueueOptions): Queue {
  return listened(new Queue(HOUSEKEEPING_QUEUE, { connection, prefix, defaultJobOptions: { ...JOB_RETENTION }, ...(telemetry ? { telemetry } : {}) }), onError);
}

function listened(queue: Queue, onError: ((err: Error) => void) | undefined): Queue {
  if (onError) queue.on('error', onError);
  return queue;
}
