/** `/openapi.json`: the API's OpenAPI 3.1 document (public: it holds no secret), generated from the routes (see ../openapi.ts). */
import type { FastifyInstance } from 'fastify';
import type { OpenApiCollector } from '../openapi.js';
import { OpenApiDocumentSchema } from '../response-schemas.js';
import { answer, INTERNAL } from '../route-schema.js';
import type { ZodReplies } from '../zod-replies.js';

export interface OpenApiOptions {
  /** Records the routes; its `onRoute` hook is on the root instance. */
  collector: OpenApiCollector;
}

export async function openApiPlugin(parent: FastifyInstance, options: OpenApiOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  // Built when every route is registered: a route without a description stops the start here.
  app.addHook('onReady', async () => {
    options.collector.document();
  });
  const schema = {
    summary: 'This OpenAPI 3.1 document, generated from the routes\' zod schemas',
    response: { 200: answer('The document', OpenApiDocumentSchema), 500: INTERNAL },
  };
  app.get('/openapi.json', { schema }, async () => options.collector.document());
}
