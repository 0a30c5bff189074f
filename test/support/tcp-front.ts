import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../src/runtime/private-redis.js';

/**
 * A TCP front for Redis on `port`: it takes every connection and pipes it through (as Docker's port
 * proxy does, even while Redis behind it is gone), and can be closed (its connections dropped, new
 * ones refused) and opened again on the same port.
 */
export interface TcpFront {
  port: number;
  close(): Promise<void>;
  open(): Promise<void>;
}

export async function startTcpFront(port: number): Promise<TcpFront> {
  const sockets = new Set<Socket>();
  const listenPort = await freePort();
  let server: Server | undefined;
  const open = async () => {
    server = createServer((client) => {
      const upstream = connectUpstream(client, port, sockets);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(listenPort, '127.0.0.1', resolve));
  };
  const close = async () => {
    for (const s of sockets) s.destroy();
    const closing = server;
    server = undefined;
    if (closing) await new Promise((resolve) => closing.close(resolve));
  };
  await open();
  return { port: listenPort, close, open };
}

/**
 * A connection to 127.0.0.1:`port` for `client`, both kept in `sockets` while open; either one
 * closing closes the other, as a proxy's two sides do. The caller moves the bytes.
 */
export function connectUpstream(client: Socket, port: number, sockets: Set<Socket>): Socket {
  const upstream = createConnection({ host: '127.0.0.1', port });
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      client.destroy();
      upstream.destroy();
    });
  }
  return upstream;
}

/** Listens on a free loopback port; resolves with it (`what` names the server in the error). */
export async function listenOnLoopback(server: Server, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} has no TCP address`);
  return address.port;
}
