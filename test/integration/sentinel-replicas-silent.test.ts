/**
 * The WAIT modes' check asks a sentinel which replicas it would promote (sentinel-replicas.ts).
 * A sentinel that takes the connection and never answers (a frozen process, a half-open link: the
 * kernel completes the handshake for a stopped process) must not hold that check, and with it a
 * producer's first enqueue or a worker's start, for ever: it is given up after the connection's
 * connect timeout and the next sentinel is asked.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { askSentinels } from '../../src/durability/sentinel-replicas.js';
import { finishedWithin } from '../../src/finished-within.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A TCP server that accepts every connection and never writes a byte. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

describe('asking the sentinels which replicas they would promote', () => {
  it('gives up a sentinel that never answers after the connect timeout, and says which', async () => {
    const port = await silentServer();
    // Only its options are read: the sentinels it would ask, the master's name, the timeout.
    const redis = new Redis({ sentinels: [{ host: '127.0.0.1', port }], name: 'mymaster', connectTimeout: 500, lazyConnect: true });
    closers.push(async () => redis.disconnect());
    const asked = askSentinels(redis, true);
    expect(await finishedWithin(asked, 5_000), 'the check ended').toBe(true);
    const facts = (await asked)?.promotion;
    expect(facts && 'unanswered' in facts ? facts.unanswered : facts).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: .*500 ms`));
  });
});
