/**
 * Dropping a connection made by createRedisConnection while Redis is down: `disconnect()` ends it.
 * In ioredis 5.11 a disconnect() while the client waits to reconnect cancels the next attempt and
 * nothing else (redis/ioredis#2169): the status stays `reconnecting`, no `end` event comes, and
 * what waits in its queues, or is sent later, waits for ever. Real private redis-servers,
 * SIGKILLed; for a command on the wire, a TCP front that takes connections while Redis is gone
 * (as Docker's port proxy does).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import type { DroppableRedis } from '../../src/queue/droppable-redis.js';
import { freePort } from '../../src/runtime/free-port.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { waitFor } from '../support/wait.js';
import { startTcpFront } from '../support/tcp-front.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function privateRedis(): Promise<PrivateRedis> {
  const redis = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => redis.stop());
  return redis;
}

function connect(url: string, role: 'worker' | 'client'): RedisConnection {
  const redis = createRedisConnection(url, { role });
  redis.on('error', () => {});
  closers.push(() => redis.disconnect());
  return redis;
}

/** How a promise settled within `ms`: 'pending' when it had not. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<string> {
  const outcome = p.then(
    () => 'resolved',
    (err: unknown) => `rejected: ${(err as Error).message}`,
  );
  return Promise.race([outcome, new Promise<string>((r) => setTimeout(() => r('pending'), ms))]);
}

describe('disconnect() on a connection waiting for a Redis that is down', () => {
  it('a worker connection: what waits in its queue fails with "Connection is closed.", so does what comes later; status end', async () => {
    const server = await privateRedis();
    const redis = connect(server.url, 'worker');
    await redis.ping();
    server.process.kill('SIGKILL');
    await waitFor(() => redis.status === 'reconnecting', 'the connection to wait to reconnect');
    // Sent while Redis is down: a worker connection keeps it to run once Redis is back.
    const queued = redis.set('k', 'v');
    queued.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(await settledWithin(queued, 0)).toBe('pending');

    const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    redis.disconnect();
    expect(await settledWithin(queued, 2000)).toBe('rejected: Connection is closed.');
    expect(await settledWithin(ended, 1000)).toBe('resolved');
    expect(redis.status).toBe('end');
    expect(await settledWithin(redis.get('k'), 1000)).toBe('rejected: Connection is closed.');
  });

  it("its duplicates (BullMQ's blocking connection is one) end the same way", async () => {
    const server = await privateRedis();
    const redis = connect(server.url, 'worker');
    const blocking = redis.duplicate();
    blocking.on('error', () => {});
    closers.push(() => blocking.disconnect());
    await blocking.ping();
    server.process.kill('SIGKILL');
    await waitFor(() => blocking.status === 'reconnecting', 'the duplicate to wait to reconnect');
    const waiting = blocking.bzpopmin('q', 5);
    waiting.catch(() => {});
    const ended = new Promise<void>((resolve) => blocking.once('end', () => resolve()));
    blocking.disconnect();
    expect(await settledWithin(ended, 2000)).toBe('resolved');
    expect(await settledWithin(waiting, 1000)).toBe('rejected: Connection is closed.');
  });

  it('a client connection: a command that was on the wire when the link dropped fails too (a front that takes connections while Redis is gone)', async () => {
    const server = await privateRedis();
    const front = await startTcpFront(server.port);
    closers.push(() => front.close());
    const redis = connect(`redis://127.0.0.1:${front.port}`, 'client');
    await waitFor(() => redis.status === 'ready', 'the connection to be ready');
    // On the wire (a pop that waits up to 5 s) when Redis dies under it.
    const onTheWire = redis.blpop('nothing', 5);
    onTheWire.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    server.process.kill('SIGKILL');
    // Each reconnect reaches the front and is closed: the command waits for a ready connection.
    await waitFor(() => redis.status === 'reconnecting', 'the connection to wait to reconnect');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await settledWithin(onTheWire, 0)).toBe('pending');
    await waitFor(() => redis.status === 'reconnecting', 'the connection to wait to reconnect again');
    redis.disconnect();
    expect(await settledWithin(onTheWire, 2000)).toBe('rejected: Connection is closed.');
    expect(redis.status).toBe('end');
  });

  it('a Cluster connection: what waits in its queue fails with "Connection is closed."; status end (it stayed disconnecting, the command pending)', async () => {
    // A one-node Cluster holding every slot (enough for the client's reconnect loop), SIGKILLed.
    const port = await freePort();
    // Its bus port named: port + 10000, Redis's default, is over 65535 for a free port above 55535
    // (Linux hands out ports up to 60999), and the node then exits at once.
    const busPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'smsq-cluster-drop-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const node = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-port', String(busPort), '--cluster-announce-ip', '127.0.0.1'], { stdio: 'ignore' });
    closers.push(() => void node.kill('SIGKILL'));
    const admin = new Redis(port, { maxRetriesPerRequest: null });
    admin.on('error', () => {});
    closers.push(() => admin.disconnect());
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor(async () => /cluster_state:ok/.test((await admin.call('CLUSTER', 'INFO')) as string), 'the Cluster to serve its slots');
    const cluster = connect(`redis+cluster://127.0.0.1:${port}`, 'worker');
    expect(await cluster.set('{smsq}:k', 'v')).toBe('OK');
    node.kill('SIGKILL');
    await waitFor(() => cluster.status === 'reconnecting', 'the Cluster to wait to reconnect');
    // Sent while the Cluster is down: a worker connection keeps it to run once the Cluster is back.
    const queued = cluster.get('{smsq}:k');
    queued.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(await settledWithin(queued, 0)).toBe('pending');

    const ended = new Promise<void>((resolve) => cluster.once('end', () => resolve()));
    cluster.disconnect();
    expect(await settledWithin(queued, 2000)).toBe('rejected: Connection is closed.');
    expect(await settledWithin(ended, 1000)).toBe('resolved');
    expect(cluster.status).toBe('end');
    // BullMQ's blocking connection is a duplicate: it is made the same way, and ends the same way.
    const duplicate = cluster.duplicate();
    duplicate.on('error', () => {});
    await waitFor(() => duplicate.status === 'reconnecting', 'the duplicate to wait to reconnect');
    duplicate.disconnect();
    expect(duplicate.status).toBe('end');
  });
});

describe('dropLink(): the link dropped and made again, what was on the wire failed and not sent again', () => {
  it('a worker connection (which resends what was on the wire after a loss): a BLPOP on the wire fails with "Connection is closed." and takes nothing pushed after', async () => {
    const server = await privateRedis();
    const redis = connect(server.url, 'worker') as DroppableRedis;
    await redis.ping();
    const onWire = redis.blpop('dropped-list', 5);
    onWire.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    redis.dropLink();
    expect(await settledWithin(onWire, 1000)).toBe('rejected: Connection is closed.');
    await waitFor(() => redis.status === 'ready', 'the connection made again');
    const admin = new Redis(server.url);
    closers.push(() => admin.disconnect());
    await admin.lpush('dropped-list', 'x');
    // A BLPOP sent again on the new link would have taken it.
    await new Promise((r) => setTimeout(r, 300));
    expect(await admin.lrange('dropped-list', 0, -1)).toEqual(['x']);
  });
});
