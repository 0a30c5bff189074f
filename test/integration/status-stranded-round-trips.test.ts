/**
 * What `status` pays to find a send's stranded chunks (src/repair/chunk-jobs.ts readStrandedChunks):
 * it is asked on every poll (`send --wait`, `status --watch`, REST) of every active send. The jobs
 * of each unsent chunk were read one awaited round trip a chunk (two for one in doubt): 64 for a
 * 64-chunk code. All chunks' candidate jobs are read in one pipeline now. Real Redis; its round
 * trips counted on the way to it (each command sent alone, each pipeline's exec).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { systemClock } from '../../src/clock.js';
import { createChunkStore, chunkIdOf } from '../../src/queue/chunk-store.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { readChunkFields } from '../../src/queue/send-wait-facts.js';
import { readStrandedChunks } from '../../src/repair/chunk-jobs.js';
import { harnessPerTest } from '../support/pipeline.js';

const harnesses = harnessPerTest();
const CHUNKS = 64;
const SINGLE = new Set(['hmget', 'hget', 'exists', 'zrevrangebyscore', 'zrange', 'hgetall', 'get', 'mget', 'eval', 'evalsha']);

/** The connection, with every round trip it makes counted. */
function counted(redis: RedisConnection): { redis: RedisConnection; trips: () => number } {
  let trips = 0;
  const proxy = new Proxy(redis, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'pipeline')
        return (...args: unknown[]) => {
          const p = (value as (...a: unknown[]) => ReturnType<RedisConnection['pipeline']>).apply(target, args);
          const exec = p.exec.bind(p);
          p.exec = (() => {
            trips++;
            return exec();
          }) as typeof p.exec;
          return p;
        };
      if (typeof prop === 'string' && SINGLE.has(prop.toLowerCase())) trips++;
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { redis: proxy, trips: () => trips };
}

describe('status: the stranded chunks of a send are found in a few round trips, whatever its chunks', () => {
  it(`a ${CHUNKS}-chunk code, half its chunks in doubt with no job, half queued with theirs: two round trips, and the ones with no job counted`, async () => {
    const h = await harnesses.create({ label: 'stranded-trips' });
    const keys = createKeys(h.prefix);
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
    const phones = Array.from({ length: CHUNKS }, (_, i) => `1380013${String(i).padStart(4, '0')}`);
    const { sendId } = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    // Half its chunks claimed, their answers lost (unknown at attempt 1), their jobs gone: each is read with its look-ups' ids.
    for (let i = 0; i < CHUNKS; i += 2) {
      const chunkId = chunkIdOf(sendId, String(i));
      await calls.remove(jobIds.send(chunkId, 1));
      const claim = await chunks.claim(chunkId, sendId);
      if (claim.type !== 'send') throw new Error(`expected a send claim, got ${claim.type}`);
      await chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } });
    }
    // Five minutes on, as far as the chunks say.
    for (let i = 0; i < CHUNKS; i++) await h.redis.hset(keys.chunk(chunkIdOf(sendId, String(i))), 'updatedAt', Date.now() - 300_000);
    const walked = await readChunkFields(h.redis, keys, sendId, CHUNKS, ['attempt', 'code', 'updatedAt', 'sentAt', 'priorSentAt', 'flowRetryAt']);
    const send = { sendId, chunks: CHUNKS, createdAt: Date.now() - 300_000 };

    const c = counted(h.redis);
    const stranded = await readStrandedChunks(c.redis, keys, send, Date.now(), walked);
    expect(stranded).toEqual({ missing: { chunks: CHUNKS / 2, recipients: CHUNKS / 2 } });
    // The failed set, then every chunk's jobs in one pipeline (the chunk records read once for status, by its caller).
    expect(c.trips()).toBe(2);
  });
});
