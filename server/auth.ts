/**
 * Request authentication: a bearer token (`Authorization: Bearer <token>`) for scripts and the
 * REST API, HTTP basic auth for people at the dashboard. Secrets are compared in constant time
 * and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_ERROR_CODES, HttpError, sendError } from './errors.js';

export interface AuthOptions {
  /** Accepted bearer token. */
  token?: string;
  /** Accepted basic-auth login. */
  basic?: { user: string; password: string };
  /** Realm named in the `WWW-Authenticate` challenge. */
  realm: string;
  /**
   * The settings the accepted credentials are read from, named in a refusal's fix (never their
   * values): `token` the token's variable, `basic` the user's and the password's.
   */
  settings: { token?: string; basic?: readonly [user: string, password: string] };
}

/** Where `/v1`'s token is read from (`smsq server`'s settings). */
export const API_CREDENTIALS = { token: 'SMSQ_API_TOKEN' } as const;

/** Where the dashboard's and the campaigns page's login and token are read from. */
export const DASHBOARD_CREDENTIALS = { token: 'SMSQ_DASHBOARD_TOKEN', basic: ['SMSQ_DASHBOARD_USER', 'SMSQ_DASHBOARD_PASSWORD'] } as const;

/** Constant-time comparison of two secrets of any length (their digests are compared). */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer ...` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** The user and password of an `Authorization: Basic ...` header. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Whether the request carries one of the accepted credentials. */
export function isAuthorized(header: string | undefined, opts: Pick<AuthOptions, 'token' | 'basic'>): boolean {
  if (opts.token !== undefined) {
    const token = bearerToken(header);
    if (token !== undefined && safeEqual(token, opts.token)) return true;
  }
  if (opts.basic !== undefined) {
    const given = basicCredentials(header);
    // Both comparisons always run, so timing does not tell which half was wrong.
    if (given !== undefined && safeEqual(given.user, opts.basic.user) && safeEqual(given.password, opts.basic.password)) return true;
  }
  return false;
}

/** An `onRequest` hook that answers 401 (in the API's error shape) unless the request is authorized. */
export function createAuthHook(opts: AuthOptions) {
  const challenges: string[] = [];
  if (opts.basic) challenges.push(`Basic realm="${opts.realm}", charset="UTF-8"`);
  if (opts.token !== undefined) challenges.push(`Bearer realm="${opts.realm}"`);
  const [user, password] = opts.settings.basic ?? ['the user', 'the password'];
  const how = [
    opts.token !== undefined ? `Authorization: Bearer <the token in the server's ${opts.settings.token ?? 'configuration'}>` : '',
    opts.basic ? `log in (HTTP basic auth) as ${user} with ${password}` : '',
  ].filter(Boolean).join(', or ');
  // A wrong credential was told no more than that: which one is expected, by the setting it is
  // in, is what the caller can ask the operator for.
  const fix = `Fix: send ${how} (the operator has it; no other credential of smsq's opens ${opts.realm})`;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (isAuthorized(header, opts)) return;
    const message = header ? `the credentials are not valid for ${opts.realm}. ${fix}` : `authentication required. ${fix}`;
    return sendError(reply, new HttpError(401, HTTP_ERROR_CODES[401], message, undefined, { 'www-authenticate': challenges.join(', ') }));
  };
}
