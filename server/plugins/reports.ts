/**
 * Alibaba's pushed receipts: SmsReport (delivery reports) and SmsUp (replies). Alibaba signs
 * nothing, so the endpoints require the report token, in the `x-smsq-report-token` header
 * (`/v1/reports/sms-report`, preferred) or in the URL path (`/v1/reports/<token>/sms-report`, for a
 * push URL that can carry nothing else; every log line and error shows that path redacted, see
 * redact-url.ts). The token is compared in constant time (digests of equal length). Bodies are JSON arrays; a malformed one
 * is answered 400 and changes nothing. Success is answered `{"code":0,"msg":"接收成功"}`: anything
 * else makes Alibaba push the same reports again after 1, 5 and 10 minutes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReportIngest } from '../../src/receipts/report-ingest.js';
import { safeEqual } from '../auth.js';
import { HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';

export interface ReportsOptions {
  ingest: ReportIngest;
  /** SMSQ_REPORT_TOKEN; the plugin is not registered without one. */
  token: string;
}

/** The answer Alibaba expects for a push it should not repeat. */
export const PUSH_ACCEPTED = Object.freeze({ code: 0, msg: '接收成功' });

export async function reportsPlugin(app: FastifyInstance, options: ReportsOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  // Alibaba posts JSON (some accounts send it as text/plain); parse both, strictly.
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  const authorized = (request: FastifyRequest): boolean => {
    const fromPath = (request.params as { token?: string }).token;
    const fromHeader = request.headers['x-smsq-report-token'];
    const given = fromPath ?? (typeof fromHeader === 'string' ? fromHeader : undefined);
    return given !== undefined && safeEqual(given, options.token);
  };
  const refuse = (reply: FastifyReply) =>
    sendError(
      reply,
      new HttpError(401, HTTP_ERROR_CODES[401], 'the report token is missing or wrong. Fix: send SMSQ_REPORT_TOKEN in the x-smsq-report-token header to /v1/reports/sms-report (or, where only a URL can be set, in the path: /v1/reports/<token>/sms-report)'),
    );

  const handle = (apply: (body: unknown) => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authorized(request)) return refuse(reply);
    const result = await apply(request.body); // ValidationError → 400 by the error handler
    request.log.info({ result }, 'pushed receipts applied');
    return reply.code(200).send(PUSH_ACCEPTED);
  };
  const reports = handle((b) => options.ingest.applyReports(b));
  const replies = handle((b) => options.ingest.applyReplies(b));
  app.post('/:token/sms-report', reports);
  app.post('/:token/sms-up', replies);
  app.post('/sms-report', reports);
  app.post('/sms-up', replies);
}
