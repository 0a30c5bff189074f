/**
 * server/close-within.ts: the server's grace, the stop it gives work under way before cutting the
 * connections (so a campaign is held with the server's reason, not as its client gone), and the
 * bounded wait for the producer's calls after the cut. A real Node HTTP server on a port.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callsEndedWithin, closeWithin, trackRequests } from '../../server/close-within.js';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A server whose handler never answers, with one client whose request is in its handler. */
async function serverWithRequestInFlight(): Promise<{ server: Server; client: Socket; served: Socket; requests: ReturnType<typeof trackRequests> }> {
  const server = createServer(() => {});
  servers.push(server);
  const requests = trackRequests(server);
  const arrived = new Promise<Socket>((resolve) => server.once('request', (req) => resolve(req.socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  client.on('error', () => {});
  client.write('POST /v1/campaigns?name=x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nIdempotency-Key: k\r\n\r\n');
  return { server, client, served: await arrived, requests };
}

const closeOf = (server: Server) => () => new Promise<void>((resolve) => server.close(() => resolve()));

describe('closeWithin', () => {
  it('when the grace runs out, calls onGraceOver once while the connections are still open, then cuts them', async () => {
    const { server, client, served, requests } = await serverWithRequestInFlight();
    const closedAt: string[] = [];
    client.on('close', () => closedAt.push('client closed'));
    const stop = await closeWithin({ close: closeOf(server), server }, requests, 50, {
      onGraceOver: () => closedAt.push(served.destroyed ? 'grace over, already cut' : 'grace over, still open'),
    });
    expect(served.destroyed).toBe(true);
    expect(stop.inTime).toBe(false);
    expect(stop.cut).toEqual(['POST /v1/campaigns (in its handler: may be partly done)']);
    await stop.closed;
    await new Promise((resolve) => (client.destroyed ? resolve(undefined) : client.once('close', resolve)));
    expect(closedAt).toEqual(['grace over, still open', 'client closed']);
  });

  it('in time: onGraceOver is not called', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let called = 0;
    const stop = await closeWithin({ close: closeOf(server), server }, trackRequests(server), 1000, { onGraceOver: () => called++ });
    expect(stop).toMatchObject({ inTime: true, cut: [] });
    expect(called).toBe(0);
  });
});

describe('callsEndedWithin', () => {
  it('gives the producer its own grace and answers true once it has closed, however it ended', async () => {
    const asked: number[] = [];
    const closing = (settle: (resolve: () => void, reject: (e: Error) => void) => void) => ({
      closeWithin: (graceMs: number) => {
        asked.push(graceMs);
        return new Promise<boolean>((resolve, reject) => settle(() => resolve(false), reject));
      },
    });
    expect(await callsEndedWithin(closing((resolve) => setTimeout(resolve, 20)), 2000, 3000)).toBe(true);
    expect(await callsEndedWithin(closing((_, reject) => setTimeout(() => reject(new Error('queue close failed')), 20)), 2000, 3000)).toBe(true);
    expect(asked).toEqual([2000, 2000]);
  });

  it('gives up at the limit when the producer does not close (a Redis that hangs)', async () => {
    const from = performance.now();
    expect(await callsEndedWithin({ closeWithin: () => new Promise<boolean>(() => {}) }, 50, 100)).toBe(false);
    const took = performance.now() - from;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1000);
  });
});
