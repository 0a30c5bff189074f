/**
 * The account block as it is kept in Redis (keys.account(), a hash): what the account guard
 * (workers/account-guard.ts) writes and `smsq status`, `smsq resume`, `GET /v1/sends/:id` and
 * `/metrics` read. Fields: `code`, `message`, `since` (ms), and the worker that hit it: `host`,
 * `pid`, `worker` (its name, when it was given one).
 *
 * The worker is kept because one process with a wrong environment (an AccessKey secret of its
 * own, a wrong endpoint) blocks every worker of the account: the operator has to find that one.
 */
import { hostname } from 'node:os';

/** The process that hit the block. */
export interface BlockingWorker {
  host: string;
  pid: number;
  /** The name the worker was given (SmsWorkerOptions.name), when it has one. */
  name?: string;
}

export interface AccountBlock {
  /** The Dysmsapi code that blocked the account. */
  code: string;
  message: string;
  /** When it was blocked (ms). */
  since: number;
  /** Absent in a block written by an earlier version. */
  worker?: BlockingWorker;
}

/** This process, as a block names it. */
export function thisWorker(name?: string): BlockingWorker {
  return { host: hostname(), pid: process.pid, ...(name ? { name } : {}) };
}

/** The hash fields of a block besides `code` (written once, by the worker that blocked first). */
export function blockFields(message: string, since: number, worker: BlockingWorker): (string | number)[] {
  return ['message', message, 'since', since, 'host', worker.host, 'pid', worker.pid, ...(worker.name ? ['worker', worker.name] : [])];
}

/** The block in the account hash, or undefined when sending is allowed. */
export function parseAccountBlock(hash: Record<string, string> | undefined | null): AccountBlock | undefined {
  if (!hash?.code) return undefined;
  const since = Number(hash.since ?? 0);
  const pid = Number(hash.pid);
  const worker = hash.host && Number.isInteger(pid) && pid > 0 ? { host: hash.host, pid, ...(hash.worker ? { name: hash.worker } : {}) } : undefined;
  return { code: hash.code, message: hash.message ?? '', since: Number.isFinite(since) ? since : 0, ...(worker ? { worker } : {}) };
}

/** `the worker on host web-3, pid 4242 (named "eu-1")`: where to find the process. */
export function workerText(worker: BlockingWorker): string {
  return `the worker on host ${worker.host}, pid ${worker.pid}${worker.name ? ` (named "${worker.name}")` : ''}`;
}
