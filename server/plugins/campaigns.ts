/**
 * The campaigns page at `/admin/campaigns`: every send, newest first, with its progress, delivered
 * ratio, top failure codes, state and wait reason, and pause / resume / cancel; one send's counts
 * over time and its recipients (numbers masked). Server-rendered HTML (campaigns-page/) under the
 * dashboard's login, linked with Bull Board both ways. It lists sends with the same function as
 * `GET /v1/sends` (producer.listSends) and acts through the same producer controls as
 * `POST /v1/sends/:id/pause|resume|cancel`. Read-only, like the dashboard, unless
 * SMSQ_DASHBOARD_READ_ONLY=false.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Producer } from '../../producers/producer.js';
import type { Clock } from '../../src/clock.js';
import type { CampaignTracker } from '../../src/receipts/campaign-tracker.js';
import { decodeSendCursor } from '../../src/queue/send-index.js';
import { decodeRecipientCursor } from '../../src/queue/recipient-cursor.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { isSendEnded } from '../../src/queue/lifecycle.js';
import { createAuthHook, DASHBOARD_CREDENTIALS } from '../auth.js';
import { CONFLICTS, refuseAllButThePath } from './controls.js';
import { HTTP_ERROR_CODES, HttpError, sendError, type ErrorBody } from '../errors.js';
import { HtmlPage, SendStatusSchema } from '../response-schemas.js';
import { answer, API_FAILURES, COMMON_FAILURES, failure } from '../route-schema.js';
import { CURSOR_TOO_LONG, parseOrThrow, parsePathOrThrow, SendIdParams, SendsQuery } from '../schemas.js';
import type { ZodReplies } from '../zod-replies.js';
import { renderErrorPage, renderListPage, renderMissingSendPage, renderSendPage, type PageContext } from '../campaigns-page/render.js';
import { prefersHtml } from '../campaigns-page/prefers-html.js';
import { isRedisConnectionError } from '../../src/queue/redis-errors.js';

export const CAMPAIGNS_PATH = '/admin/campaigns';

/** Recipients per page of a send's page. */
const RECIPIENTS_PER_PAGE = 20;

export interface CampaignsPageOptions {
  producer: Producer;
  tracker: CampaignTracker;
  clock: Clock;
  /** Basic-auth login for people (the dashboard's). */
  basicAuth?: { user: string; password: string };
  /** Bearer token for scripts and proxies (the dashboard's). */
  token?: string;
  /** No pause / resume / cancel (the dashboard's read-only mode). */
  readOnly: boolean;
  /** Where Bull Board is mounted, linked from the page. */
  boardPath: string;
}

const SendPageQuery = z.strictObject({
  cursor: z.string().max(400, { message: CURSOR_TOO_LONG }).optional().meta({ description: 'The recipients page to show (the page\'s "Next recipients" link)' }),
});

const CONTROL_ACTIONS = ['pause', 'resume', 'cancel'] as const;

const ControlParams = z.strictObject({
  ...SendIdParams.shape,
  action: z.enum(CONTROL_ACTIONS, {
    error: (issue) =>
      `${JSON.stringify(String(issue.input))} is no action of the campaigns page: the actions are pause, resume and cancel. Fix: POST /admin/campaigns/{id}/pause, /resume or /cancel`,
  }),
});

const DASHBOARD_LOGIN = ['dashboardAuth', 'dashboardToken'] as const;
const PAGE_FAILURES = { 400: API_FAILURES[400], 401: failure('Login required (SMSQ_UNAUTHORIZED)'), ...COMMON_FAILURES } as const;

/** How the pages answer a refusal (the onSend hook below). */
const REFUSED_AS_PAGE = 'A refusal is JSON in the error shape; to a request that accepts text/html before JSON (a browser), the same status and words as a page.';

/** A filter form's "any" submits an empty value: the same as leaving the parameter out. */
function withoutEmpty(query: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries((query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
}

function sendHtml(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

export async function campaignsPagePlugin(parent: FastifyInstance, options: CampaignsPageOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  if (options.basicAuth || options.token !== undefined) {
    app.addHook('onRequest', createAuthHook({ basic: options.basicAuth, token: options.token, realm: 'smsq dashboard', settings: DASHBOARD_CREDENTIALS }));
  }
  const context = (): PageContext => ({ basePath: CAMPAIGNS_PATH, boardPath: options.boardPath, controls: !options.readOnly, now: options.clock.now() });
  // A browser showed an error as JSON source: a page it asks for is answered, when refused, with
  // the same words as a page (the buttons' fetch, and scripts, keep the JSON error).
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || (request.method !== 'GET' && request.method !== 'HEAD') || !prefersHtml(request.headers.accept)) return payload;
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload;
    const { error } = JSON.parse(payload) as ErrorBody;
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return renderErrorPage(context(), reply.statusCode, error);
  });
  // The page works without its tally (codes, samples): a failed catch-up is logged, not shown; but
  // not Redis gone, which the page's own reads answer 503 for and the Redis watch says once, while
  // the page refreshes every 2 s.
  const catchUp = (log: { warn(obj: object, msg: string): void }) =>
    options.tracker.catchUp().catch((err: unknown) => {
      if (!isRedisConnectionError(err)) log.warn({ err }, 'campaigns page: events tally failed');
    });

  app.get(
    '/',
    {
      schema: {
        summary: 'The campaigns page: every send, newest first, filtered by kind and state (HTML)',
        description: `Lists with GET /v1/sends's function; each send with its progress bar, delivered ratio, top failure codes, state and wait reason, and pause / resume / cancel unless the dashboard is read-only. ${REFUSED_AS_PAGE}`,
        security: DASHBOARD_LOGIN,
        request: { query: SendsQuery.partial() },
        response: { 200: answer('The page', HtmlPage, 'text/html'), ...PAGE_FAILURES },
      },
    },
    async (request, reply) => {
      const query = parseOrThrow(SendsQuery, withoutEmpty(request.query), 'query', 'text');
      if (query.cursor !== undefined) decodeSendCursor(query.cursor, 'query.cursor');
      await catchUp(request.log);
      const listed = await options.producer.listSends(query);
      // A listed send carries no wait (GET /v1/sends leaves it out); the page promises why each waits,
      // so the sends still going are asked as GET /v1/sends/{id} asks (one that went meanwhile shows without).
      const sends = await Promise.all(
        listed.sends.map(async (status) => {
          if (isSendEnded(status.send.state)) return status;
          const current = await options.producer.getStatus(status.send.sendId).catch((err: unknown) => {
            if (err instanceof NotFoundError) return undefined;
            throw err;
          });
          return current?.wait ? { ...status, wait: current.wait } : status;
        }),
      );
      const page = { ...listed, sends };
      const codes = await options.tracker.failureCodes(page.sends.map((s) => s.send.sendId));
      return sendHtml(reply, renderListPage(context(), { ...page, codes, filters: { kind: query.kind, state: query.state, limit: query.limit === 50 ? undefined : query.limit } }));
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        summary: 'One send on the campaigns page: its counts over time, failure codes and recipients, numbers masked (HTML)',
        description: REFUSED_AS_PAGE,
        security: DASHBOARD_LOGIN,
        request: { params: SendIdParams, query: SendPageQuery },
        response: {
          200: answer('The page', HtmlPage, 'text/html'),
          ...PAGE_FAILURES,
          404: failure('No such send, or it expired (SMSQ_NOT_FOUND); to a request that accepts text/html before JSON (a browser), a page naming the id with a link back to the list'),
        },
      },
    },
    async (request, reply) => {
      const { id } = parsePathOrThrow(SendIdParams, request.params);
      const { cursor } = parseOrThrow(SendPageQuery, withoutEmpty(request.query), 'query', 'text');
      if (cursor !== undefined) decodeRecipientCursor(id, cursor, 'query.cursor');
      await catchUp(request.log);
      const status = await options.producer.getStatus(id).catch((err: unknown) => {
        if (err instanceof NotFoundError && prefersHtml(request.headers.accept)) return undefined;
        throw err;
      });
      if (status === undefined) return sendHtml(reply.code(404), renderMissingSendPage(context(), id));
      await options.tracker.sample(id);
      const [series, codes, page] = await Promise.all([
        options.tracker.series(id),
        options.tracker.failureCodes([id], 10),
        options.producer.recipientPage(id, { limit: RECIPIENTS_PER_PAGE, ...(cursor === undefined ? {} : { cursor }) }),
      ]);
      return sendHtml(reply, renderSendPage(context(), { status, series, codes: codes.get(id) ?? [], recipients: page.recipients, next: page.next, ...(cursor === undefined ? {} : { cursor }) }));
    },
  );

  app.post(
    '/:id/:action',
    {
      schema: {
        summary: 'The campaigns page\'s pause / resume / cancel buttons (the producer controls of POST /v1/sends/{id}/pause|resume|cancel)',
        description: 'Needs the header `X-Smsq-Control: 1` (the page sends it; a cross-site form cannot), and takes nothing but its path: a body other than {} or a query string is refused (400), as over /v1. Refused with 405 on a read-only dashboard; an action other than pause, resume or cancel with 400 naming it, read-only or not.',
        security: DASHBOARD_LOGIN,
        request: { params: ControlParams },
        response: {
          200: answer('The send after the change', SendStatusSchema),
          ...PAGE_FAILURES,
          404: API_FAILURES[404],
          405: failure('The dashboard is read-only (SMSQ_METHOD_NOT_ALLOWED): SMSQ_DASHBOARD_READ_ONLY=false allows the controls'),
          415: failure('A body of a type other than application/json (an empty one passes under any type), or a JSON body in a charset other than UTF-8 (SMSQ_UNSUPPORTED_MEDIA_TYPE)'),
          409: failure(`The control cannot happen; nothing was changed. Resume: ${CONFLICTS.resume}. Cancel or pause: ${CONFLICTS.cancel}`),
        },
      },
    },
    async (request, reply) => {
      // The path is judged first: an action that is none is named as such, read-only or not.
      const { id, action } = parsePathOrThrow(ControlParams, request.params);
      if (options.readOnly) {
        return sendError(
          reply,
          new HttpError(405, HTTP_ERROR_CODES[405], 'the dashboard is read-only: the campaigns page pauses, resumes and cancels nothing. Fix: use the REST controls (POST /v1/sends/{id}/pause), or set SMSQ_DASHBOARD_READ_ONLY=false'),
        );
      }
      if (request.headers['x-smsq-control'] !== '1') {
        throw new ValidationError([{ field: 'X-Smsq-Control', message: 'must be 1. Fix: use the page\'s buttons, or send the header from a script (a cross-site form cannot, which is the point)' }]);
      }
      refuseAllButThePath(action, request);
      // A pause or cancel of a send sent in full is refused by the producer (SMSQ_SEND_ALREADY_SENT), as over /v1.
      return options.producer[action](id);
    },
  );
}
