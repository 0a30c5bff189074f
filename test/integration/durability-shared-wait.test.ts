/**
 * The WAIT modes' confirmations on one connection, against a real primary and replica: those asked
 * for while a WAIT is out share the next one, instead of each queueing its own behind the others
 * (WAIT blocks the connection it is sent on; docs/benchmarks.md, "Durability modes").
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createDurabilityBarrier } from '../../src/durability/barrier.js';
import { NotDurableError } from '../../src/errors.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startReplicatedRedis } from '../support/replicated-redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function replicated() {
  const pair = await startReplicatedRedis({ appendfsync: 'off' }, (close) => void closers.push(close));
  const redis = new Redis(pair.primary.url, { maxRetriesPerRequest: null });
  closers.push(() => void redis.disconnect());
  return { redis, replica: pair.replicaClient, replicaProcess: pair.replicaProcess };
}

/** How many WAIT commands the server has run (INFO commandstats). */
async function waitsRun(redis: Redis): Promise<number> {
  return Number(/cmdstat_wait:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
}

/** `n` writers on one connection, each writing then confirming, all at once: what each confirm ended with. */
async function confirmAtOnce(redis: Redis, n: number, timeoutMs: number): Promise<PromiseSettledResult<void>[]> {
  const barrier = createDurabilityBarrier(async () => redis, { mode: 'replicas', replicas: 1, timeoutMs });
  return Promise.allSettled(
    Array.from({ length: n }, async (_, i) => {
      const since = await barrier.mark();
      await redis.set(`shared-wait:${i}`, String(i));
      await barrier.confirm(`write ${i}`, since);
    }),
  );
}

describe('WAIT confirmations on one connection', () => {
  it('50 concurrent confirmations are covered by a few WAITs, not one each, and every write is on the replica', async () => {
    const { redis, replica } = await replicated();
    const before = await waitsRun(redis);
    const results = await confirmAtOnce(redis, 50, 2000);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // Confirmed means held by the replica: read there, each write is.
    const onReplica = await replica.mget(Array.from({ length: 50 }, (_, i) => `shared-wait:${i}`));
    expect(onReplica).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    const waits = (await waitsRun(redis)) - before;
    // The first writer's WAIT goes at once; every writer after it shares the one sent when it answers (and so on).
    expect(waits).toBeLessThanOrEqual(3);
    expect(waits).toBeGreaterThanOrEqual(1);
  });

  it('with the replica stopped, each refusal names its own write, and the writers wait two timeouts at most, not one each in turn', async () => {
    const { redis, replicaProcess } = await replicated();
    replicaProcess.kill('SIGSTOP');
    const before = await waitsRun(redis);
    const results = await confirmAtOnce(redis, 10, 300);
    replicaProcess.kill('SIGCONT');
    // Ten WAITs in turn, 300 ms each, were 3 s for the last writer; now two.
    expect((await waitsRun(redis)) - before).toBeLessThanOrEqual(2);
    results.forEach((r, i) => {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(NotDurableError);
      expect((reason as Error).message).toContain(`write ${i}`);
      expect((reason as Error).message).toMatch(/WAIT: 0 of 1 replica\(s\) confirmed within 300 ms/);
    });
  });

  it("a connection lost while its WAIT is out refuses the writer as not durable, not in ioredis's words", async () => {
    const { redis: admin, replicaProcess } = await replicated();
    const primaryUrl = `redis://127.0.0.1:${(admin.options as { port: number }).port}`;
    // A producer's connection: it neither queues commands while it reconnects nor sends them again.
    const redis = createRedisConnection(primaryUrl, { role: 'client' }) as Redis;
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    await waitFor(() => redis.status === 'ready', 'the connection to be ready');
    const barrier = createDurabilityBarrier(async () => redis, { mode: 'replicas', replicas: 1, timeoutMs: 3000 });
    replicaProcess.kill('SIGSTOP');
    const since = await barrier.mark();
    await redis.set('shared-wait:lost', '1');
    const confirming = barrier.confirm('write 0', since);
    confirming.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    // The link drops under the WAIT (a failover, a proxy restarting).
    redis.stream.destroy();
    const reason = await confirming.then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    replicaProcess.kill('SIGCONT');
    expect(reason, reason?.message).toBeInstanceOf(NotDurableError);
    expect(reason?.message).toMatch(/write 0.*the connection to Redis was lost after the writes/);
  });
});
