/**
 * A Redis that stops answering without closing its connections, produced for real: redis-server
 * SIGSTOPped, as a frozen process, a host gone without a reset or a network partition leave it.
 * The kernel keeps the TCP connection open, so nothing tells the client the link is gone: a
 * producer call (the server's and the CLI's too) must still fail within SMSQ_REDIS_CONNECT_TIMEOUT_MS,
 * as the docs promise, and work again once Redis answers. (A new connection to a frozen Redis was
 * bounded already: the gate's wait for its ready check.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { RedisUnavailableError } from '../../src/errors.js';
import { clientCommandTimeoutMs, createRedisConnection } from '../../src/queue/connection.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducer } from '../../producers/producer.js';
import { startFreezableRedis } from '../support/freezable-redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const frozenLater = () => startFreezableRedis((close) => closers.push(close));

const request = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });

/** How long `p` took to settle, and how: within `limitMs`, or 'pending'. */
async function settleWithin<T>(p: Promise<T>, limitMs: number): Promise<{ ms: number; outcome: { value: T } | { error: unknown } | 'pending' }> {
  const t0 = performance.now();
  const outcome = await Promise.race([
    p.then((value) => ({ value }), (error: unknown) => ({ error })),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), limitMs)),
  ]);
  return { ms: performance.now() - t0, outcome };
}

describe('Redis frozen with its connections open', () => {
  it('a producer call fails within the connect timeout with SMSQ_REDIS_UNAVAILABLE, saying the request may be partly done; once Redis answers, calls work again', async () => {
    const server = await frozenLater();
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 1000 });
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    const producer = createProducer({ redis, prefix: '{frozen}', connectTimeoutMs: 1000 });
    closers.push(() => producer.close());
    const first = await producer.send(request('13800138000'));

    server.freeze();
    // Before: still pending after 10 s (a command on the wire waits for the kernel, ~15 minutes).
    const send = await settleWithin(producer.send(request('13800138001')), 10_000);
    expect(send.outcome).not.toBe('pending');
    expect(send.ms).toBeLessThan(3000);
    const err = (send.outcome as { error: unknown }).error;
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toMatch(/retry it with the same idempotency key/);
    const status = await settleWithin(producer.getStatus(first.sendId), 10_000);
    expect((status.outcome as { error: unknown }).error).toBeInstanceOf(RedisUnavailableError);

    server.thaw();
    // The timed-out command dropped the link (to follow a failover, were there one): it is back at once.
    await waitFor(async () => (await redis.ping().catch(() => '')) === 'PONG', 'the connection to answer again', 5000);
    const again = await producer.send(request('13800138002'));
    expect((await producer.getStatus(again.sendId)).send.state).not.toBe('enqueuing');
  }, 40_000);
});

describe('a client connection and the durability confirmation', () => {
  it('createProducer refuses a WAIT mode whose timeout the connection would cut as an outage, with the fix', async () => {
    const server = await frozenLater();
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 1000 });
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    expect(() => createProducer({ redis, prefix: '{frozen}', durability: { mode: 'replicas', replicas: 1, timeoutMs: 2000 } })).toThrow(
      /durability\.timeoutMs \(2000 ms\) is not a second shorter than the connection's command timeout \(1000 ms\).*Fix: createRedisConnection\(url, \{ role: 'client', commandTimeoutMs: clientCommandTimeoutMs/,
    );
    const longer = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 1000, commandTimeoutMs: clientCommandTimeoutMs(1000, 2000) });
    longer.on('error', () => {});
    closers.push(() => void longer.disconnect());
    expect(() => createProducer({ redis: longer, prefix: '{frozen}', durability: { mode: 'replicas', replicas: 1, timeoutMs: 2000 } })).not.toThrow();
  });
});

describe('a command that timed out on a client connection', () => {
  it('is not sent again after the link drops and comes back (its caller was told it failed)', async () => {
    const { createServer, connect } = await import('node:net');
    const first = await frozenLater();
    const second = await frozenLater();
    // A proxy in front of Redis that can go silent, then lead to another Redis (a failover behind a
    // service address): the timed-out INCR must not run on the second one behind its caller's back.
    let upstream = first.port;
    let silent = false;
    const links: { destroy(): void }[] = [];
    const proxy = createServer((client) => {
      const server = connect(upstream, '127.0.0.1');
      links.push(client, server);
      client.on('data', (d) => void (silent || server.write(d)));
      server.on('data', (d) => void (silent || client.write(d)));
      for (const s of [client, server]) s.on('error', () => {});
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const port = (proxy.address() as { port: number }).port;
    const redis = createRedisConnection(`redis://127.0.0.1:${port}`, { role: 'client', connectTimeoutMs: 1000 });
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    await redis.set('k', '0');

    silent = true;
    await expect(redis.incr('k')).rejects.toThrow(/Command timed out/);
    upstream = second.port;
    silent = false;
    for (const link of links.splice(0)) link.destroy();
    await new Promise((resolve) => redis.once('ready', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const check = createRedisConnection(second.url);
    closers.push(() => void check.disconnect());
    expect(await check.get('k')).toBeNull();
  }, 30_000);
});

describe('a Sentinel primary that freezes (a partition: its connections stay open)', () => {
  it('a producer follows the sentinels to the promoted replica: its connection is dropped after a command times out, not kept for the kernel to give up', async () => {
    const { startSentinelDeployment } = await import('../support/redis-topology.js');
    const deployment = await startSentinelDeployment({ downAfterMs: 1000, failoverTimeoutMs: 3000 });
    closers.push(() => deployment.stop());
    const redis = createRedisConnection(deployment.url, { role: 'client', connectTimeoutMs: 1000 });
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    const producer = createProducer({ redis, prefix: '{frozen-sentinel}', connectTimeoutMs: 1000, durability: { mode: 'none' } });
    closers.push(() => producer.close());
    await producer.send(request('13800138000'));

    const oldPort = await deployment.primaryPort();
    const frozen = oldPort === deployment.primary.port ? deployment.primary : deployment.replica;
    frozen.freeze();
    closers.push(() => frozen.thaw());
    await deployment.waitForPromotion(oldPort, 30_000);
    // Before: every call timed out against the frozen primary until TCP gave up (~15 minutes).
    const deadline = performance.now() + 15_000;
    let sent: { sendId: string } | undefined;
    let last: unknown;
    while (!sent && performance.now() < deadline) {
      sent = await producer.send(request('13800138001')).catch((err: unknown) => void (last = err));
      if (!sent) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(sent, String(last)).toBeDefined();
  }, 90_000);
});

describe('a producer opened while its Redis does not answer (BullMQ opens its queue with INFO, and keeps what became of it)', () => {
  /** A connection made while Redis answered, and the server behind it frozen. */
  async function frozenUnderReadyConnection() {
    const server = await frozenLater();
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 1000 });
    redis.on('error', () => {});
    closers.push(() => void redis.disconnect());
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    server.freeze();
    return { server, redis };
  }

  it('its queue\'s first command timed out: once Redis answers, the producer enqueues', async () => {
    const { server, redis } = await frozenUnderReadyConnection();
    const producer = createProducer({ redis, prefix: '{frozen-open}', connectTimeoutMs: 1000, durability: { mode: 'none' } });
    closers.push(() => producer.close());
    // Past the command timeout (1000 ms): the queue's INFO timed out and the link was dropped.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server.thaw();
    // Before: every send failed for good with "no answer within 1000 ms", the queue's failed
    // opening kept (BullMQ's connection.initializing), though the connection was ready again.
    await waitFor(() => producer.send(request('13800138003')), 'the producer to enqueue once Redis answers');
  }, 30_000);

  it('its link dropped with the queue\'s first command on the wire (Redis restarted): once Redis is back, the producer enqueues', async () => {
    const { server, redis } = await frozenUnderReadyConnection();
    const producer = createProducer({ redis, prefix: '{frozen-open}', connectTimeoutMs: 1000, durability: { mode: 'none' } });
    closers.push(() => producer.close());
    // The queue's INFO goes on the wire within the microtasks after createProducer; well within the 1000 ms timeout.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.kill();
    // Down for two reconnect attempts: ioredis then fails the INFO with MaxRetriesPerRequestError.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const restarted = await startPrivateRedis({ port: server.port, appendfsync: 'always' });
    closers.push(() => restarted.stop());
    // Before: every send failed for good with "the connection was lost" (the INFO's
    // MaxRetriesPerRequestError, kept), as in library-worker.test.ts under load in CI.
    await waitFor(() => producer.send(request('13800138004')), 'the producer to enqueue once Redis is back');
  }, 30_000);
});
