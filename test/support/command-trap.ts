import { createServer, type Server, type Socket } from 'node:net';
import { connectUpstream, listenOnLoopback } from './tcp-front.js';

/**
 * A TCP front for one redis-server that lets a test crash Redis at an exact command: once armed,
 * the first client bytes that hold one of `patterns` (a key; for a script, its SHA and the start of
 * its text: ioredis sends EVAL on a connection's first use of a script, EVALSHA after) are not
 * passed on, and
 * `onHit` runs instead (a SIGKILL of Redis, test/support/crashable-redis.ts). The command never
 * reached Redis, as when the host dies between two commands of one request; what came before it
 * was answered, and so fsynced under appendfsync always. Connections made after the hit pass
 * everything through again.
 */
export interface CommandTrap {
  port: number;
  arm(patterns: readonly string[], onHit: () => Promise<void>): void;
  /** Resolves once the armed pattern was seen and `onHit` has finished. */
  sprung(): Promise<void>;
  close(): Promise<void>;
}

export async function startCommandTrap(target: { port: number }): Promise<CommandTrap> {
  const sockets = new Set<Socket>();
  let armed: { patterns: Buffer[]; onHit: () => Promise<void>; done: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  let hit: Promise<void> | undefined;

  const server: Server = createServer((client) => {
    const upstream = connectUpstream(client, target.port, sockets);
    // The pattern may be cut between two chunks: keep the tail of the last one.
    let tail = Buffer.alloc(0);
    let cut = false;
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      const trap = armed;
      if (trap && !hit) {
        const seen = Buffer.concat([tail, chunk]);
        if (trap.patterns.some((p) => seen.includes(p))) {
          cut = true;
          hit = trap.onHit().then(trap.resolve, trap.reject);
          void hit.finally(() => {
            client.destroy();
            upstream.destroy();
          });
          return;
        }
        tail = seen.subarray(Math.max(0, seen.length - Math.max(...trap.patterns.map((p) => p.length))));
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cut) client.write(chunk);
    });
  });
  const port = await listenOnLoopback(server, 'the trap');
  return {
    port,
    arm(patterns, onHit) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => {});
      hit = undefined;
      armed = { patterns: patterns.map((p) => Buffer.from(p, 'utf8')), onHit, done, resolve, reject };
    },
    sprung() {
      if (!armed) throw new Error('the trap is not armed');
      return armed.done;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
