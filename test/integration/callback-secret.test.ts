/**
 * A send's callback while every worker lacks SMSQ_CALLBACK_SECRET, with real `smsq worker`
 * processes, the private Redis, the emulator through the SDK and a real HTTP receiver: the
 * callback waits (its attempts are the receiver's, not spent on a configuration fault), is counted
 * for SmsqCallbacksFailing each time a worker takes it, and a worker started later with the secret
 * delivers it, once, signed.
 */
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { HOUSEKEEPING_QUEUE } from '../../src/queue/keys.js';
import { addCallback } from '../../src/queue/follow-ups.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { startSignedReceiver } from '../support/ingest.js';
import { harnessPerTest } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const children: CliProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

const SECRET = 'the-producers-callback-secret';
/** More takes than the job's 10 attempts: the code before gave the callback up at the 10th. */
const TAKES = 12;

function logLines(p: CliProcess): { level: number; msg: string }[] {
  return p.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

/** A deployment with callbacks on, a signed receiver, the housekeeping queue, and a way to start `smsq worker` processes on it. */
async function setup(label: string) {
  const h = await harnesses.create({ label });
  const receiver = await startSignedReceiver(SECRET);
  harnesses.defer(receiver.close);
  const { createProducer } = await import('../../producers/producer.js');
  const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, callbacks: true });
  harnesses.defer(() => producer.close());
  const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
  harnesses.defer(() => housekeeping.close());
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'info', SMSQ_QUIET_HOURS: 'off' };
  /** Resolves once the worker runs. */
  const worker = async (extra: NodeJS.ProcessEnv) => {
    const p = spawnSmsq(['worker', '--concurrency', '2'], { ...env, ...extra });
    children.push(p);
    await waitFor(() => {
      if (p.child.exitCode !== null) throw new Error(`smsq worker exited: ${p.stderr}`);
      return logLines(p).some((l) => l.msg.startsWith('smsq worker running'));
    }, 'the worker to run', 60_000);
    return p;
  };
  return { h, receiver, producer, housekeeping, worker };
}

describe('a callback while no worker has SMSQ_CALLBACK_SECRET', () => {
  it('waits without spending its attempts, is counted each time it is taken, and is delivered once by a worker started later with the secret', async () => {
    const { h, receiver, producer, housekeeping, worker } = await setup('cb-secret');
    const { got } = receiver;
    const failures = async () => {
      const h2 = await h.redis.hgetall(`${h.prefix}:metrics:housekeeping-failures`);
      return { deferred: Number(h2['callback|deferred'] ?? 0), all: Object.entries(h2).filter(([k]) => k.startsWith('callback|')).reduce((n, [, v]) => n + Number(v), 0) };
    };

    // A rejected signature fails the send at its first call: its callback is due at once.
    const res = await producer.send({ phones: ['13846000001'], signName: N.rejectedSign, templateCode: N.plainTemplate, callbackUrl: receiver.url });
    const without = await worker({});
    await waitFor(async () => (await failures()).all >= 1, 'the worker without the secret to take the callback');
    const job = async () => (await housekeeping.getJob(jobIds.callback(res.sendId)))!;
    for (let take = 2; take <= TAKES; take++) {
      // Each take sets it aside for later; taken again at once here rather than a minute later.
      const state = await waitFor(async () => {
        const s = await (await job()).getState();
        return s === 'active' || s === 'waiting' ? undefined : s;
      }, `take ${take - 1} to end`);
      expect(state, `after take ${take - 1}`).toBe('delayed');
      await (await job()).promote();
      await waitFor(async () => (await failures()).all >= take, `take ${take}`, 20_000);
    }
    await waitFor(async () => ((await (await job()).getState()) === 'active' ? undefined : true), 'the last take to end');
    // Today's fault: the 10th take gave the callback up (failed, its id taken for a week).
    expect(await (await job()).getState()).toBe('delayed');
    expect((await job()).attemptsMade).toBe(0);
    expect(await failures()).toEqual({ deferred: TAKES, all: TAKES });
    expect(logLines(without).filter((l) => l.level === 50 && l.msg.startsWith('SMSQ_CALLBACK_SECRET is not set on this worker')).length).toBe(TAKES);
    expect(got).toEqual([]);
    without.child.kill('SIGTERM');
    expect(await without.exited).toBe(0);

    // The send's end announced again (as a settle that lost its mark would): the waiting job holds
    // the id, so this adds nothing, and that job is the one delivered.
    await addCallback(housekeeping, res.sendId);
    expect((await housekeeping.getJobs(['delayed', 'waiting', 'failed', 'completed'])).length).toBe(1);

    const withSecret = await worker({ SMSQ_CALLBACK_SECRET: SECRET });
    await (await job()).promote();
    await waitFor(() => got.length >= 1, 'the waiting callback to be delivered', 20_000);
    await waitFor(async () => (await (await job()).getState()) === 'completed', 'the callback job to complete');
    expect(got).toEqual([{ ok: true, body: expect.objectContaining({ event: 'send.failed', sendId: res.sendId }) }]);
    withSecret.child.kill('SIGTERM');
    expect(await withSecret.exited).toBe(0);
    expect(got).toHaveLength(1);
  }, 180_000);

  it('a callback an earlier version gave up for want of the secret (failed, its id taken) is sent by a worker started with the secret', async () => {
    const { h, receiver, producer, housekeeping, worker } = await setup('cb-given-up');
    // A cancel is an end state: its callback job is added at once, before any smsq worker runs.
    const res = await producer.send({ phones: ['13846000002'], signName: N.sign, templateCode: N.plainTemplate, callbackUrl: receiver.url });
    await producer.cancel(res.sendId);
    // The end state an earlier version left: every attempt failed with its reason, the job failed.
    const earlier = new Worker(HOUSEKEEPING_QUEUE, () => Promise.reject(new Error('SMSQ_CALLBACK_SECRET is not set on this worker: the callback cannot be signed and is retried with back-off (a worker with the secret delivers it). Fix: ...')), { connection: h.redis, prefix: h.prefix });
    const job = async () => (await housekeeping.getJob(jobIds.callback(res.sendId)))!;
    await waitFor(async () => {
      const state = await (await job()).getState();
      if (state === 'delayed') await (await job()).promote(); // its back-off, skipped
      return state === 'failed';
    }, 'the callback to be given up');
    await earlier.close();
    expect((await job()).attemptsMade).toBe(10);

    const p = await worker({ SMSQ_CALLBACK_SECRET: SECRET });
    // Today's fault: nothing ever sent it, and its failed job kept the id for a week.
    await waitFor(() => receiver.got.length >= 1, 'the given-up callback to be sent', 60_000);
    expect(receiver.got).toEqual([{ ok: true, body: expect.objectContaining({ event: 'send.cancelled', sendId: res.sendId }) }]);
    expect(logLines(p).find((l) => l.msg.startsWith('callbacks an earlier version gave up'))).toMatchObject({ retried: 1 });
    // Its attempts are the receiver's again: the delivery was the first.
    await waitFor(async () => (await (await job()).getState()) === 'completed', 'the callback job to complete');
    expect((await job()).attemptsMade).toBe(1);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 120_000);
});
