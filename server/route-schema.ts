/**
 * How a route declares its contract, in fastify's own `schema` option: `response` maps each status
 * to `{ description, schema }` with a zod schema (fastify types the handler's replies by it and
 * serializes through it, see zod-replies.ts), and the keys added here describe the rest for the
 * OpenAPI document. The request parts are zod schemas too, but fastify does not validate them:
 * the handlers parse them (`parseOrThrow`), because the error names each field the way callers know
 * it and some rules span parts (a campaign's query string is for file uploads only).
 */
import type { z } from 'zod';
import { ErrorBody } from './response-schemas.js';

/** Credentials a route takes, by their name under `components.securitySchemes`. */
export type SecurityScheme = 'bearerAuth' | 'dashboardAuth' | 'dashboardToken' | 'reportToken';

/** A request body in one media type: a zod schema, or for files the bytes' description. */
export interface BodyContent {
  schema: z.ZodType;
  /** An example in this media type (a CSV file, ...). */
  example?: unknown;
}

/** The request parts a handler parses, documented from the schemas it parses them with. */
export interface RequestSchemas {
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  /** By media type; required when given. */
  body?: Record<string, BodyContent>;
}

/** One answer of a route: what it means, and its body. */
export interface ResponseSchema<S extends z.ZodType = z.ZodType> {
  description: string;
  schema: S;
  /** Default `application/json`. */
  mediaType?: string;
}

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    description?: string;
    /** Any one of these credentials opens the route; none listed: public. */
    security?: readonly SecurityScheme[];
    request?: RequestSchemas;
    /** Left out of the OpenAPI document: a route documented by another entry (the dashboard's own API). */
    hide?: boolean;
  }
}

/** A response declaration. */
export function answer<S extends z.ZodType>(description: string, schema: S, mediaType?: string): ResponseSchema<S> {
  return mediaType === undefined ? { description, schema } : { description, schema, mediaType };
}

/** An error response (the one error shape), with what it means on this route. */
export function failure(description: string): ResponseSchema<typeof ErrorBody> {
  return answer(description, ErrorBody);
}

/** Answers every route may give. */
export const INTERNAL = failure('Internal error (SMSQ_INTERNAL); the message names the request id the server log has the cause under');

/** Answers of every route that reads or writes Redis. */
export const COMMON_FAILURES = {
  500: INTERNAL,
  503: failure('Redis does not answer (SMSQ_REDIS_UNAVAILABLE; `Retry-After: 5`; the message says why and the fix, never where Redis is), a write could not be made durable (SMSQ_NOT_DURABLE: a push is then not acknowledged, and is pushed again), or the server is stopping (SMSQ_NOT_READY; `Connection: close`); nothing was enqueued'),
} as const;

/** Answers of every `/v1` route that reads a send. */
export const API_FAILURES = {
  400: failure('The request is invalid (SMSQ_INVALID_REQUEST); `issues` names each field and the fix'),
  401: failure('No or a wrong bearer token (SMSQ_UNAUTHORIZED); `WWW-Authenticate` names the scheme'),
  404: failure('No such send, or it expired (SMSQ_NOT_FOUND)'),
  ...COMMON_FAILURES,
} as const;
