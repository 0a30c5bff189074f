/**
 * The jobs this process is working on, counted so that close() knows whether anything waits for
 * Redis: with Redis down and none held, there is no outcome to record and nothing to wait for. A
 * job that still reaches the processor after such a close (a fetch queued while Redis was down and
 * answered when it came back) is handed back untouched, for another worker.
 */
import { DelayedError, type Job } from 'bullmq';

export interface HeldJobs {
  /** Jobs whose processor is running now. */
  count(): number;
  /** From now on every job the processor is given goes back to the queue, unprocessed. */
  refuse(): void;
  /** `process`, counted, or the hand-back once {@link refuse} was called. */
  wrap<R>(process: (job: Job, token?: string) => Promise<R>): (job: Job, token?: string) => Promise<R>;
}

export function createHeldJobs(): HeldJobs {
  let held = 0;
  let refusing = false;
  return {
    count: () => held,
    refuse() {
      refusing = true;
    },
    wrap(process) {
      return async (job, token) => {
        if (refusing) {
          // Delayed until now, without an attempt counted: the first worker free takes it.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
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
