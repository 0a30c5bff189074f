/** `/openapi.json`: the API's OpenAPI 3.1 document (public: it holds no secret). */
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi.js';

export async function openApiPlugin(app: FastifyInstance): Promise<void> {
  const body = JSON.stringify(openApiDocument());
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
