/**
 * Redis refusing writes for a while (OOM at `maxmemory` under `noeviction`; the same for MISCONF
 * and READONLY, which refuse a script at its first write as OOM does) while a worker holds send
 * jobs. Redis refuses the claim, which writes nothing; BullMQ's own scripts may still get through
 * (a script whose first write frees memory is let run on), and the job was failed for good, its
 * chunk given up: recipients `failed` SMSQ_GAVE_UP with no call made, or, when that write was
 * refused too, left `queued` without a job until the repair sweep, minutes later. A refusal is
 * Redis's state, not the job's: the job is put back after a back-off and sent once Redis takes
 * writes again, once. On a private Redis (its maxmemory is set for real) and the emulator.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { RedisWritesRefusedError, type WriteRefusalKind } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { createRedisRefusals } from '../../workers/redis-refusals.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

let redis: PrivateRedis;
let h: Harness;

beforeAll(async () => {
  redis = await startPrivateRedis();
  h = await createHarness({ label: 'write-refusal', redisUrl: redis.url });
});

afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

const phones = Array.from({ length: 12 }, (_, i) => String(13700050000 + i));

describe('Redis refusing writes under a worker', () => {
  it('OOM for 2 s: every code is sent once Redis takes writes again, none given up, none twice', { timeout: 70_000 }, async () => {
    // Slow enough that most jobs wait for their turn to claim while Redis refuses writes.
    const worker = await h.startWorker({ qps: 4 });
    const sends = await Promise.all(phones.map((phone, i) => h.producer.send({ phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: String(100000 + i) }, kind: 'verification' })));
    // Every write Redis would grow on is refused from now on (used_memory is far above 1 byte).
    await h.redis.config('SET', 'maxmemory', '1');
    try {
      // Long enough for the worker to fetch its jobs and be refused their claims.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await h.redis.config('SET', 'maxmemory', '0');
      const counts = async () => (await Promise.all(sends.map((s) => h.producer.getStatus(s.sendId)))).map((st) => st.counts);
      await waitFor(async () => (await counts()).every((c) => c.accepted + c.delivered === 1) || undefined, 'every code accepted once Redis takes writes again', 45_000, 100).catch(async (err: Error) => {
        throw new Error(`${err.message}; the sends' counts: ${JSON.stringify(await counts())}`);
      });
      const statuses = await Promise.all(sends.map((s) => h.producer.getStatus(s.sendId)));
      expect(statuses.map((st) => st.counts.failed)).toEqual(phones.map(() => 0));
      const sent = h.emulator.calls().filter((c) => c.action === 'SendSms' && c.code === 'OK').flatMap((c) => c.phones);
      expect(sent.filter((p) => phones.includes(p)).sort()).toEqual([...phones].sort());
    } finally {
      await h.redis.config('SET', 'maxmemory', '0');
      await worker.close();
    }
  });

  it('a job BullMQ failed for a refusal is moved back from failed after the back-off, and runs again', { timeout: 30_000 }, async () => {
    const connection = createRedisConnection(redis.url);
    const queueName = `refused-${Date.now()}`;
    const queue = new Queue(queueName, { connection });
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const refusals = createRedisRefusals({ redis: connection, clock: systemClock, logger, settings: { firstMs: 300, maxMs: 600 } });
    let runs = 0;
    let failed: { job: Job; err: Error } | undefined;
    const worker = new Worker(
      queueName,
      async () => {
        runs++;
        // The first run fails as a refused write does; the next one finds Redis taking writes.
        if (runs === 1) throw Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), { name: 'ReplyError' });
        return 'done';
      },
      { connection, autorun: true },
    );
    worker.on('failed', (job, err) => {
      if (job) failed = { job, err };
    });
    // BullMQ's own writes refused meanwhile (fetching a job under OOM): said by the worker, not thrown.
    worker.on('error', () => undefined);
    try {
      await queue.add('send', {}, { attempts: 1 });
      await waitFor(() => failed, 'the job failed');
      const { job, err } = failed as { job: Job; err: Error };
      expect(refusals.failedForRefusal(job, err)).toBe(true);
      expect(refusals.failedForRefusal(job, new Error('ERR user_script:1: Script attempted to access a non local key'))).toBe(false);
      // Still refusing writes: the job is moved back after the back-off's first step, not at once, and runs once Redis takes writes.
      await h.redis.config('SET', 'maxmemory', '1');
      refusals.retryFailed(job);
      expect(refusals.waiting()).toBe(1);
      expect(await job.getState()).toBe('failed');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await h.redis.config('SET', 'maxmemory', '0');
      await waitFor(async () => (await job.getState()) === 'completed' || undefined, 'the job moved back and run again', 10_000, 50);
      expect(runs).toBe(2);
      expect(refusals.waiting()).toBe(0);
    } finally {
      await h.redis.config('SET', 'maxmemory', '0');
      refusals.close();
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });

  it.each([
    ['OOM', "OOM command not allowed when used memory > 'maxmemory'."],
    ['MISCONF', "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled."],
    ['READONLY', "READONLY You can't write against a read only replica."],
  ] as const)('the worker\'s line for a refused run (%s) gives the fix SMSQ_REDIS_WRITES_REFUSED gives, its fields as they were', { timeout: 20_000 }, async (kind: WriteRefusalKind, reply: string) => {
    const connection = createRedisConnection(redis.url);
    const queue = new Queue(`refused-line-${kind}-${Date.now()}`, { connection });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const refusals = createRedisRefusals({ redis: connection, clock: systemClock, logger, settings: { firstMs: 100, maxMs: 200 } });
    let runs = 0;
    const worker = new Worker(
      queue.name,
      refusals.wrap(async () => {
        // The first run is refused as Redis refuses a write in that state; the next one goes through.
        if (++runs === 1) throw Object.assign(new Error(reply), { name: 'ReplyError' });
        return 'done';
      }),
      { connection },
    );
    worker.on('error', () => undefined);
    try {
      const job = await queue.add('send', {});
      await waitFor(async () => (await job.getState()) === 'completed' || undefined, 'the job run again', 10_000, 50);
      const said = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.refusal === kind);
      expect(said, lines.join('\n')).toMatchObject({ level: 40, refusal: kind, jobId: job.id, name: 'send', waitMs: expect.any(Number), refusedSinceLastLine: 1, err: reply });
      // The fix an operator reads in the worker's log is the one a refused send or control names (src/errors.ts).
      const fix = new RedisWritesRefusedError('', { kind, shownBy: reply }).message.split('. Fix: ')[1];
      expect(fix).toBeDefined();
      expect(String(said?.msg)).toBe(`Redis refused a job's write (${kind}): nothing of it was written; its jobs are put back and run again in 1 s, none given up. Fix: ${fix}`);
    } finally {
      refusals.close();
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});
