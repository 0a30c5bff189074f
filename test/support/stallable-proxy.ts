/**
 * A TCP proxy in front of one redis-server that can make its replicas lag for real.
 *
 * Freezing a replica (SIGSTOP) does not make it lag: the kernel keeps taking the primary's stream
 * into the frozen replica's socket buffer, and once thawed and promoted it may hold every write.
 * Here the bytes the primary sends down a replication link stop in this process instead: `stall()`
 * holds them, and when the primary dies while they are held, they die with it (as bytes still in a
 * crashed host's send buffer do). Connections that are not replication links (clients, sentinels)
 * are never held, so the primary keeps answering and acknowledging writes its replica never gets.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface StallableProxy {
  /** The port to reach the server through. */
  port: number;
  /**
   * Holds what the server sends down replication links, on the links open now and on later ones;
   * given a replica's announced port, only down that replica's link (its `REPLCONF listening-port`).
   */
  stall(replicaPort?: number): void;
  /** Sends on what was held and forwards again. */
  resume(): void;
  /** Closes every replication link and drops what it held: the replica never gets those bytes. */
  cut(): void;
  /**
   * Drops every connection that is not a replication link (sentinels, clients) and refuses new
   * ones until {@link rejoin}: the node is cut off from the sentinels while its own replicas, and
   * its own link to its primary (made from the node, not through this proxy), go on.
   */
  isolate(): void;
  rejoin(): void;
  /** Bytes held now, over all replication links. */
  heldBytes(): number;
  /** Replication links open now. */
  replicationLinks(): number;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket;
  /** Set once the client asked for the replication stream (PSYNC or SYNC). */
  replication: boolean;
  /** The port the replica announced (`REPLCONF listening-port`), once seen. */
  replicaPort?: number;
  held: Buffer[];
}

// A replica asks for the stream with PSYNC (SYNC from old replicas), as a RESP array or inline.
const REPLICATION_REQUEST = /(^|\r\n)(PSYNC|SYNC)(\r\n| )/i;
// What a replica says it listens on before it asks for the stream, as a RESP array or inline.
const LISTENING_PORT = /listening-port(?:\r\n\$\d+\r\n| )(\d+)/i;

export async function startStallableProxy(target: { host?: string; port: number }, listenPort = 0): Promise<StallableProxy> {
  const links = new Set<Link>();
  let stalled = false;
  /** Only this replica's link is held (its announced port); every replication link when undefined. */
  let stalledReplica: number | undefined;

  const drop = (link: Link) => {
    link.held = [];
    link.client.destroy();
    link.upstream.destroy();
    links.delete(link);
  };

  let isolated = false;

  const server: Server = createServer((client) => {
    if (isolated) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.host ?? '127.0.0.1', port: target.port });
    const link: Link = { client, upstream, replication: false, held: [] };
    links.add(link);
    // The first bytes of a request may end mid-command: look at what came so far, not one chunk.
    let request = '';
    client.on('data', (chunk: Buffer) => {
      if (!link.replication && request.length < 4096) {
        request += chunk.toString('latin1');
        link.replication = REPLICATION_REQUEST.test(request);
        const announced = LISTENING_PORT.exec(request)?.[1];
        if (announced !== undefined) link.replicaPort = Number(announced);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (stalled && link.replication && (stalledReplica === undefined || link.replicaPort === stalledReplica)) link.held.push(chunk);
      else client.write(chunk);
    });
    // A server that dies while bytes are held takes them with it; otherwise its last bytes are
    // delivered before the close, as the kernel would.
    upstream.on('close', () => {
      if (link.held.length > 0) drop(link);
      else client.end();
      links.delete(link);
    });
    client.on('close', () => {
      upstream.destroy();
      links.delete(link);
    });
    client.on('error', () => {});
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');

  const replicationLinks = () => [...links].filter((l) => l.replication);
  return {
    port: address.port,
    stall(replicaPort) {
      stalled = true;
      stalledReplica = replicaPort;
    },
    resume() {
      stalled = false;
      for (const link of replicationLinks()) {
        for (const chunk of link.held) link.client.write(chunk);
        link.held = [];
      }
    },
    cut() {
      for (const link of replicationLinks()) drop(link);
    },
    isolate() {
      isolated = true;
      for (const link of links) if (!link.replication) drop(link);
    },
    rejoin() {
      isolated = false;
    },
    heldBytes: () => replicationLinks().reduce((sum, l) => sum + l.held.reduce((s, c) => s + c.length, 0), 0),
    replicationLinks: () => replicationLinks().length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const link of links) drop(link);
        server.close(() => resolve());
      }),
  };
}
