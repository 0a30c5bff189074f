/**
 * The OpenAPI 3.1 document served at `/openapi.json`, generated from the routes themselves: an
 * `onRoute` hook records every route as it is registered, and the document is built from each
 * route's `schema` (route-schema.ts): the zod schemas its handler parses the request with and the
 * zod schemas its replies are typed and serialized by, converted with `z.toJSONSchema`. Schemas
 * with an `id` become `components.schemas` entries. A route without a summary and responses is an
 * error when the document is built (at start-up), so no route can be left out of it; routes that a
 * library registers under a prefix of its own (Bull Board) are described by one entry instead.
 */
import type { FastifySchema, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { BodyContent, RequestSchemas, ResponseSchema, SecurityScheme } from './route-schema.js';

type JsonSchema = Record<string, unknown>;

export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  components: { securitySchemes: Record<SecurityScheme, JsonSchema>; schemas: Record<string, JsonSchema> };
  paths: Record<string, Record<string, JsonSchema>>;
};

const SECURITY_SCHEMES: Record<SecurityScheme, JsonSchema> = {
  bearerAuth: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <SMSQ_API_TOKEN>`' },
  dashboardAuth: { type: 'http', scheme: 'basic', description: 'SMSQ_DASHBOARD_USER / SMSQ_DASHBOARD_PASSWORD' },
  dashboardToken: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <SMSQ_DASHBOARD_TOKEN>`' },
  reportToken: {
    type: 'apiKey',
    in: 'header',
    name: 'x-smsq-report-token',
    description: 'SMSQ_REPORT_TOKEN (or in the path, `/v1/reports/{token}/...`, where the push URL can carry nothing else)',
  },
};

const INFO = {
  title: 'smsq',
  version: '1',
  description:
    'SMS delivery through Alibaba Cloud Dysmsapi from a BullMQ queue. Every /v1 request needs `Authorization: Bearer <SMSQ_API_TOKEN>`; every error answer has the shape `{"error": {"code", "message", "issues"?}}` (components.schemas.Error). The reference: docs/http-api.md.',
};

/** Methods documented; HEAD routes are fastify's automatic twins of GET routes. */
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface OpenApiCollector {
  /** The `onRoute` hook: register it on the root instance before any route. */
  onRoute(route: RouteOptions): void;
  /**
   * Routes under `prefix` belong to a library and are not described one by one: `entry` describes
   * the path `prefix` itself.
   */
  external(prefix: string, entry: { method: string; schema: FastifySchema }): void;
  /** The document, built once after every route is registered. Throws naming undocumented routes. */
  document(): OpenApiDocument;
}

/** What the document needs of a route, taken when it is registered (fastify reuses the options object). */
interface RecordedRoute {
  methods: string[];
  url: string;
  schema: FastifySchema | undefined;
}

export function createOpenApiCollector(): OpenApiCollector {
  const routes: RecordedRoute[] = [];
  const externals: { prefix: string; entry: RecordedRoute }[] = [];
  let built: OpenApiDocument | undefined;
  return {
    onRoute(route) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => METHODS.has(m));
      if (methods.length > 0) routes.push({ methods, url: route.url, schema: route.schema });
    },
    external(prefix, entry) {
      externals.push({ prefix, entry: { methods: [entry.method], url: prefix, schema: entry.schema } });
    },
    document() {
      const isExternal = (url: string) => externals.some(({ prefix }) => url === prefix || url.startsWith(`${prefix}/`));
      built ??= buildDocument([...routes.filter((r) => !isExternal(r.url)), ...externals.map((e) => e.entry)]);
      return built;
    },
  };
}

function buildDocument(routes: readonly RecordedRoute[]): OpenApiDocument {
  const schemas = new ComponentSchemas();
  const paths: OpenApiDocument['paths'] = {};
  const undocumented: string[] = [];
  for (const route of routes) {
    const { summary, response } = route.schema ?? {};
    if (summary === undefined || response === undefined) {
      undocumented.push(`${route.methods.join(',')} ${route.url}`);
      continue;
    }
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of route.methods) {
      (paths[path] ??= {})[method.toLowerCase()] = operationOf(route.schema ?? {}, schemas);
    }
  }
  if (undocumented.length > 0) {
    throw new Error(`routes without an OpenAPI description (schema.summary and schema.response): ${undocumented.join('; ')}. Fix: declare them (server/route-schema.ts)`);
  }
  return { openapi: '3.1.0', info: INFO, components: { securitySchemes: SECURITY_SCHEMES, schemas: schemas.all() }, paths };
}

function operationOf(schema: FastifySchema, schemas: ComponentSchemas): JsonSchema {
  const request: RequestSchemas = schema.request ?? {};
  const parameters = [
    ...parametersOf(request.params, 'path', schemas),
    ...parametersOf(request.query, 'query', schemas),
    ...parametersOf(request.headers, 'header', schemas),
  ];
  const responses: Record<string, JsonSchema> = {};
  for (const [status, declared] of Object.entries(schema.response as Record<string, ResponseSchema>)) {
    responses[status] = { description: declared.description, content: { [declared.mediaType ?? 'application/json']: { schema: schemas.convert(declared.schema, 'output') } } };
  }
  return {
    summary: schema.summary,
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.security ? { security: schema.security.map((name) => ({ [name]: [] })) } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(request.body ? { requestBody: { required: true, content: bodyContentOf(request.body, schemas) } } : {}),
    responses,
  };
}

function bodyContentOf(body: Record<string, BodyContent>, schemas: ComponentSchemas): JsonSchema {
  return Object.fromEntries(
    Object.entries(body).map(([mediaType, content]) => [mediaType, { schema: schemas.convert(content.schema, 'input'), ...(content.example === undefined ? {} : { example: content.example }) }]),
  );
}

/** One OpenAPI parameter per property of a request part's object schema. */
function parametersOf(part: z.ZodObject | undefined, location: 'path' | 'query' | 'header', schemas: ComponentSchemas): JsonSchema[] {
  if (!part) return [];
  const object = schemas.convert(part, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, { description, ...property }]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(description === undefined ? {} : { description }),
    schema: property,
  }));
}

const DEFS_REF = '"#/$defs/';
const COMPONENTS_REF = '"#/components/schemas/';

/** zod → JSON Schema, with every schema that has an `id` moved to `components.schemas`. */
class ComponentSchemas {
  private readonly byId = new Map<string, { json: string; io: 'input' | 'output' }>();

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
      // zod drops the examples and default of a request schema that transforms (they would
      // describe its output); ours are written as requests, so they stay with the request's form.
      override: ({ zodSchema, jsonSchema }) => {
        const meta = z.globalRegistry.get(zodSchema);
        if (io !== 'input' || meta === undefined) return;
        if (meta.examples !== undefined && jsonSchema.examples === undefined) jsonSchema.examples = meta.examples as JsonSchema[];
        if (meta.default !== undefined && jsonSchema.default === undefined) jsonSchema.default = meta.default as JsonSchema;
      },
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, definition] of Object.entries($defs ?? {})) {
      const json = JSON.stringify(definition).replaceAll(DEFS_REF, COMPONENTS_REF);
      const known = this.byId.get(id);
      // One name, one schema: a schema whose request form (input) and answer form (output)
      // differ needs two names, or the document would describe one of them wrongly.
      if (known && known.json !== json) throw new Error(`components.schemas.${id} differs as ${known.io} and as ${io}. Fix: give the two forms their own ids`);
      this.byId.set(id, { json, io });
    }
    return JSON.parse(JSON.stringify(rest).replaceAll(DEFS_REF, COMPONENTS_REF)) as JsonSchema;
  }

  all(): Record<string, JsonSchema> {
    const sorted = [...this.byId.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(sorted.map(([id, { json }]) => [id, JSON.parse(json) as JsonSchema]));
  }
}
