/**
 * The POST of a send's callback, made so that the URL cannot lead the workers to an address they
 * must not reach (src/callback-address.ts): the door checks the URL's host as written, and this
 * checks, as the workers connect, the host as written (a record from an earlier version's door)
 * and every address a name resolves to. Redirects are not followed: the URL that was checked is
 * the only one asked.
 */
import { lookup as dnsLookup } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { UnrecoverableError } from 'bullmq';
import { forbiddenCallbackReason, ipOfHost, isForbiddenCallbackAddress } from '../src/callback-address.js';

/** A callback URL whose host is, or resolves to, an address callbacks may not reach: not retried. */
export class ForbiddenCallbackAddressError extends UnrecoverableError {
  constructor(host: string, address: string) {
    const where = host === address ? 'points at' : `names ${host}, which resolves to`;
    super(`the callback URL ${where} ${forbiddenCallbackReason(address)}: not sent, and not retried. Fix: a callback URL whose host resolves to your receiver`);
    this.name = 'ForbiddenCallbackAddressError';
  }
}

const IDLE_SOCKET_MS = 4000;

export interface CallbackPosterOptions {
  /** Resolves host names; dns.lookup unless given (tests resolve names of their own). */
  lookup?: LookupFunction;
  /** Per-request timeout (ms). Default 10 s. */
  timeoutMs?: number;
}

export interface CallbackAnswer {
  status: number;
  /** The Location of a redirect, which is not followed. */
  location?: string;
}

export interface CallbackPoster {
  post(url: string, headers: Record<string, string>, body: string): Promise<CallbackAnswer>;
  close(): void;
}

/** Wraps a resolver so that a name with any forbidden address fails the connection before it is made. */
export function guardedLookup(resolve: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
      const forbidden = addresses.find(isForbiddenCallbackAddress);
      if (forbidden !== undefined) return callback(new ForbiddenCallbackAddressError(hostname, forbidden), address, family);
      callback(null, address, family);
    });
  };
}

export function createCallbackPoster(options: CallbackPosterOptions): CallbackPoster {
  const lookup = guardedLookup(options.lookup ?? dnsLookup);
  // Agents of their own: a socket pooled by another client was not connected through the guard.
  // An idle socket is let go before a receiver's own keep-alive timeout (Node's is 5 s) can close
  // it under the next callback, which would fail as a reset.
  const agents = { http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }), https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }) };

  function post(url: string, headers: Record<string, string>, body: string): Promise<CallbackAnswer> {
    const target = new URL(url);
    const literal = ipOfHost(target.hostname);
    if (literal !== undefined && isForbiddenCallbackAddress(literal)) return Promise.reject(new ForbiddenCallbackAddressError(literal, literal));
    const secure = target.protocol === 'https:';
    const request: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: secure ? agents.https : agents.http,
      lookup,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    };
    return new Promise((resolve, reject) => {
      const onAnswer = (res: IncomingMessage) => {
        const location = res.headers.location;
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(location !== undefined ? { location } : {}) }));
        res.resume();
      };
      const req = secure ? httpsRequest(target, request, onAnswer) : httpRequest(target, request, onAnswer);
      req.on('error', (err: Error & { cause?: unknown }) => reject(err instanceof ForbiddenCallbackAddressError ? err : err.cause instanceof ForbiddenCallbackAddressError ? err.cause : err));
      req.end(body);
    });
  }

  return {
    post,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
