/**
 * Whether the HTTP request of a send call was started, told by Node itself: its
 * `http.client.request.start` diagnostics channel fires for every client request once it is
 * finished (its head and body handed to the socket). A failed send whose request never started
 * *may* still have written part of it (Node 20 publishes at the end of the request, not the first
 * byte), so this is never enough alone to call a send unsent: request-build-fault.ts pairs it with
 * the kind of error, which only request building raises.
 *
 * A send is recognised by its OutId, which the SDK puts in the query string of SendSms and
 * SendBatchSms: an AsyncLocalStorage would tell every call apart, but it slows every promise of
 * the process down on Node 20, and the worker's OutIds are unique per attempt anyway.
 */
import { subscribe } from 'node:diagnostics_channel';
import { escape } from 'node:querystring';

/** A send call being watched: {@link RequestWatch.started} as soon as Node started its request. */
export interface RequestWatch {
  /** True once a request carrying this call's OutId started (or a send request that cannot be told apart did). */
  readonly started: boolean;
  /** Stops watching; call it when the call has settled. */
  end(): void;
}

interface Entry {
  started: boolean;
  holders: number;
}

const SEND_ACTIONS = new Set(['SendSms', 'SendBatchSms']);
/** By the OutId as the SDK writes it in the query string (querystring's escaping). */
const watched = new Map<string, Entry>();
let listening = false;

/** The `OutId` query parameter of a request path, still escaped; undefined when it has none. */
export function outIdInPath(path: string): string | undefined {
  const query = path.indexOf('?');
  if (query < 0) return undefined;
  for (let at = path.indexOf('OutId=', query); at >= 0; at = path.indexOf('OutId=', at + 6)) {
    const before = path.charCodeAt(at - 1);
    if (before !== 0x3f /* ? */ && before !== 0x26 /* & */) continue;
    const end = path.indexOf('&', at + 6);
    return path.slice(at + 6, end < 0 ? undefined : end);
  }
  return undefined;
}

function markAll(): void {
  for (const entry of watched.values()) entry.started = true;
}

function onRequestStart(message: unknown): void {
  if (watched.size === 0) return;
  const request = (message as { request?: { path?: unknown; getHeader?: (name: string) => unknown } } | undefined)?.request;
  const path = request?.path;
  // A request that cannot be read, or a send whose OutId is not where it is looked for: any
  // watched call may be it, and none may then be called unstarted.
  if (typeof path !== 'string') return markAll();
  const outId = outIdInPath(path);
  if (outId === undefined) {
    const action = request?.getHeader?.('x-acs-action');
    if (typeof action === 'string' && SEND_ACTIONS.has(action)) markAll();
    return;
  }
  const entry = watched.get(outId);
  if (entry) entry.started = true;
}

/**
 * Starts watching the send call that carries `outId`. Undefined when the OutId cannot be put in
 * a query string (the call then fails to build, and who started what cannot be told).
 */
export function watchRequest(outId: string): RequestWatch | undefined {
  let key: string;
  try {
    key = escape(outId);
  } catch {
    return undefined;
  }
  if (!listening) {
    subscribe('http.client.request.start', onRequestStart);
    listening = true;
  }
  let entry = watched.get(key);
  if (entry) entry.holders += 1;
  else watched.set(key, (entry = { started: false, holders: 1 }));
  const held = entry;
  let ended = false;
  return {
    get started() {
      return held.started;
    },
    end() {
      if (ended) return;
      ended = true;
      held.holders -= 1;
      if (held.holders === 0 && watched.get(key) === held) watched.delete(key);
    },
  };
}
