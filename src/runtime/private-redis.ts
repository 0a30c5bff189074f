import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connectTo, type RedisClientCertificate } from '../queue/connection.js';
import { parseRedisUrl } from '../queue/redis-url.js';
import { startOnFreePort } from './free-port.js';
import { redisServerExited, spawnLogged } from './server-log.js';

/** A throw-away redis-server on a free loopback port (tests, benchmarks, the sandbox demo). */
export interface PrivateRedis {
  url: string;
  port: number;
  /** The redis-server process (for callers that must kill it if they die first). */
  process: ChildProcess;
  /** Its temporary data directory, removed by `stop()`. */
  dir: string;
  stop(): Promise<void>;
}

/** True when `binary --version` runs: a server binary (redis-server, valkey-server, redis-sentinel) is installed. */
export function binaryOnPath(binary: string): boolean {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when a Redis answers PING at `url` (any REDIS_URL form) within `timeoutMs` (presenting `clientCertificate`, for a TLS one that asks for it). */
export async function redisAnswers(url: string, timeoutMs = 1000, clientCertificate?: RedisClientCertificate): Promise<boolean> {
  const target = parseRedisUrl(url);
  const client =
    target.kind === 'standalone'
      ? new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, ...(clientCertificate ? { tls: { ...clientCertificate } } : {}) })
      : connectTo(target, { lazyConnect: true, clientCertificate });
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const answered = (async () => {
      await client.connect();
      return (await client.ping()) === 'PONG';
    })().catch(() => false);
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

export interface PrivateRedisOptions {
  /**
   * `always` (default): an append-only file fsynced before every reply, in the temp dir, so smsq's
   * default durability mode (`fsync`) holds on it. `everysec`: the AOF most deployments run.
   * `off`: nothing persisted (only with SMSQ_DURABILITY=none; a primary in the `replicas` mode needs
   * an AOF).
   */
  appendfsync?: 'always' | 'everysec' | 'off';
  /** Port to listen on. Default: a free one, another one when it was taken before Redis bound it. */
  port?: number;
  /** Chooses the free port (without `port`). Default `freePort()`; a test hands it a taken one. */
  choosePort?: () => Promise<number>;
  /**
   * The server binary, from PATH. Default `redis-server`; `valkey-server` (Valkey 8, Debian's
   * bookworm-backports) is the Redis 7.2 protocol with WAITAOF, which Debian's Redis 7.0 lacks.
   */
  server?: string;
  /**
   * `hash-max-listpack-value` (bytes). Default Redis's own (64); the sandbox sets 256, as
   * docs/operations.md advises for smsq, so that the worker has nothing to advise about it.
   */
  hashMaxListpackValue?: number;
  /**
   * Whether Redis rewrites its AOF by itself as the file grows (Redis's default, true). Benches
   * turn it off to measure smsq apart from the rewrites' stalls (docs/benchmarks.md).
   */
  autoAofRewrite?: boolean;
  /** `requirepass`: the default user's password, which `url` then carries. Default: none. */
  requirepass?: string;
  /**
   * `enable-protected-configs yes`: CONFIG SET may change `dir`, as a test does to make Redis's
   * saves fail (MISCONF). Default: Redis's own (no).
   */
  protectedConfigs?: boolean;
}

/**
 * Starts `redis-server` (from PATH, or `opts.server`) on a free port (or on `port`, to bring one back where it was),
 * its data in a temp dir removed by `stop()`. Throws with the fix when the binary is missing.
 */
// Servers started here and still running: stopped when this process exits without stopping them
// (an uncaught error, `process.exit`, a write to a closed pipe), so that none outlives its owner.
const running = new Map<ChildProcess, string>();
let stopsOnExit = false;
function stopOnExit(child: ChildProcess, dir: string): void {
  running.set(child, dir);
  child.once('exit', () => running.delete(child));
  if (stopsOnExit) return;
  stopsOnExit = true;
  process.once('exit', () => {
    for (const [server, serverDir] of running) {
      server.kill('SIGTERM');
      rmSync(serverDir, { recursive: true, force: true });
    }
  });
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  // A port given is where the caller's clients already look (a server brought back): no other will do.
  if (opts.port !== undefined) return startOnPort(opts.port, opts);
  return startOnFreePort((port) => startOnPort(port, opts), opts.choosePort ? { choosePort: opts.choosePort } : {});
}

async function startOnPort(port: number, opts: PrivateRedisOptions): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-redis-'));
  const appendfsync = opts.appendfsync ?? 'always';
  const persistence = appendfsync === 'off' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', appendfsync];
  const server = opts.server ?? 'redis-server';
  // Why it exits while starting (a port taken, a refused setting) is in its output.
  const logFile = join(dir, 'redis.log');
  const child: ChildProcess = spawnLogged(
    server,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--maxmemory-policy', 'noeviction'],
      ...(opts.hashMaxListpackValue === undefined ? [] : ['--hash-max-listpack-value', String(opts.hashMaxListpackValue)]),
      ...(opts.autoAofRewrite === false ? ['--auto-aof-rewrite-percentage', '0'] : []),
      ...(opts.requirepass === undefined ? [] : ['--requirepass', opts.requirepass]),
      ...(opts.protectedConfigs === true ? ['--enable-protected-configs', 'yes'] : []),
    ],
    logFile,
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const url = `redis://${opts.requirepass === undefined ? '' : `:${encodeURIComponent(opts.requirepass)}@`}127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`could not start ${server} (${failed.message}). Fix: install it (apt-get install ${server}) or set REDIS_URL`);
    }
    if (child.exitCode !== null) {
      const exited = redisServerExited(`${server} on port ${port}`, child.exitCode, logFile);
      rmSync(dir, { recursive: true, force: true });
      throw exited;
    }
    if (await redisAnswers(url, 500)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${server} did not answer on port ${port}`);
    }
  }
  stopOnExit(child, dir);
  return {
    url,
    port,
    process: child,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
