import { createServer, type Server, type Socket } from 'node:net';
import { connectUpstream, listenOnLoopback } from './tcp-front.js';

/**
 * A TCP front for one Redis that loses a reply as a network loses it when the server's host dies
 * or a link resets: the request goes through and Redis runs it (and replicates it), but its reply
 * never reaches the client. `loseReplyTo(marker)` picks the next client connection whose request
 * holds `marker`; from then on nothing Redis sends down that connection reaches the client, and
 * the connection is reset when Redis's side closes (a killed process) or on `reset()`.
 * Replication links (a replica reaching its master at the address it announces) pass untouched.
 */
export interface ReplyLosingFront {
  port: number;
  /** Resolves once Redis answered the first request holding one of `markers` (the answer dropped here). */
  loseReplyTo(...markers: string[]): Promise<void>;
  /** Resets the connections whose replies are being lost (the client sees its link close). */
  reset(): void;
  close(): Promise<void>;
}

export async function startReplyLosingFront(target: { port: number }): Promise<ReplyLosingFront> {
  const sockets = new Set<Socket>();
  const losing = new Set<Socket>();
  let armed: { markers: string[]; answered: () => void } | undefined;
  const server: Server = createServer((client) => {
    const upstream = connectUpstream(client, target.port, sockets);
    // The marker may straddle two chunks: look at the end of the last one too.
    let tail = '';
    let answered: (() => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      if (armed && !losing.has(client)) {
        const text = tail + chunk.toString('latin1');
        // Markers as the bytes go on the wire (UTF-8), read as latin1 like the chunks.
        if (armed.markers.some((m) => text.includes(Buffer.from(m, 'utf8').toString('latin1')))) {
          losing.add(client);
          answered = armed.answered;
          armed = undefined;
        }
        tail = text.slice(-256);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!losing.has(client)) {
        client.write(chunk);
        return;
      }
      answered?.();
      answered = undefined;
    });
    // A reply lost is never followed by an orderly close: the link resets.
    upstream.on('close', () => {
      if (losing.has(client)) client.resetAndDestroy();
    });
    client.on('close', () => losing.delete(client));
  });
  const port = await listenOnLoopback(server, 'the front');
  return {
    port,
    loseReplyTo: (...markers) => new Promise<void>((resolve) => (armed = { markers, answered: resolve })),
    reset() {
      for (const client of losing) client.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
