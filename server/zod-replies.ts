/**
 * Routes' replies typed and serialized by the zod schemas they declare (route-schema.ts). The type
 * provider makes TypeScript check every `reply.code(n).send(body)` and every returned body against
 * the schema declared for that status. The serializer writes the schema's output as JSON (times
 * become ISO strings there: response-schemas.ts). When asked to check (the tests do), an answer
 * that does not match fails with 500 and a log line naming the route, the status and the fields.
 * Production sends such an answer as it is instead, because by the time an answer is serialized
 * its work is done (an enqueue is written), and a 500 then would invite a client to retry work
 * that succeeded.
 */
import type { FastifySerializerCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';
import { ResponseContractError } from './response-contract-error.js';
import type { ResponseSchema } from './route-schema.js';

/** fastify type provider: a reply's body is the input type of the zod schema of its status. */
export interface ZodReplies extends FastifyTypeProvider {
  /** Request parts are parsed by the handlers, not by fastify. */
  validator: unknown;
  serializer: this['schema'] extends ResponseSchema<infer S> ? z.input<S> : unknown;
}

const isResponseSchema = (value: unknown): value is ResponseSchema => typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema instanceof z.ZodType;

/** The serializer compiler of every route: JSON, checked against the declared schema when asked. */
export function createReplySerializer(opts: { checkResponses: boolean }): FastifySerializerCompiler<unknown> {
  return ({ schema, method, url, httpStatus }) => {
    if (!isResponseSchema(schema)) return (data) => JSON.stringify(data);
    const declared = schema.schema;
    return (data) => {
      // The schema's output is the wire form (times become ISO strings, see response-schemas.ts).
      const checked = declared.safeParse(data);
      if (checked.success) return JSON.stringify(checked.data);
      if (opts.checkResponses) throw new ResponseContractError(method, url, httpStatus ?? 'default', checked.error);
      return JSON.stringify(data);
    };
  };
}
