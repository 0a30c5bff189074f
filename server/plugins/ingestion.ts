/**
 * REST ingestion under `/v1`: every request needs `Authorization: Bearer <SMSQ_API_TOKEN>`
 * (checked before the body is read). Bodies are validated here and again by the producer; a
 * refused request enqueues nothing. Successful enqueues answer 202 with the producer's result.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Producer } from '../../producers/producer.js';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import { readRecipientsXlsx } from '../../producers/xlsx-recipients.js';
import { ValidationError } from '../../src/errors.js';
import { createAuthHook } from '../auth.js';
import { HTTP_ERROR_CODES, HttpError, sendError } from '../errors.js';
import { redactUrl } from '../redact-url.js';
import { CampaignBody, CampaignQuery, idempotencyKeyOf, parseOrThrow, SendBatchBody, SendBody, SendIdParams, SendStatusQuery } from '../schemas.js';

export interface IngestionOptions {
  producer: Producer;
  /** Bearer token; undefined only with `insecure` (checked by buildServer). */
  apiToken: string | undefined;
  /** Largest CSV upload in bytes. */
  csvBodyLimit: number;
}

const JSON_ONLY = ['application/json'];

/** 415 unless the request's media type is one of `allowed` (a request without a body passes). */
function requireMediaType(request: FastifyRequest, reply: FastifyReply, allowed: string[]): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || allowed.includes(type)) return true;
  void sendError(
    reply,
    new HttpError(415, HTTP_ERROR_CODES[415], `Content-Type ${type} is not accepted here. Fix: send ${allowed.join(' or ')}`),
  );
  return false;
}

/** The media type of an .xlsx workbook upload. */
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

export async function ingestionPlugin(app: FastifyInstance, options: IngestionOptions): Promise<void> {
  if (options.apiToken !== undefined) app.addHook('onRequest', createAuthHook({ token: options.apiToken, realm: 'smsq API' }));

  // Only JSON, plus CSV for campaigns (a buffered body: a campaign that is too large is refused
  // whole before any recipient is enqueued).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: options.csvBodyLimit }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(XLSX_TYPE, { parseAs: 'buffer', bodyLimit: options.csvBodyLimit }, (_req, body, done) => done(null, body));

  // Unknown /v1 paths answer 401 to strangers too (the auth hook runs first), 404 otherwise.
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new HttpError(404, HTTP_ERROR_CODES[404], `no route ${request.method} ${redactUrl(request.url)}`)),
  );

  app.post('/messages', async (request, reply) => {
    if (!requireMediaType(request, reply, JSON_ONLY)) return reply;
    const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
    const body = parseOrThrow(SendBody, request.body);
    const result = await options.producer.send({ ...body, idempotencyKey });
    return reply.code(202).send(result);
  });

  app.post('/batches', async (request, reply) => {
    if (!requireMediaType(request, reply, JSON_ONLY)) return reply;
    const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
    const body = parseOrThrow(SendBatchBody, request.body);
    const result = await options.producer.sendBatch({ ...body, idempotencyKey });
    return reply.code(202).send(result);
  });

  app.post('/campaigns', async (request, reply) => {
    if (!requireMediaType(request, reply, [...JSON_ONLY, 'text/csv', XLSX_TYPE])) return reply;
    const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
    if (Buffer.isBuffer(request.body)) {
      // A file upload: the whole body is in hand, so its encoding is checked before the first
      // row, and nothing is written before the first valid recipient has been read.
      const { encoding, sheet, ...settings } = parseOrThrow(CampaignQuery, request.query);
      const workbook = (request.headers['content-type'] ?? '').toLowerCase().startsWith(XLSX_TYPE);
      if (workbook && encoding !== undefined) throw new ValidationError([{ field: 'encoding', message: 'applies to CSV uploads only. Fix: drop ?encoding=' }]);
      if (!workbook && sheet !== undefined) throw new ValidationError([{ field: 'sheet', message: 'applies to .xlsx uploads only. Fix: drop ?sheet=' }]);
      const recipients = workbook
        ? readRecipientsXlsx(Readable.from([request.body]), { sheet, field: '(body)' })
        : readRecipientsCsv(request.body, { encoding, field: '(body)' });
      const result = await options.producer.campaign(recipients, { ...settings, idempotencyKey }, { sourceField: '(body)' });
      return reply.code(202).send(result);
    }
    if (Object.keys((request.query as Record<string, unknown> | undefined) ?? {}).length > 0) {
      throw new ValidationError([{ field: '(query)', message: 'campaign settings go in the JSON body; the query string is only for CSV uploads' }]);
    }
    const { recipients, ...settings } = parseOrThrow(CampaignBody, request.body);
    const result = await options.producer.campaign(fromArray(recipients), { ...settings, idempotencyKey });
    return reply.code(202).send(result);
  });

  app.get('/sends/:id', async (request) => {
    const { id } = parseOrThrow(SendIdParams, request.params);
    const q = parseOrThrow(SendStatusQuery, request.query, 'query');
    const status = await options.producer.getStatus(id);
    if (!q.recipients) return status;
    // Recipients in send order from `offset`; a page at most `limit` long, with the next offset.
    const recipients = [];
    let index = 0;
    for await (const r of options.producer.recipients(id)) {
      if (index++ < q.offset) continue;
      recipients.push(r);
      if (recipients.length === q.limit) break;
    }
    const next = recipients.length === q.limit ? q.offset + q.limit : null;
    return { ...status, recipients, next };
  });
}
