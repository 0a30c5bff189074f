/**
 * node:http plumbing shared by the API and control endpoints: reading bodies with a size cap,
 * keeping track of sockets and answer timers so `close()` can end everything at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface TrackedServer {
  server: Server;
  /** Runs `fn` after `ms` (wall clock) unless the server is closed first. */
  later(ms: number, fn: () => void): void;
  listen(port: number, host: string): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

export function createTrackedServer(onRequest: (req: IncomingMessage, res: ServerResponse) => void): TrackedServer {
  const server = createServer(onRequest);
  // Longer than any client's idle keep-alive, so the server never closes a socket a client is
  // about to reuse (that race shows up as ECONNRESET on the next call).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let listening = false;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    server,
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          listening = true;
          const addr = server.address();
          resolve({ host, port: typeof addr === 'object' && addr ? addr.port : port });
        });
      });
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (!listening) return Promise.resolve();
      listening = false;
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
    },
  };
}

/** Reads a request body; `undefined` (and the request drained) when it exceeds `MAX_BODY_BYTES`. */
export function readBody(req: IncomingMessage, cb: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  let done = false;
  const finish = (body: Buffer | undefined): void => {
    if (done) return;
    done = true;
    cb(body);
  };
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on('end', () => finish(tooLarge ? undefined : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
  req.on('error', () => finish(undefined));
}

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  if (res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}
