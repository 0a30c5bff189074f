/**
 * The OpenAPI 3.1 document served at `/openapi.json`. Request bodies are generated from the same
 * zod schemas that validate them (`z.toJSONSchema`), so the document cannot drift from the code;
 * responses are described by schemas written here for the purpose.
 */
import { z } from 'zod';
import { MESSAGE_KINDS } from '../src/queue/kinds.js';
import { HTTP_ERROR_CODES } from './errors.js';
import { CampaignBody, SendBatchBody, SendBody } from './schemas.js';

const FieldIssue = z.object({
  field: z.string().meta({ description: 'Dotted path of the field, e.g. `phones[3]`, `templateParam.code`, `Idempotency-Key`' }),
  message: z.string().meta({ description: 'What is wrong and how to fix it' }),
});

const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.values(HTTP_ERROR_CODES) as [string, ...string[]]).meta({ description: 'Stable code; match on it, not on the message' }),
      message: z.string(),
      issues: z.array(FieldIssue).optional().meta({ description: 'Present when individual fields are at fault' }),
    }),
  })
  .meta({ description: 'The one shape of every error answer' });

const EnqueueResult = z.object({
  sendId: z.string().meta({ description: 'Id to follow the send with GET /v1/sends/{id}' }),
  duplicate: z.boolean().meta({ description: 'True when the Idempotency-Key matched an earlier request: nothing new was enqueued' }),
  recipients: z.number().int().meta({ description: 'Recipients queued (valid, deduplicated)' }),
  rejected: z.array(z.object({ input: z.string(), reason: z.string() })).meta({ description: 'Numbers refused at the door (campaigns keep the first 1000)' }),
  rejectedCount: z.number().int(),
  duplicates: z.number().int().meta({ description: 'Repeated numbers dropped' }),
  chunks: z.number().int(),
  apiCalls: z.number().int().meta({ description: 'Dysmsapi calls planned: one per chunk' }),
});

const SendStatus = z.object({
  send: z
    .object({
      sendId: z.string(),
      kind: z.enum(MESSAGE_KINDS),
      api: z.enum(['SendSms', 'SendBatchSms']),
      templateCode: z.string(),
      signName: z.string(),
      name: z.string().optional(),
      idempotencyKey: z.string().optional(),
      recipients: z.number().int(),
      rejected: z.number().int(),
      duplicates: z.number().int(),
      chunks: z.number().int(),
      createdAt: z.number().int().meta({ description: 'Milliseconds since the Unix epoch' }),
      state: z.string().meta({ description: 'enqueuing, active or failed' }),
      code: z.string().optional().meta({ description: 'Why the whole send failed (e.g. an unusable signature)' }),
      reason: z.string().optional(),
    })
    .loose(),
  counts: z
    .record(z.string(), z.number().int())
    .meta({ description: 'Recipients per state: queued, sending, unknown, accepted (awaiting a receipt), then delivered, failed, expired, ...' }),
});

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retried request safe: the same key within 24 h returns the first request\'s send id (`duplicate: true`) and enqueues nothing. Letters, digits and `._~-`, up to 128 characters.',
  schema: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._~-]+$' },
};

const WRITE_ERRORS = {
  '400': errorResponse('Invalid request (SMSQ_INVALID_REQUEST); `issues` names each bad field. Nothing was enqueued'),
  '401': errorResponse('Missing or wrong bearer token (SMSQ_UNAUTHORIZED)'),
  '413': errorResponse('Body larger than the configured limit (SMSQ_BODY_TOO_LARGE)'),
  '415': errorResponse('Content-Type not accepted (SMSQ_UNSUPPORTED_MEDIA_TYPE)'),
  '500': errorResponse('Internal error (SMSQ_INTERNAL); the server log has the details under the request id'),
};

const accepted = { description: 'Enqueued', content: { 'application/json': { schema: ref('EnqueueResult') } } };

const query = (name: string, description: string, required = false, schema: JsonSchema = { type: 'string' }) => ({ name, in: 'query', required, description, schema });

/** `POST /v1/sends/{id}/<action>`: a campaign control answering with the send's status. */
const sendControl = (summary: string) => ({
  post: {
    summary,
    security: [{ bearerAuth: [] }],
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
    responses: {
      '200': { description: 'The send after the change', content: { 'application/json': { schema: ref('SendStatus') } } },
      '400': WRITE_ERRORS['400'],
      '401': WRITE_ERRORS['401'],
      '404': errorResponse('No such send, or it expired (SMSQ_NOT_FOUND)'),
    },
  },
});

/** `POST /v1/reports/{token}/<path>`: one of Alibaba's HTTP pushes. */
const pushedReports = (path: string, summary: string) => ({
  post: {
    summary,
    description: `For Alibaba's HTTP push. Send SMSQ_REPORT_TOKEN in the x-smsq-report-token header to /v1/reports/${path} (preferred), or in the path where the push URL can carry nothing else (logged as [REDACTED]). Only a recipient of the chunk and attempt named by out_id, with its BizId, is moved; anything else is set aside and counted. Applying a push is idempotent; a final state never goes back.`,
    parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'array', items: { type: 'object' } } } } },
    responses: {
      '200': {
        description: 'Applied; Alibaba will not push it again',
        content: { 'application/json': { schema: { type: 'object', properties: { code: { const: 0 }, msg: { type: 'string' } } } } },
      },
      '400': errorResponse('Malformed body (SMSQ_INVALID_REQUEST); nothing was applied'),
      '401': errorResponse('Missing or wrong report token (SMSQ_UNAUTHORIZED)'),
    },
  },
});

let cached: JsonSchema | undefined;

/** The OpenAPI document (built once). */
export function openApiDocument(): JsonSchema {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'smsq',
      version: '1',
      description:
        'SMS delivery through Alibaba Cloud Dysmsapi from a BullMQ queue. Every /v1 request needs `Authorization: Bearer <SMSQ_API_TOKEN>`. Every error answer has the shape `{"error": {"code", "message", "issues"?}}`.',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'SMSQ_API_TOKEN' },
        dashboardAuth: { type: 'http', scheme: 'basic', description: 'SMSQ_DASHBOARD_USER / SMSQ_DASHBOARD_PASSWORD (or a bearer SMSQ_DASHBOARD_TOKEN)' },
      },
      schemas: {
        SendRequest: schemaOf(SendBody, 'input'),
        SendBatchRequest: schemaOf(SendBatchBody, 'input'),
        CampaignRequest: schemaOf(CampaignBody, 'input'),
        EnqueueResult: schemaOf(EnqueueResult, 'output'),
        SendStatus: schemaOf(SendStatus, 'output'),
        Error: schemaOf(ErrorBody, 'output'),
      },
    },
    paths: {
      '/v1/messages': {
        post: {
          summary: 'One message (signature, template, params) to many numbers',
          description: 'SendSms chunks of up to 1000 numbers; verification codes go one number per call.',
          security: [{ bearerAuth: [] }],
          parameters: [IDEMPOTENCY_HEADER],
          requestBody: { required: true, content: { 'application/json': { schema: ref('SendRequest') } } },
          responses: { '202': accepted, ...WRITE_ERRORS },
        },
      },
      '/v1/batches': {
        post: {
          summary: 'Personalised messages (each number its own signature and params), one template',
          description: 'SendBatchSms chunks of up to 100 messages.',
          security: [{ bearerAuth: [] }],
          parameters: [IDEMPOTENCY_HEADER],
          requestBody: { required: true, content: { 'application/json': { schema: ref('SendBatchRequest') } } },
          responses: { '202': accepted, ...WRITE_ERRORS },
        },
      },
      '/v1/campaigns': {
        post: {
          summary: 'A recipient list: a CSV upload (settings in the query string) or a JSON body',
          description:
            'CSV (UTF-8, UTF-16 with a BOM or GB18030/GBK) or an .xlsx workbook: the first row names the number column (phone, mobile, 手机号, ...) and optional per-recipient template variables; without a header, one number per line. Nothing is fetched from URLs. A body over the CSV limit is refused whole before anything is enqueued.',
          security: [{ bearerAuth: [] }],
          parameters: [
            IDEMPOTENCY_HEADER,
            query('signName', 'CSV uploads only: the approved signature'),
            query('templateCode', 'CSV uploads only: the template, e.g. SMS_123456789'),
            query('templateParam', 'CSV uploads only: shared template params as a URL-encoded JSON object; CSV columns override them'),
            query('kind', 'CSV uploads only: verification, notification or marketing (default marketing)', false, { type: 'string', enum: [...MESSAGE_KINDS] }),
            query('name', 'CSV uploads only: a name for the campaign'),
            query('encoding', 'CSV uploads only: utf-8, utf-16le, utf-16be, gb18030 or gbk (default: recognised from the bytes)'),
            query('sheet', '.xlsx uploads only: the sheet to read (default: the first)'),
          ],
          requestBody: {
            required: true,
            content: {
              'text/csv': { schema: { type: 'string' }, example: 'phone,name\n13800138000,Li\n13900139000,Wang\n' },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } },
              'application/json': { schema: ref('CampaignRequest') },
            },
          },
          responses: { '202': accepted, ...WRITE_ERRORS },
        },
      },
      '/v1/sends/{id}': {
        get: {
          summary: 'A send: what was enqueued and its recipients per state',
          description:
            'With ?recipients=true, also a page of recipients (phone, state, code, bizId, sentAt, receivedAt, attempts) in send order, `limit` (default 1000, at most 10000) from `offset`, and `next` (the offset of the next page, or null).',
          security: [{ bearerAuth: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            query('recipients', 'true to list recipients', false, { type: 'string', enum: ['true', 'false'] }),
            query('limit', 'recipients per page (1..10000, default 1000)', false, { type: 'integer' }),
            query('offset', 'first recipient of the page (default 0)', false, { type: 'integer' }),
          ],
          responses: {
            '200': { description: 'The send', content: { 'application/json': { schema: ref('SendStatus') } } },
            '400': WRITE_ERRORS['400'],
            '401': WRITE_ERRORS['401'],
            '404': errorResponse('No such send, or it expired (SMSQ_NOT_FOUND)'),
          },
        },
      },
      '/v1/sends/{id}/pause': sendControl('Pause a send: no new chunk starts (within a second); other traffic flows'),
      '/v1/sends/{id}/resume': sendControl('Resume a paused send where it stopped; nobody is sent twice'),
      '/v1/sends/{id}/cancel': sendControl('Cancel a send: its queued recipients become cancelled'),
      '/v1/reports/{token}/sms-report': pushedReports('sms-report', 'Pushed delivery reports (SmsReport JSON array)'),
      '/v1/reports/{token}/sms-up': pushedReports('sms-up', 'Pushed replies (SmsUp JSON array); TD / T / 退订 opt a number out of marketing'),
      '/healthz': {
        get: {
          summary: 'The process is up (checks no dependency)',
          responses: { '200': { description: 'Up', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } } } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Redis answers and at least one worker serves the calls queue',
          responses: {
            '200': {
              description: 'Ready',
              content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ready' }, workers: { type: 'integer' } } } } },
            },
            '503': errorResponse('Not ready (SMSQ_NOT_READY); `issues` names redis or workers'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics: queue depths, recipients by state, Dysmsapi calls by operation and outcome, call latency, limiter waits, account block, auto-paused sends, unknown outcomes, worker heartbeats',
          responses: {
            '200': {
              description: 'Prometheus text format 0.0.4. While Redis does not answer: `smsq_redis_up 0` and the process metrics only',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/admin/queues': {
        get: {
          summary: 'Bull Board dashboard of every smsq queue (its JSON API is under /admin/queues/api/)',
          security: [{ dashboardAuth: [] }, { bearerAuth: [] }],
          responses: { '200': { description: 'The dashboard (HTML)' }, '401': errorResponse('Login required (SMSQ_UNAUTHORIZED)') },
        },
      },
    },
  };
  return cached;
}
