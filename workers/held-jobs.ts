/**
 * The jobs this process is working on, counted so that close() knows whether anything waits for
 * Redis: with Redis down and none held, there is no outcome to record and nothing to wait for. A
 * job that still reaches the processor after such a close (a fetch queued while Redis was down and
 * answered when it came back) is handed back untouched, for another worker, its start given back
 * (put-back.ts): the close is not the job's doing.
 */
import type { Job } from 'bullmq';
import type { RedisConnection } from '../src/queue/connection.js';
import { putBackUncounted } from './put-back.js';

export interface HeldJobs {
  /** Jobs whose processor is running now. */
  count(): number;
  /** From now on every job the processor is given goes back to the queue, unprocessed. */
  refuse(): void;
  /** `process`, counted, or the hand-back once {@link refuse} was called. */
  wrap<R>(process: (job: Job, token?: string) => Promise<R>): (job: Job, token?: string) => Promise<R>;
}

/** `redis`: the connection the workers' jobs are on, which gives a handed-back job's start back. */
export function createHeldJobs(redis: RedisConnection): HeldJobs {
  let held = 0;
  let refusing = false;
  return {
    count: () => held,
    refuse() {
      refusing = true;
    },
    wrap(process) {
      return async (job, token) => {
        // Ready at once for the first worker free; BullMQ had counted this start when it fetched the job.
        if (refusing) return putBackUncounted(redis, job, token);
        held++;
        try {
          return await process(job, token);
        } finally {
          held--;
        }
      };
    },
  };
}
