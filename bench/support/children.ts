/**
 * Child processes for benches: TypeScript entry points run with `node --import tsx`, configured by
 * one JSON argv, talking over an IPC channel (ready, then request/reply). A child exits when the
 * channel closes, so it never outlives the bench; the bench also kills every child it started on
 * exit, on SIGINT/SIGTERM and in each bench's `finally`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (children run with it as cwd so `--import tsx` resolves). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping ${live.size} child process(es)`);
      process.exit(130);
    });
  }
}

/** Removes `dir` (a temp dir) if this process exits before `unhook` is called. */
export function onExitRemove(dir: string): () => void {
  hookExit();
  dirs.add(dir);
  return () => dirs.delete(dir);
}

/** Kills `child` with SIGKILL if this process exits first. Returns the unhook. */
export function onExitKill(child: ChildProcess): () => void {
  hookExit();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return () => live.delete(child);
}

interface Reply {
  type: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}

export interface BenchChild<Ready = unknown> {
  readonly process: ChildProcess;
  readonly pid: number;
  /** What the child sent with its `ready`. */
  readonly ready: Ready;
  /** Calls a handler the child registered with {@link serveChild}. */
  request<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks it to exit (IPC disconnect, then SIGTERM, then SIGKILL) and waits. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `script` (path from the repository root, or absolute) with `config` as its JSON argv and
 * waits for its `ready` message. TypeScript runs under tsx; `compiled: true` runs JavaScript with
 * plain node (no loader in the process).
 */
/** An environment where a variable given as '' is left out, not set empty (glibc reads MALLOC_ARENA_MAX= as 0, its default). */
function withoutUnset(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}

export async function spawnChild<Ready = unknown>(
  script: string,
  config: unknown,
  o: { readyTimeoutMs?: number; compiled?: boolean; /** Added to this process's environment; '' leaves a variable out. */ env?: Record<string, string> } = {},
): Promise<BenchChild<Ready>> {
  // BENCH_CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the children.
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const loader = o.compiled ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...extra, ...loader, script, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    env: o.env ? withoutUnset({ ...process.env, ...o.env }) : process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  onExitKill(child);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited (${signal ?? code}) before answering`));
    pending.clear();
  });
  child.on('message', (m: unknown) => {
    const r = m as Reply;
    if (r?.type !== 'reply') return;
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.error !== undefined) p.reject(new Error(`${script}: ${r.error}`));
    else p.resolve(r.value);
  });
  const ready = await new Promise<Ready>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} was not ready within ${o.readyTimeoutMs ?? 30_000} ms`));
    }, o.readyTimeoutMs ?? 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before it was ready`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const onMessage = (m: unknown) => {
      const msg = m as { type?: string; value?: Ready };
      if (msg?.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolveReady(msg.value as Ready);
    };
    child.on('message', onMessage);
  });
  return {
    process: child,
    pid: child.pid as number,
    ready,
    request<T>(cmd: string, args?: unknown, timeoutMs = 120_000) {
      return new Promise<T>((resolveReq, reject) => {
        if (!child.connected) return reject(new Error(`${script} is not running`));
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: "${cmd}" got no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolveReq(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ type: 'request', id, cmd, args });
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs * 2);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    },
  };
}

/** Stops every child given, in parallel; never throws. */
export async function stopAll(children: Iterable<BenchChild | undefined>): Promise<void> {
  await Promise.all([...children].map((c) => c?.stop().catch(() => c.process.kill('SIGKILL'))));
}

// ---- the child's side ----

export type Handlers = Record<string, (args: unknown) => unknown>;

/** The JSON config a child was started with. */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('missing JSON config argument');
  return JSON.parse(raw) as T;
}

/**
 * Serves requests from the parent, then announces `ready` with `value`. `onClose` runs when the
 * parent disconnects (or dies); the process then exits.
 */
export function serveChild(handlers: Handlers, value: unknown, onClose: () => Promise<void> | void = () => {}): void {
  if (!process.send) throw new Error('a bench child needs an IPC channel (spawn it with spawnChild)');
  const send = process.send.bind(process);
  process.on('message', (m: unknown) => {
    const req = m as { type?: string; id: number; cmd: string; args: unknown };
    if (req?.type !== 'request') return;
    const handler = handlers[req.cmd];
    if (!handler) {
      send({ type: 'reply', id: req.id, error: `unknown command ${req.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req.args))
      .then(
        (v) => send({ type: 'reply', id: req.id, value: v }),
        (e: unknown) => send({ type: 'reply', id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    const hard = setTimeout(() => process.exit(0), 4000);
    hard.unref();
    void Promise.resolve()
      .then(onClose)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.once('disconnect', close);
  process.once('SIGTERM', close);
  send({ type: 'ready', value });
}

/** CPU seconds of this process so far (user + system). */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * {@link serveChild} for a child whose work begins with its first `start` request (later ones
 * wait for that start and do nothing else); it also answers `cpu` with its CPU seconds so far.
 */
export function serveStartable(start: () => Promise<void>, value: unknown, onClose: () => Promise<void> | void, more: Handlers = {}): void {
  let started: Promise<void> | undefined;
  serveChild(
    {
      ...more,
      async start() {
        await (started ??= start());
        return true;
      },
      cpu: () => cpuSeconds(),
    },
    value,
    onClose,
  );
}
