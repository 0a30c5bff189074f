import { createServer, type Server, type Socket } from 'node:net';
import { connectUpstream, listenOnLoopback } from './tcp-front.js';

/**
 * A TCP front for one Redis that can keep a new connection in its handshake: once the client's
 * bytes hold `holdFrom` (ioredis's ready check is `$4\r\ninfo\r\n`), Redis's replies are held
 * here until `release()`, so the client stays in status `connect` for as long as a test needs,
 * as a Redis slow to answer on a loaded machine leaves it. It also keeps what clients sent, to
 * tell what went on the wire after a point. One client connection at a time.
 */
export interface ReplyHoldingFront {
  port: number;
  /** Resolves once the client sent `holdFrom` (its replies are held from then on). */
  holding(): Promise<void>;
  /** Passes on what was held, and every reply after it. */
  release(): void;
  /** What clients sent from now on (read with `sentSinceMark`). */
  mark(): void;
  sentSinceMark(): string;
  close(): Promise<void>;
}

export async function startReplyHoldingFront(target: { port: number }, holdFrom: string): Promise<ReplyHoldingFront> {
  const sockets = new Set<Socket>();
  const pattern = Buffer.from(holdFrom, 'utf8');
  let held: Buffer[] | undefined;
  let holdsOnce = true;
  let client: Socket | undefined;
  let sent = Buffer.alloc(0);
  let markedAt = 0;
  let sawPattern!: () => void;
  const seen = new Promise<void>((resolve) => (sawPattern = resolve));
  const server: Server = createServer((socket) => {
    client = socket;
    const upstream = connectUpstream(socket, target.port, sockets);
    socket.on('data', (chunk: Buffer) => {
      sent = Buffer.concat([sent, chunk]);
      if (holdsOnce && sent.includes(pattern)) {
        holdsOnce = false;
        held = [];
        sawPattern();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (held) held.push(chunk);
      else socket.write(chunk);
    });
  });
  const port = await listenOnLoopback(server, 'the front');
  return {
    port,
    holding: () => seen,
    release() {
      const replies = held ?? [];
      held = undefined;
      for (const chunk of replies) client?.write(chunk);
    },
    mark() {
      markedAt = sent.length;
    },
    sentSinceMark: () => sent.subarray(markedAt).toString('utf8'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
