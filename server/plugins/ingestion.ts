/**
 * REST ingestion under `/v1`: every request needs `Authorization: Bearer <SMSQ_API_TOKEN>`
 * (checked before the body is read). Bodies are validated here and again by the producer; a
 * refused request enqueues nothing. Successful enqueues answer 202 with the producer's result.
 * A send's status and its recipients, a page at a time by cursor, are read here too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EnqueueResult, Producer } from '../../producers/producer.js';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import { readRecipientsXlsx } from '../../producers/xlsx-recipients.js';
import { CampaignStoppedError, ValidationError } from '../../src/errors.js';
import { decodeRecipientCursor } from '../../src/queue/recipient-cursor.js';
import { showInvisible } from '../../src/sms/code-points.js';
import { decodeSendCursor } from '../../src/queue/send-index.js';
import { API_CREDENTIALS, createAuthHook } from '../auth.js';
import { CLIENT_GONE, whileClientWaits } from '../client-gone.js';
import { uploadEncoding, utf8JsonParser } from '../charset.js';
import { refuseContentEncoding } from '../content-encoding.js';
import { inQueryTerms, resultInQueryTerms, XLSX_TYPE } from '../upload-settings.js';
import { HTTP_ERROR_CODES, HttpError, NOTHING_ENQUEUED, sendError } from '../errors.js';
import { quoteForError } from '../../src/sms/phone-list.js';
import type { RouteMethods } from '../route-methods.js';
import { EnqueueResultSchema, RecipientPageSchema, SendListSchema, SendStatusSchema } from '../response-schemas.js';
import { answer, API_FAILURES, COMMON_FAILURES, failure } from '../route-schema.js';
import {
  CampaignBody,
  CampaignQuery,
  CsvUpload,
  IdempotencyHeaders,
  idempotencyKeyOf,
  MOVED_STATUS_QUERY,
  parseOrThrow,
  parsePathOrThrow,
  QUERY_OF_JSON_BODY,
  RecipientsQuery,
  refuseQuery,
  SendBatchBody,
  SendBody,
  SendIdParams,
  SendsQuery,
  SendStatusQuery,
  XlsxUpload,
} from '../schemas.js';
import type { ZodReplies } from '../zod-replies.js';

export interface IngestionOptions {
  producer: Producer;
  /** Bearer token; undefined only with `insecure` (checked by buildServer). */
  apiToken: string | undefined;
  /** Largest CSV upload in bytes. */
  csvBodyLimit: number;
  /** The server's not-found handler (405 for a route's other methods), behind this plugin's auth. */
  notFound: RouteMethods['notFound'];
  /** See ServerDeps.stopping: stops a campaign being enqueued, with its reason. */
  stopping?: AbortSignal;
}

const JSON_ONLY = ['application/json'];

/** 415 unless the request's media type is one of `allowed` (a request without a body passes). */
/**
 * The answer with each rejected row's input showing its invisible characters by code point (as
 * its reason names them): echoed raw, `1380013800` and a zero-width space read as a number of ten
 * digits followed by nothing, and the character the reason named could not be seen in it.
 */
function echoed(result: EnqueueResult): EnqueueResult {
  if (result.rejected.length === 0) return result;
  return { ...result, rejected: result.rejected.map((r) => ({ ...r, input: showInvisible(r.input) })) };
}

function requireMediaType(request: FastifyRequest, reply: FastifyReply, allowed: string[]): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '' || allowed.includes(type)) return true;
  void sendError(
    reply,
    new HttpError(415, HTTP_ERROR_CODES[415], `Content-Type ${quoteForError(type, { maxChars: 80 })} is not accepted here; ${NOTHING_ENQUEUED}. Fix: send ${allowed.join(' or ')}`),
  );
  return false;
}

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** What every enqueue route answers. */
const ENQUEUE_ANSWERS = {
  202: answer('Enqueued (or, under a known Idempotency-Key, the first request\'s send with `duplicate: true`)', EnqueueResultSchema),
  400: failure('The request is invalid (SMSQ_INVALID_REQUEST): `issues` names each field and the fix. Nothing was enqueued. Or an .xlsx upload that stopped reading part-way (SMSQ_LIST_INTERRUPTED): the rows read before are a paused send, which the message names with how to resume or cancel it'),
  401: failure('No or a wrong bearer token (SMSQ_UNAUTHORIZED); `WWW-Authenticate` names the scheme'),
  409: failure('The request with this Idempotency-Key is still being enqueued (SMSQ_IDEMPOTENCY_IN_PROGRESS; `Retry-After`: the seconds until the hold of the earlier request on the key lapses unless renewed), or it stands for a campaign whose list was cut short (SMSQ_IDEMPOTENCY_KEY_CUT_SHORT: the message names its send, its state, how many it holds and the ways on), or for a send withdrawn at enqueue (not confirmed durable) that the repair sweep cancelled since, no retry having come in time (SMSQ_SEND_WITHDRAWN: make the request again under a new key). Or the send was cancelled while this request was enqueuing it (SMSQ_SEND_CANCELLED): the cancel ended its enqueue, the message names the send and how many it holds, and nothing more of it was enqueued'),
  413: failure('The body is over SMSQ_SERVER_BODY_LIMIT (JSON) or SMSQ_SERVER_CSV_LIMIT (files) (SMSQ_BODY_TOO_LARGE)'),
  415: failure('A Content-Type the route does not take, a JSON body in a charset other than UTF-8, a CSV upload in a charset it cannot be read in, or a body with a Content-Encoding other than identity (`Accept-Encoding: identity`) (SMSQ_UNSUPPORTED_MEDIA_TYPE)'),
  422: failure('The Idempotency-Key was used for a different request (SMSQ_IDEMPOTENCY_KEY_REUSED)'),
  ...COMMON_FAILURES,
} as const;

const API_TOKEN = ['bearerAuth'] as const;

export async function ingestionPlugin(parent: FastifyInstance, options: IngestionOptions): Promise<void> {
  const app = parent.withTypeProvider<ZodReplies>();
  if (options.apiToken !== undefined) app.addHook('onRequest', createAuthHook({ token: options.apiToken, realm: 'smsq API', settings: API_CREDENTIALS }));
  // After the token (strangers get 401), before the body is read.
  app.addHook('preParsing', refuseContentEncoding);

  // Only JSON, plus CSV for campaigns (a buffered body: a campaign that is too large is refused
  // whole before any recipient is enqueued).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, utf8JsonParser(app));
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: options.csvBodyLimit }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(XLSX_TYPE, { parseAs: 'buffer', bodyLimit: options.csvBodyLimit }, (_req, body, done) => done(null, body));

  // Unknown /v1 paths answer 401 to strangers too (the auth hook runs first), 404 or 405 otherwise.
  app.setNotFoundHandler(options.notFound);

  const sendSchema = {
    summary: 'One message (signature, template, params) to many numbers',
    description: 'SendSms chunks of up to 1000 numbers; verification codes go one number per call, ahead of everything else.',
    security: API_TOKEN,
    request: { headers: IdempotencyHeaders, body: { 'application/json': { schema: SendBody } } },
    response: ENQUEUE_ANSWERS,
  };
  app.post('/messages', { schema: sendSchema }, async (request, reply) => {
    if (!requireMediaType(request, reply, JSON_ONLY)) return reply;
    const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
    refuseQuery(request.query, QUERY_OF_JSON_BODY);
    const body = parseOrThrow(SendBody, request.body);
    const result = await options.producer.send({ ...body, idempotencyKey });
    return reply.code(202).send(echoed(result));
  });

  const batchSchema = {
    summary: 'Personalised messages (each number its own signature and params), one template',
    description: 'SendBatchSms chunks of up to 100 messages.',
    security: API_TOKEN,
    request: { headers: IdempotencyHeaders, body: { 'application/json': { schema: SendBatchBody } } },
    response: ENQUEUE_ANSWERS,
  };
  app.post('/batches', { schema: batchSchema }, async (request, reply) => {
    if (!requireMediaType(request, reply, JSON_ONLY)) return reply;
    const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
    refuseQuery(request.query, QUERY_OF_JSON_BODY);
    const body = parseOrThrow(SendBatchBody, request.body);
    const result = await options.producer.sendBatch({ ...body, idempotencyKey });
    return reply.code(202).send(echoed(result));
  });

  const campaignSchema = {
    summary: 'A recipient list: a CSV or .xlsx upload (settings in the query string) or a JSON body',
    description:
      'A file upload is read whole (up to SMSQ_SERVER_CSV_LIMIT) before anything is enqueued, so one that is too large is refused whole; nothing is fetched from URLs. The query string is for file uploads only; a JSON body carries its settings itself. Default kind: marketing. A client that disconnects while the list is enqueued, without an Idempotency-Key, stops the campaign: its send is paused holding the rows read, and the server logs SMSQ_CAMPAIGN_STOPPED with the send id; under a key the list is enqueued whole, and a retry under the key is answered with its send (docs/http-api.md, "A client that disconnects").',
    security: API_TOKEN,
    request: {
      headers: IdempotencyHeaders,
      // Required for file uploads only, and refused with a JSON body: documented as optional.
      query: CampaignQuery.partial(),
      body: {
        'application/json': { schema: CampaignBody },
        'text/csv': { schema: CsvUpload, example: 'phone,name\n13800138000,Li\n13900139000,Wang\n' },
        [XLSX_TYPE]: { schema: XlsxUpload },
      },
    },
    response: ENQUEUE_ANSWERS,
  };
  /**
   * Enqueues a campaign while its client waits. Without an Idempotency-Key, a client that goes away
   * first (a proxy's or its own timeout on a large list) stops it as Ctrl-C stops `smsq campaign`:
   * enqueued, it would be sent whole with its send id answered to nobody, and a retry would send it
   * twice. The send is paused with the rows read, and the log says how to resume or cancel it, as
   * nobody else will hear it. Under a key, the whole list is in hand and a retry under the key is
   * answered with the send: it is enqueued whole. Stopped, the retry was refused as cut short,
   * and the held send could only be cancelled and the list sent again under a new key. Only the
   * server's own stop (its shutdown grace run out) stops it then.
   */
  // Campaigns under an Idempotency-Key, which go on when their client leaves: the server's close
  // waits for them within its grace, as for a request in flight; when the grace runs out, the
  // server's stop (options.stopping) stops them, held paused, as it stops a request cut.
  const keyedEnqueues = new Set<Promise<EnqueueResult>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...keyedEnqueues]);
  });
  const enqueueWhileConnected = async (
    request: FastifyRequest,
    reply: FastifyReply,
    idempotencyKey: string | undefined,
    run: (signal: AbortSignal | undefined) => Promise<EnqueueResult>,
  ): Promise<FastifyReply> => {
    const client = whileClientWaits(reply, options.stopping);
    if (idempotencyKey !== undefined) {
      // Said when it happens: the enqueue may take minutes more, and its end is logged then.
      client.signal.addEventListener(
        'abort',
        () => {
          if (client.signal.reason !== CLIENT_GONE) return;
          request.log.warn(
            { idempotencyKey },
            `a campaign's client disconnected while its list was being enqueued: under its Idempotency-Key (${idempotencyKey}) the list is enqueued whole and goes out, and a retry under the key is answered with its send. To stop it, find it (GET /v1/sends) and cancel it (POST /v1/sends/{id}/cancel)`,
          );
        },
        { once: true },
      );
    }
    try {
      const running = run(idempotencyKey === undefined ? client.signal : options.stopping);
      if (idempotencyKey !== undefined) {
        // Its connection may be gone: the server's close waits for it as for a request in flight.
        keyedEnqueues.add(running);
        void running.then(
          () => keyedEnqueues.delete(running),
          () => keyedEnqueues.delete(running),
        );
      }
      const result = await running;
      // Gone after the last row was enqueued but before its answer: the send goes out whole, and
      // nobody else will hear its id.
      if (client.signal.aborted) {
        request.log.warn(
          { sendId: result.sendId, recipients: result.recipients, reason: String(client.signal.reason) },
          `campaign ${result.sendId} was enqueued whole (${result.recipients} recipients) but its client was gone before the answer (${String(client.signal.reason)}): it goes out as enqueued. A retry with the same Idempotency-Key is answered with it; without one it would be sent twice`,
        );
      }
      return reply.code(202).send(echoed(result));
    } catch (err) {
      if (err instanceof CampaignStoppedError) {
        const { sendId, recipients, rowsRead, afterLine } = err.stopped;
        request.log.warn({ code: err.code, sendId, recipients, rowsRead, afterLine }, err.message);
      }
      throw err; // answered as its code says (499), to a connection that is gone
    } finally {
      client.release();
    }
  };

  app.post('/campaigns', { schema: campaignSchema }, async (request, reply) => {
    if (!requireMediaType(request, reply, [...JSON_ONLY, 'text/csv', XLSX_TYPE])) return reply;
    const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key']);
    if (Buffer.isBuffer(request.body)) {
      // A file upload: the whole body is in hand, so its encoding is checked before the first
      // row, and nothing is written before the first valid recipient has been read. Its settings
      // come in the query string, and its refusals say so (inQueryTerms).
      const body = request.body;
      try {
        const { encoding, sheet, ...settings } = parseOrThrow(CampaignQuery, request.query, 'query', 'text');
        const workbook = (request.headers['content-type'] ?? '').toLowerCase().startsWith(XLSX_TYPE);
        if (workbook && encoding !== undefined) throw new ValidationError([{ field: 'query.encoding', message: 'applies to CSV uploads only. Fix: drop ?encoding=' }]);
        if (!workbook && sheet !== undefined) throw new ValidationError([{ field: 'query.sheet', message: 'applies to .xlsx uploads only. Fix: drop ?sheet=' }]);
        const recipients = workbook
          ? readRecipientsXlsx(body, { sheet, field: '(body)' })
          : readRecipientsCsv(body, { ...uploadEncoding(encoding, request.headers['content-type']), field: '(body)' });
        return await enqueueWhileConnected(request, reply, idempotencyKey, async (signal) => resultInQueryTerms(await options.producer.campaign(recipients, { ...settings, idempotencyKey }, { sourceField: '(body)', signal })));
      } catch (err) {
        throw inQueryTerms(err);
      }
    }
    // The query string is for file uploads, which have no other place for their settings.
    refuseQuery(request.query, QUERY_OF_JSON_BODY);
    const { recipients, ...settings } = parseOrThrow(CampaignBody, request.body);
    return enqueueWhileConnected(request, reply, idempotencyKey, (signal) => options.producer.campaign(fromArray(recipients), { ...settings, idempotencyKey }, { signal }));
  });

  const listSchema = {
    summary: 'Sends, newest first, filtered by kind and state, a page at a time',
    description:
      'Follow `next` as `cursor` until it is null. A cursor names a place in the list (a send), not a count, so sends created between pages are not listed twice. Sends expire with the retention (SMSQ_RETENTION_DAYS) and leave the list with it.',
    security: API_TOKEN,
    request: { query: SendsQuery },
    response: { 200: answer('A page of sends, and the cursor of the next one', SendListSchema), 400: API_FAILURES[400], 401: API_FAILURES[401], ...COMMON_FAILURES },
  };
  app.get('/sends', { schema: listSchema }, async (request) => {
    const query = parseOrThrow(SendsQuery, request.query, 'query', 'text');
    // Checked here too, so that a bad cursor is named as the query parameter it is.
    if (query.cursor !== undefined) decodeSendCursor(query.cursor, 'query.cursor');
    return options.producer.listSends(query);
  });

  const statusSchema = {
    summary: 'A send: what was enqueued and its recipients per state',
    description: 'Its recipients one by one: GET /v1/sends/{id}/recipients.',
    security: API_TOKEN,
    request: { params: SendIdParams, query: SendStatusQuery },
    response: { 200: answer('The send', SendStatusSchema), ...API_FAILURES },
  };
  app.get('/sends/:id', { schema: statusSchema }, async (request) => {
    const { id } = parsePathOrThrow(SendIdParams, request.params);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const moved = MOVED_STATUS_QUERY.filter((name) => name in query);
    if (moved.length > 0) {
      throw new ValidationError(
        moved.map((name) => ({ field: `query.${name}`, message: 'recipients are listed by GET /v1/sends/{id}/recipients, a page at a time by cursor. Fix: GET /v1/sends/{id}/recipients?limit=1000, then ?cursor=<next>' })),
      );
    }
    parseOrThrow(SendStatusQuery, query, 'query', 'text');
    return options.producer.getStatus(id);
  });

  const recipientsSchema = {
    summary: 'A page of a send\'s recipients: state, code, BizId, sent and received times, attempts',
    description:
      'In send order: every chunk\'s numbers in order, then the numbers without a chunk (opted out, refused at the door). Follow `next` as `cursor` until it is null. A cursor names a place in that order, not a count, so recipients changing state between pages are neither skipped nor repeated. While the send is still `enqueuing`, the last page\'s `next` is not null: more may come.',
    security: API_TOKEN,
    request: { params: SendIdParams, query: RecipientsQuery },
    response: { 200: answer('A page of recipients, and the cursor of the next one', RecipientPageSchema), ...API_FAILURES },
  };
  app.get('/sends/:id/recipients', { schema: recipientsSchema }, async (request) => {
    const { id } = parsePathOrThrow(SendIdParams, request.params);
    const { limit, cursor } = parseOrThrow(RecipientsQuery, request.query, 'query', 'text');
    // Checked here too, so that a bad cursor is named as the query parameter it is.
    if (cursor !== undefined) decodeRecipientCursor(id, cursor, 'query.cursor');
    const page = await options.producer.recipientPage(id, { limit, cursor });
    return { sendId: id, ...page };
  });
}
