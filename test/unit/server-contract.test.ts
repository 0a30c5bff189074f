/**
 * The machinery that keeps the HTTP contract honest, on bare fastify instances (no Redis): the
 * document refuses a route that does not describe itself, and one name for two different schemas;
 * a checked answer that does not match its schema becomes a 500 that names the drift.
 */
import { fastify, type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createErrorHandler } from '../../server/errors.js';
import { createOpenApiCollector } from '../../server/openapi.js';
import { SendsQuery } from '../../server/schemas.js';
import { answer, INTERNAL } from '../../server/route-schema.js';
import { createReplySerializer, type ZodReplies } from '../../server/zod-replies.js';

const Item = z.strictObject({ id: z.string() }).meta({ id: 'UnitItem' });

function appWith(checkResponses: boolean): { app: FastifyInstance; collector: ReturnType<typeof createOpenApiCollector> } {
  const app = fastify();
  const collector = createOpenApiCollector();
  app.setErrorHandler(createErrorHandler({ bodyLimit: 1024, csvBodyLimit: 1024 }));
  app.setSerializerCompiler(createReplySerializer({ checkResponses }));
  app.addHook('onRoute', collector.onRoute);
  app.addHook('onReady', async () => void collector.document());
  return { app, collector };
}

describe('the generated OpenAPI document', () => {
  it('refuses to start with a route that has no description, naming it', async () => {
    const { app } = appWith(false);
    app.withTypeProvider<ZodReplies>().get('/described', { schema: { summary: 'Described', response: { 200: answer('An item', Item), 500: INTERNAL } } }, async () => ({ id: 'a' }));
    app.get('/bare', async () => 'x');
    await expect(app.ready()).rejects.toThrow(/routes without an OpenAPI description.*GET \/bare\. Fix: declare them/);
  });

  it('describes a library\'s routes by one entry, and its parameters, body and answers from the zod schemas', async () => {
    const { app, collector } = appWith(false);
    collector.external('/lib', { method: 'GET', schema: { summary: 'The library', response: { 200: answer('Its page', z.string(), 'text/html') } } });
    app.get('/lib/inner/:x', async () => 'x');
    app.withTypeProvider<ZodReplies>().post(
      '/items/:id',
      {
        schema: {
          summary: 'Store an item',
          security: ['bearerAuth'],
          request: { params: z.object({ id: z.string().meta({ description: 'The id' }) }), query: z.object({ dry: z.enum(['true', 'false']).optional() }), body: { 'application/json': { schema: Item } } },
          response: { 201: answer('Stored', Item), 500: INTERNAL },
        },
      },
      async (_request, reply) => reply.code(201).send({ id: 'a' }),
    );
    await app.ready();
    const doc = collector.document();
    expect(Object.keys(doc.paths).sort()).toEqual(['/items/{id}', '/lib']);
    expect(doc.paths['/items/{id}']!.post).toMatchObject({
      summary: 'Store an item',
      security: [{ bearerAuth: [] }],
      parameters: [
        { name: 'id', in: 'path', required: true, description: 'The id', schema: { type: 'string' } },
        { name: 'dry', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/UnitItem' } } } },
      responses: { 201: { description: 'Stored', content: { 'application/json': { schema: { $ref: '#/components/schemas/UnitItem' } } } } },
    });
    expect(doc.components.schemas.UnitItem).toEqual({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false });
    expect(JSON.stringify(doc)).not.toContain('$defs');
    await app.close();
  });

  it('documents a page size read from digits as an integer with its bounds and default', async () => {
    const { app, collector } = appWith(false);
    app.withTypeProvider<ZodReplies>().get('/sends', { schema: { summary: 'Sends', request: { query: SendsQuery }, response: { 200: answer('Sends', z.string()) } } }, async () => 'x');
    await app.ready();
    expect(collector.document().paths['/sends']!.get!.parameters).toContainEqual({
      name: 'limit',
      in: 'query',
      required: false,
      description: 'Sends per page, 1..200 (default 50)',
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    });
    await app.close();
  });

  it('refuses one component name for a request form and an answer form that differ', async () => {
    const { app } = appWith(false);
    const Shifty = z.strictObject({ n: z.coerce.number().default(1) }).meta({ id: 'UnitShifty' });
    app.withTypeProvider<ZodReplies>().post(
      '/shifty',
      { schema: { summary: 'Shifty', request: { body: { 'application/json': { schema: Shifty } } }, response: { 200: answer('Back', Shifty) } } },
      async () => ({ n: 1 }),
    );
    await expect(app.ready()).rejects.toThrow(/components\.schemas\.UnitShifty differs as (input|output) and as (output|input). Fix: give the two forms their own ids/);
  });
});

describe('checked answers', () => {
  const routeReturning = (app: FastifyInstance, body: unknown) =>
    app.withTypeProvider<ZodReplies>().get('/item', { schema: { summary: 'An item', response: { 200: answer('The item', Item), 500: INTERNAL } } }, async () => body as { id: string });

  it('an answer with a field its schema does not declare becomes a 500 naming the route and the field', async () => {
    const { app } = appWith(true);
    routeReturning(app, { id: 'a', extra: 1 });
    const res = await app.inject({ method: 'GET', url: '/item' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toMatchObject({ code: 'SMSQ_INTERNAL', message: expect.stringMatching(/the 200 answer of GET \/item does not match its declared schema: .*extra/s) });
    await app.close();
  });

  it('a matching answer passes; unchecked, the answer goes out as it is', async () => {
    const checked = appWith(true).app;
    routeReturning(checked, { id: 'a' });
    expect((await checked.inject({ method: 'GET', url: '/item' })).json()).toEqual({ id: 'a' });
    const unchecked = appWith(false).app;
    routeReturning(unchecked, { id: 'a', extra: 1 });
    expect((await unchecked.inject({ method: 'GET', url: '/item' })).json()).toEqual({ id: 'a', extra: 1 });
    await Promise.all([checked.close(), unchecked.close()]);
  });
});
