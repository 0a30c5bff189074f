import { UnrecoverableError, type Job } from 'bullmq';
import type { z } from 'zod';
import { fieldIssuesFromZod } from '../src/errors.js';

/**
 * A job's data, parsed: jobs outlive deploys and anyone with the Redis can add one, so what does
 * not parse fails the job for good, its reason naming each field (a job's failedReason is what
 * Bull Board and `smsq` show of it), before anything is read or called.
 */
export function parseJobData<T>(schema: z.ZodType<T>, job: Job, what: string): T {
  const parsed = schema.safeParse(job.data);
  if (parsed.success) return parsed.data;
  // The fixes of a request's fields (how to write JSON) are not this job's: the fix is below.
  const issues = fieldIssuesFromZod(parsed.error.issues).map((i) => `${i.field === '(body)' ? '(job data)' : i.field}: ${i.message.replace(/\. Fix: .*$/s, '')}`);
  throw new UnrecoverableError(
    `${what} job ${job.id} has invalid data, so it was not run (no call was made, nothing was changed): ${issues.join('; ')}. ` +
      "Fix: smsq's own producers and workers add these jobs (an older or a foreign program added this one): remove it, and enqueue through the producer API, smsq or the REST API",
  );
}
