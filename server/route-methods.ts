/**
 * What answers a request no route takes: 405 with `Allow` when the path is a route under other
 * methods (`GET /v1/messages`, a script that meant POST), 404 otherwise. fastify answers both with
 * its not-found handler, so the routes are recorded as they are registered and matched here.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { HTTP_ERROR_CODES, HttpError, sendError } from './errors.js';
import { redactUrl } from './redact-url.js';

export interface RouteMethods {
  /** The `onRoute` hook: register it on the root instance before any route. */
  onRoute(route: RouteOptions): void;
  /** The methods the routes matching `path` take, sorted; empty when no route has the path. */
  allowed(path: string): string[];
  /** {@link allowed} for a request's URL (its query left out, decoded as the router decodes it); empty when it does not decode. */
  allowedAt(url: string): string[];
  /** The not-found handler: 405 naming the methods the path takes, or 404. */
  notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply;
}

/** A route pattern (`/v1/sends/:id/pause`, `/admin/queues/*`) as a matcher of concrete paths. */
export function patternOf(url: string): RegExp {
  const body = url
    .split('/')
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${body}$`);
}

export interface RouteMethodsOptions {
  /**
   * Paths whose routes sit behind a login that this handler runs before (the dashboard's): a 405
   * there would tell a stranger which routes exist, so they answer 404 unless the request is
   * `authorized` (the operator logged in, who was told 404 "no route" for a GET of a button's POST).
   */
  login?: { under: readonly string[]; authorized(request: FastifyRequest): boolean };
}

/** The path of a request URL, decoded as fastify decodes it before routing; undefined when it does not decode. */
function pathOf(url: string): string | undefined {
  try {
    return decodeURI(url.split('?')[0] ?? '');
  } catch {
    return undefined;
  }
}

export function createRouteMethods(options: RouteMethodsOptions = {}): RouteMethods {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  const behindLogin = (path: string) => (options.login?.under ?? []).some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const allowed = (path: string): string[] => {
    const methods = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    return [...methods].sort();
  };
  return {
    onRoute(route) {
      routes.push({ pattern: patternOf(route.url), methods: Array.isArray(route.method) ? [...route.method] : [route.method] });
    },
    allowed,
    allowedAt(url) {
      const decoded = pathOf(url);
      return decoded === undefined ? [] : allowed(decoded);
    },
    notFound(request, reply) {
      const path = redactUrl(request.url);
      const decoded = pathOf(request.url);
      const hidden = decoded === undefined || (behindLogin(decoded) && options.login?.authorized(request) !== true);
      const methods = hidden ? [] : allowed(decoded);
      if (methods.length === 0) return sendError(reply, new HttpError(404, HTTP_ERROR_CODES[404], `no route ${request.method} ${path}`));
      // HEAD is GET's twin: named in Allow, not offered as the fix.
      const fix = methods.filter((m) => m !== 'HEAD');
      return sendError(
        reply,
        new HttpError(405, HTTP_ERROR_CODES[405], `${path} does not take ${request.method}. Fix: use ${(fix.length ? fix : methods).join(' or ')}`, undefined, { allow: methods.join(', ') }),
      );
    },
  };
}
