/**
 * Campaign controls over REST, under the same bearer token as ingestion:
 * `POST /v1/sends/:id/pause`, `/resume`, `/cancel` → 200 with the send's status.
 */
import type { FastifyInstance } from 'fastify';
import type { Producer } from '../../producers/producer.js';
import { createAuthHook } from '../auth.js';
import { parseOrThrow, SendIdParams } from '../schemas.js';

export interface ControlsOptions {
  producer: Producer;
  apiToken: string | undefined;
}

export async function controlsPlugin(app: FastifyInstance, options: ControlsOptions): Promise<void> {
  if (options.apiToken !== undefined) app.addHook('onRequest', createAuthHook({ token: options.apiToken, realm: 'smsq API' }));
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post(`/sends/:id/${action}`, async (request) => {
      const { id } = parseOrThrow(SendIdParams, request.params, 'params');
      return options.producer[action](id);
    });
  }
}
