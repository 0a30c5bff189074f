import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOnFreePort } from '../../src/runtime/free-port.js';
import { redisAnswers } from '../../src/runtime/private-redis.js';
import { redisServerExited, spawnLogged } from '../../src/runtime/server-log.js';
import { steadyPort } from './steady-port.js';

/**
 * A real redis-server with an append-only file that a test can crash the way a host crash does:
 * SIGKILL, then every AOF cut back to what Redis had fsynced (recorded by the LD_PRELOAD shim in
 * native/fsync-tracker.c), or to an earlier mark, then started again on the same port.
 */
export interface CrashableRedis {
  url: string;
  port: number;
  dir: string;
  /** The AOF's size now, to cut back to later ("the last second of an everysec file"). */
  mark(): AofMark;
  /** Bytes of the AOF written but not yet fsynced: what a crash now would cut. */
  unsyncedBytes(): number;
  /**
   * Stalls the disk: every fsync from now on waits until `releaseFsyncs()` (or a crash), so what
   * Redis writes meanwhile stays unsynced. With appendfsync always Redis answers no write until
   * its fsync returns, so nothing written during the stall is answered.
   */
  holdFsyncs(): void;
  releaseFsyncs(): void;
  /**
   * SIGKILLs Redis and cuts the AOF back: `fsynced` to what Redis had fsynced (a power cut),
   * or to a mark (a host crash losing everything written after it). Does not restart.
   */
  crash(cutTo: 'fsynced' | AofMark): Promise<CrashReport>;
  /** Starts Redis again on the same port and data directory; resolves when it answers. */
  start(): Promise<void>;
  /** SIGKILLs a running Redis without touching its files (a process crash). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface AofMark {
  file: string;
  size: number;
}

export interface CrashReport {
  /** Bytes of the AOF's tail that the crash threw away. */
  bytesLost: number;
}

export interface CrashableRedisOptions {
  appendfsync: 'always' | 'everysec' | 'no';
  /** The server binary: `redis-server` (default) or `valkey-server` (test/support/valkey.ts), for WAITAOF. */
  server?: string;
  /**
   * How long each fsync takes (ms), as on a real disk; default as fast as the test machine's.
   * A crash can cut a tail only while a write waits for its fsync.
   */
  fsyncDelayMs?: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Compiles the fsync shim once per process (cc is on every machine that runs the suite; .ci/run installs it). */
function fsyncTracker(): string {
  const source = join(here, 'native', 'fsync-tracker.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const out = join(tmpdir(), `smsq-fsync-tracker-${hash}-${process.pid}.so`);
  if (!existsSync(out)) execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, source, '-ldl']);
  return out;
}


/** The processes redis-server forked (a BGSAVE or an AOF rewrite), from /proc. */
function savingChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function startCrashableRedis(opts: CrashableRedisOptions): Promise<CrashableRedis> {
  const shim = fsyncTracker();
  const dir = mkdtempSync(join(tmpdir(), 'smsq-crash-redis-'));
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'redis.log');
  const aofDir = join(dir, 'appendonlydir');
  const holdFile = join(dir, 'fsync-hold');
  let child: ChildProcess | undefined;

  const syncedSize = (file: string): number => {
    const synced = `${file}.synced`;
    const size = existsSync(synced) ? Number(readFileSync(synced, 'utf8').trim()) : 0;
    if (!Number.isInteger(size)) throw new Error(`unreadable ${synced}`);
    return size;
  };
  const incrFiles = () => (existsSync(aofDir) ? readdirSync(aofDir).filter((f) => f.endsWith('.incr.aof')).map((f) => join(aofDir, f)) : []);

  async function startOn(port: number): Promise<void> {
    const url = `redis://127.0.0.1:${port}`;
    const proc = spawnLogged(
      opts.server ?? 'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
        '--appendonly', 'yes', '--appendfsync', opts.appendfsync,
        // One incr file for the whole test: a rewrite would start another.
        '--auto-aof-rewrite-percentage', '0', '--aof-load-truncated', 'yes',
        '--maxmemory-policy', 'noeviction',
      ],
      logFile,
      { env: { ...process.env, LD_PRELOAD: shim, SMSQ_FSYNC_DELAY_US: String(Math.round((opts.fsyncDelayMs ?? 0) * 1000)), SMSQ_FSYNC_HOLD_FILE: holdFile } },
    );
    child = proc;
    const deadline = Date.now() + 15_000;
    while (!(await redisAnswers(url, 500))) {
      if (proc.exitCode !== null) throw redisServerExited(`${opts.server ?? 'redis-server'} on port ${port}`, proc.exitCode, logFile);
      if (Date.now() > deadline) throw new Error(`${opts.server ?? 'redis-server'} did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    // A host crash also ends a background save or rewrite in progress: left running, Redis's
    // child would go on writing into the data directory after the "crash".
    const children = savingChildren(proc.pid as number);
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  }

  // A steady port, as it is started again there after each crash.
  const port = await startOnFreePort(async (p) => (await startOn(p), p), { choosePort: steadyPort });
  const url = `redis://127.0.0.1:${port}`;
  const start = () => startOn(port);
  return {
    url,
    port,
    dir,
    start,
    kill,
    mark() {
      const [file] = incrFiles();
      if (!file) throw new Error('no AOF file yet');
      return { file, size: statSync(file).size };
    },
    unsyncedBytes() {
      // A file cut back to a mark may read as behind its last record until Redis fsyncs it again.
      return incrFiles().reduce((sum, file) => sum + Math.max(0, statSync(file).size - syncedSize(file)), 0);
    },
    holdFsyncs() {
      writeFileSync(holdFile, '');
    },
    releaseFsyncs() {
      rmSync(holdFile, { force: true });
    },
    async crash(cutTo) {
      await kill();
      rmSync(holdFile, { force: true });
      let bytesLost = 0;
      for (const file of incrFiles()) {
        const size = statSync(file).size;
        let keep: number;
        if (cutTo === 'fsynced') {
          keep = syncedSize(file);
        } else {
          keep = file === cutTo.file ? cutTo.size : size;
        }
        if (keep < size) {
          truncateSync(file, keep);
          bytesLost += size - keep;
        }
      }
      return { bytesLost };
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
