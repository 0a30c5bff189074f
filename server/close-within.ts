/**
 * Closing the server within a grace period. fastify's `close()` waits for every request in flight,
 * and Node gives a request `requestTimeout` (300 s) to arrive: one client trickling its body would
 * hold the process past any orchestrator's kill timeout. When the grace runs out, what is still
 * open is cut, and each request cut is named with what it may have left undone.
 */
import type { IncomingMessage, Server } from 'node:http';
import { redactUrl } from './redact-url.js';
import { finishedWithin } from '../src/finished-within.js';

/** The requests a server has in flight. */
export interface RequestsInFlight {
  /** One line per request in flight: method, path (report token redacted) and where it is. */
  describe(): string[];
}

/** Follows the requests of `server` from their first byte until their answer is sent or their connection closes. */
export function trackRequests(server: Server): RequestsInFlight {
  const open = new Set<IncomingMessage>();
  server.on('request', (req, res) => {
    open.add(req);
    res.once('close', () => open.delete(req));
  });
  return { describe: () => [...open].map(describeRequest) };
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

function describeRequest(req: IncomingMessage): string {
  const what = `${req.method ?? '?'} ${redactUrl(req.url ?? '')}`;
  // A route's handler runs once its body is in: before that, nothing of the request was acted on.
  if (!req.complete) return `${what} (body still arriving: nothing done)`;
  if (READS.has(req.method ?? '')) return `${what} (in its handler: a read)`;
  return `${what} (in its handler: may be partly done${req.headers['idempotency-key'] === undefined ? ', without an Idempotency-Key' : ''})`;
}

/** How a {@link closeWithin} went. */
export interface ServerClose {
  /** Every request in flight was answered within the grace period. */
  inTime: boolean;
  /** The requests cut when the grace ran out (see {@link RequestsInFlight.describe}); empty when in time. */
  cut: string[];
  /** Settles once the server is closed (its onClose hooks run). Awaited already when `inTime`. */
  closed: Promise<void>;
}

/** What {@link closeWithin} closes: a fastify app's `close` and its Node server. */
export interface Closable {
  close(): Promise<void>;
  server: Server;
}

/** See {@link closeWithin}. */
export interface CloseWithinOptions {
  /**
   * Called when the grace runs out, before any connection is cut: work under way is stopped here
   * with the true reason, rather than later as if its client had gone.
   */
  onGraceOver?: () => void;
}

/**
 * Closes `app` (no new connections, requests in flight answered); once `graceMs` has passed, closes
 * every connection still open, in the middle of whatever it carries.
 */
export async function closeWithin(app: Closable, requests: RequestsInFlight, graceMs: number, opts: CloseWithinOptions = {}): Promise<ServerClose> {
  const closed = app.close();
  const inTime = await finishedWithin(closed, graceMs);
  if (inTime) return { inTime, cut: [], closed };
  const cut = requests.describe();
  opts.onGraceOver?.();
  app.server.closeAllConnections();
  return { inTime, cut, closed };
}

/** What {@link callsEndedWithin} closes: a producer. */
export interface ClosableCalls {
  closeWithin(graceMs: number): Promise<boolean>;
}

/**
 * After the cut, the calls the cut requests had under way are let end before Redis is let go: a
 * campaign stopped still has to write its pause and the end of its enqueue, and a send finishes
 * its enqueue. `graceMs` is the producer's own grace (after it, a campaign still reading is
 * stopped); `limitMs` bounds the whole wait, as a Redis that hangs without closing its connection
 * would otherwise hold the exit. Resolves true when the producer closed within `limitMs`.
 */
export async function callsEndedWithin(producer: ClosableCalls, graceMs: number, limitMs: number): Promise<boolean> {
  // A close that failed has ended too: what it left is the repair sweep's.
  return finishedWithin(producer.closeWithin(graceMs).catch(() => undefined), limitMs);
}
