import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { PortTakenError, startOnFreePort } from '../../src/runtime/free-port.js';
import { steadyPort } from './steady-port.js';

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
  let server: Server | undefined;
  const openOn = async (listenPort: number) => {
    const listening = pipingServer(port, sockets);
    await listenOn(listening, listenPort);
    server = listening;
  };
  // A steady port: opened again after a close, it is still free.
  const listenPort = await startOnFreePort(async (p) => (await openOn(p), p), { choosePort: steadyPort });
  const open = () => openOn(listenPort);
  const close = async () => {
    for (const s of sockets) s.destroy();
    const closing = server;
    server = undefined;
    if (closing) await new Promise((resolve) => closing.close(resolve));
  };
  return { port: listenPort, close, open };
}

/** A server (not yet listening) that pipes each connection to 127.0.0.1:`port` (connectUpstream). */
export function pipingServer(port: number, sockets: Set<Socket>): Server {
  return createServer((client) => {
    const upstream = connectUpstream(client, port, sockets);
    client.pipe(upstream).pipe(client);
  });
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

/** Listens on loopback `port`; rejects with PortTakenError when something else holds it. */
export async function listenOn(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortTakenError(`port ${port} is taken (${err.message})`) : err));
    server.listen(port, '127.0.0.1', () => resolve());
  });
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
