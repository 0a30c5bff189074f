/**
 * Bull Board at `/admin/queues`, showing every smsq queue. Protected by basic auth (people) and/or
 * a bearer token (scripts, proxies); read-only unless configured otherwise, because removing or
 * emptying jobs from the dashboard can strand recipients that a producer was told were queued.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { createAuthHook } from '../auth.js';
import { HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';
import { HtmlPage } from '../response-schemas.js';
import { answer, failure, INTERNAL } from '../route-schema.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const DASHBOARD_PATH = '/admin/queues';

export interface DashboardOptions {
  queues: readonly Queue[];
  /** Basic-auth login for people. */
  basicAuth?: { user: string; password: string };
  /** Bearer token for scripts and proxies. */
  token?: string;
  /** Bull Board's read-only mode. */
  readOnly: boolean;
  /** Where the board is mounted. Default `/admin/queues`. */
  basePath?: string;
  /** The campaigns page, linked from the board's header menu. */
  campaignsPath?: string;
}

/** What each smsq queue is for, shown under its name. */
const DESCRIPTIONS: Record<string, string> = {
  calls: 'One job is one Dysmsapi call (sends, reconcile and receipt look-ups), under the account-wide rate limit',
  housekeeping: 'Work without Dysmsapi calls (receipt-window expiry, callbacks)',
};

/** The dashboard's entry in the OpenAPI document; the board's own JSON API is Bull Board's, not described there. */
export const DASHBOARD_SCHEMA = {
  summary: 'Bull Board dashboard of every smsq queue (its JSON API is under /admin/queues/api/)',
  description: 'Read-only by default (SMSQ_DASHBOARD_READ_ONLY): every write through the board\'s API is refused with 405 SMSQ_METHOD_NOT_ALLOWED.',
  security: ['dashboardAuth', 'dashboardToken'] as const,
  response: { 200: answer('The dashboard', HtmlPage, 'text/html'), 401: failure('Login required (SMSQ_UNAUTHORIZED)'), 500: INTERNAL },
};

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const basePath = options.basePath ?? DASHBOARD_PATH;
  if (options.basicAuth || options.token !== undefined) {
    app.addHook('onRequest', createAuthHook({ basic: options.basicAuth, token: options.token, realm: 'smsq dashboard' }));
  }
  if (options.readOnly) {
    // Bull Board refuses per-queue actions in read-only mode, but its queue-wide pause and resume
    // answer 200 having done nothing (they skip read-only queues). Refuse every write here, in
    // the API's error shape, after authentication: a read-only board changes nothing.
    const api = `${basePath}/api/`;
    app.addHook('onRequest', async (request, reply) => {
      if (READ_METHODS.has(request.method) || !request.url.startsWith(api)) return;
      return sendError(
        reply,
        new HttpError(405, HTTP_ERROR_CODES[405], 'the dashboard is read-only: it changes no queue or job. Fix: use `smsq resume` / the REST controls, or set SMSQ_DASHBOARD_READ_ONLY=false for a writable dashboard'),
      );
    });
  }
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: options.queues.map(
      (q) => new BullMQAdapter(q, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly, description: DESCRIPTIONS[q.name] ?? '' }),
    ),
    serverAdapter,
    // miscLinks: Bull Board's header menu (its own UI option), here the way to the campaigns page.
    options: {
      uiConfig: {
        boardTitle: 'smsq',
        hideDocsLink: true,
        ...(options.campaignsPath ? { miscLinks: [{ text: 'Campaigns (smsq sends)', url: options.campaignsPath }] } : {}),
      },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: basePath });
}
