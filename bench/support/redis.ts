/**
 * A private redis-server for one bench: a free loopback port, no persistence, its own temp dir.
 * `stop()` kills it and removes the dir; a process 'exit' hook kills it too if the bench dies first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { onExitKill, onExitRemove } from './children.js';

export interface PrivateRedis {
  url: string;
  port: number;
  pid: number;
  /** A BullMQ-ready connection (`maxRetriesPerRequest: null`); closed by `stop()`. */
  connect(): Redis;
  /** `INFO memory` used_memory in bytes. */
  usedMemory(): Promise<number>;
  /** redis-server CPU seconds so far (`INFO cpu`, user + sys, main thread and children). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info);
  if (!m) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

async function waitForRedis(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {}); // refused until redis-server listens; connect() rejects with it too
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch {
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

/** Starts redis-server on 127.0.0.1 and a free port; needs `redis-server` on PATH. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'smsq-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`could not start redis-server (${err.message}); install it (apt-get install redis-server)`)));
  });
  const unhook = onExitKill(child);
  const unhookDir = onExitRemove(dir);
  const connections: Redis[] = [];
  const stop = async () => {
    for (const c of connections) c.disconnect();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    unhook();
    rmSync(dir, { recursive: true, force: true });
    unhookDir();
  };
  try {
    await spawned;
    await waitForRedis(port, child);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `redis://127.0.0.1:${port}`;
  let admin: Redis | undefined;
  const adminConn = () => {
    if (!admin) {
      admin = new Redis(url, { maxRetriesPerRequest: null });
      connections.push(admin);
    }
    return admin;
  };
  return {
    url,
    port,
    pid: child.pid as number,
    connect() {
      const c = new Redis(url, { maxRetriesPerRequest: null });
      connections.push(c);
      return c;
    },
    async usedMemory() {
      return infoField(await adminConn().info('memory'), 'used_memory');
    },
    async cpuSeconds() {
      const info = await adminConn().info('cpu');
      return infoField(info, 'used_cpu_sys') + infoField(info, 'used_cpu_user');
    },
    stop,
  };
}
