/**
 * Campaign controls over REST, under the same bearer token as ingestion:
 * `POST /v1/sends/:id/pause`, `/resume`, `/cancel` → 200 with the send's status.
 */
import type { FastifyInstance } from 'fastify';
import type { Producer } from '../../producers/producer.js';
import { API_CREDENTIALS, createAuthHook } from '../auth.js';
import { refuseContentEncoding } from '../content-encoding.js';
import { SendStatusSchema } from '../response-schemas.js';
import { answer, API_FAILURES, failure } from '../route-schema.js';
import { ValidationError } from '../../src/errors.js';
import { parsePathOrThrow, refuseQuery, SendIdParams } from '../schemas.js';
import type { ZodReplies } from '../zod-replies.js';

export interface ControlsOptions {
  producer: Producer;
  apiToken: string | undefined;
}

const SUMMARIES = {
  pause: 'Pause a send: no new chunk of it starts (within a second); other traffic flows. A send with nothing left to send (sent or completed) is refused (409, SMSQ_SEND_ALREADY_SENT)',
  resume: 'Resume a paused send where it stopped; nobody is sent twice. A cancelled send cannot be resumed (409, SMSQ_SEND_ENDED)',
  cancel: 'Cancel a send: its queued recipients become cancelled; chunks in flight finish. A send with nothing left to send (sent or completed) is refused (409, SMSQ_SEND_ALREADY_SENT)',
} as const;

/** The 409 of a control that cannot happen: the same refusal on the campaigns page's buttons (campaigns.ts). */
export const CONFLICTS = {
  resume: 'The send was cancelled (SMSQ_SEND_ENDED): it cannot be resumed; nothing was changed',
  cancel: 'Every recipient of the send was already sent (SMSQ_SEND_ALREADY_SENT): it is sent, its receipts being collected, or completed, so a cancel would stop nothing; nothing was changed',
  pause: 'Every recipient of the send was already sent (SMSQ_SEND_ALREADY_SENT): it is sent, its receipts being collected, or completed, so a pause would stop nothing; nothing was changed',
} as const;

/**
 * A control takes nothing but its path: fields in a body or a query string would be ignored, as if
 * honoured. Both doors of the controls judge it here: the campaigns page's buttons paused a send
 * given `{"x":1}` or `?x=1` that /v1 refused.
 */
export function refuseAllButThePath(action: keyof typeof CONFLICTS, request: { query: unknown; body: unknown }): void {
  refuseQuery(request.query, `is not taken: ${action} acts on the send in the path alone. Fix: drop the query string`);
  const body = request.body;
  const none = body === undefined || body === null || body === '' || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
  if (!none) {
    throw new ValidationError([{ field: '(body)', message: `is not taken: ${action} acts on the send in the path alone. Fix: send no body (or {})` }]);
  }
}

export async function controlsPlugin(parent: FastifyInstance, options: ControlsOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  if (options.apiToken !== undefined) app.addHook('onRequest', createAuthHook({ token: options.apiToken, realm: 'smsq API', settings: API_CREDENTIALS }));
  app.addHook('preParsing', refuseContentEncoding);
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    const schema = {
      summary: SUMMARIES[action],
      security: ['bearerAuth'] as const,
      request: { params: SendIdParams },
      response: {
        200: answer('The send after the change', SendStatusSchema),
        ...API_FAILURES,
        503: failure(
          `Not confirmed durable (SMSQ_NOT_DURABLE: the replicas did not confirm it in time; SMSQ_REDIS_NOT_DURABLE: Redis does not keep SMSQ_DURABILITY): the ${action} is applied, but a failover or a host crash may lose it, so give it again (given again it changes nothing). Or Redis does not answer (SMSQ_REDIS_UNAVAILABLE; \`Retry-After: 5\`), or the server is stopping (SMSQ_NOT_READY)`,
        ),
        415: failure('A body of a type other than application/json (an empty one passes under any type), a JSON body in a charset other than UTF-8, or a body with a Content-Encoding other than identity (SMSQ_UNSUPPORTED_MEDIA_TYPE; `Accept-Encoding: identity`)'),
        409: failure(CONFLICTS[action]),
      },
    };
    app.post(`/sends/:id/${action}`, { schema }, async (request) => {
      const { id } = parsePathOrThrow(SendIdParams, request.params);
      refuseAllButThePath(action, request);
      return options.producer[action](id);
    });
  }
}
