/**
 * A put-back that gives the job's start back (workers/put-back.ts) does so only while this
 * worker holds the job's lock. It raised `ats` by -1 on the job's hash whatever held it: on a job
 * removed meanwhile (its lock lapsed in a slow close, another worker completed it) that made the
 * hash again holding `ats` alone, and BullMQ's add, which checks that the job's key exists, then
 * skipped a later add under the same id. And every hand-back takes this way: a job that reached a
 * worker closed with Redis down (workers/held-jobs.ts) was moved back with its start still counted.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { putBackUncounted } from '../../workers/put-back.js';
import { createHeldJobs } from '../../workers/held-jobs.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const redis = createTestConnection();
const prefix = uniquePrefix('putback');
afterEach(() => deleteKeys(redis, prefix));

describe('putting a job back with its start given back', () => {
  it('leaves a job removed meanwhile removed: no hash made again, and a later add under its id is added', async () => {
    const queue = new Queue('calls', { connection: redis, prefix });
    const job = await queue.add('send', { n: 1 }, { jobId: 'j1' });
    await job.remove();
    await expect(putBackUncounted(redis, job as Job, 'a-token-no-one-holds')).rejects.toThrow();
    expect(await redis.exists(`${prefix}:calls:j1`)).toBe(0);
    await queue.add('send', { n: 2 }, { jobId: 'j1' });
    expect((await queue.getJob('j1'))?.data).toEqual({ n: 2 });
    await queue.close();
  });

  it('gives the start back while this worker holds the lock, and not under another token', async () => {
    const queue = new Queue('calls', { connection: redis, prefix });
    await queue.add('send', { n: 1 }, { jobId: 'j2' });
    const worker = new Worker('calls', null, { connection: createTestConnection(), prefix });
    const token = 'this-worker';
    const held = (await worker.getNextJob(token)) as Job;
    expect(Number(await redis.hget(`${prefix}:calls:j2`, 'ats'))).toBe(1);
    // Another worker's token: its start stays counted (the put-back itself is refused by BullMQ).
    await expect(putBackUncounted(redis, held, 'another-worker')).rejects.toThrow();
    expect(Number(await redis.hget(`${prefix}:calls:j2`, 'ats'))).toBe(1);
    await expect(putBackUncounted(redis, held, token)).rejects.toThrow(/DelayedError|delayed/i);
    expect(Number(await redis.hget(`${prefix}:calls:j2`, 'ats'))).toBe(0);
    expect(['delayed', 'wait']).toContain(await queue.getJobState('j2'));
    await worker.close();
    await queue.close();
  });

  it('a job that reaches a worker closed with Redis down (held jobs refused) is handed back with its start given back', async () => {
    const queue = new Queue('calls', { connection: redis, prefix });
    await queue.add('send', { n: 1 }, { jobId: 'j3' });
    const worker = new Worker('calls', null, { connection: createTestConnection(), prefix });
    const token = 'closing-worker';
    const held = createHeldJobs(redis);
    held.refuse();
    let processed = false;
    const process = held.wrap(async () => {
      processed = true;
    });
    const job = (await worker.getNextJob(token)) as Job;
    expect(Number(await redis.hget(`${prefix}:calls:j3`, 'ats'))).toBe(1);
    await expect(process(job, token)).rejects.toThrow(/DelayedError|delayed/i);
    expect(processed).toBe(false);
    expect(Number(await redis.hget(`${prefix}:calls:j3`, 'ats'))).toBe(0);
    expect(['delayed', 'wait']).toContain(await queue.getJobState('j3'));
    await worker.close();
    await queue.close();
  });
});
