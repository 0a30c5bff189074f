/**
 * What the HTTP API answers, as zod schemas: the routes declare them (fastify types each handler's
 * replies by them), the OpenAPI document is generated from them, and a server built with
 * `checkResponses` (the tests) validates every answer against them before it leaves. They are
 * strict: a field the server returns that is not declared here fails the check, so the document
 * cannot fall behind the code. Each carries an `id` (its name under `components.schemas`) and
 * examples, which the contract test validates against the published document.
 */
import { z } from 'zod';
import { MESSAGE_KINDS } from '../src/queue/kinds.js';
import { COUNTED_STATES } from '../src/queue/send-store.js';
import { SEND_STATES } from '../src/queue/lifecycle.js';
import { HTTP_ERROR_CODES } from './errors.js';
import { SMSQ_CODES } from '../src/errors.js';
import { isoTime } from '../src/china-time.js';
import { inEnvironmentTerms } from '../src/setting-mention.js';

const count = z.number().int().min(0);
/**
 * A time: handlers give epoch ms (as the producer API does); the answer carries ISO 8601 in China
 * time with its offset (`2026-12-04T07:42:22.123+08:00`), smsq's one convention for JSON (src/china-time.ts).
 */
const epochMs = z
  .codec(z.number().int(), z.iso.datetime({ offset: true }), { decode: (ms) => isoTime(ms), encode: (iso) => Date.parse(iso) })
  .meta({ description: 'ISO 8601 in China time with its offset, e.g. `2026-12-04T07:42:22.123+08:00`' });

/**
 * Texts smsq wrote for any reader (a worker's durability refusal, kept in Redis, names the settings
 * as mentions: src/setting-mention.ts), said as the server and the CLI, configured by the
 * environment, name them (`SMSQ_DURABILITY=fsync`); a Node caller's getStatus reads its options.
 */
const inEnvironmentWords = z.codec(z.array(z.string()), z.array(z.string()), { decode: (texts) => texts.map(inEnvironmentTerms), encode: (texts) => texts });

/** Every code an error answer may carry: the one list's answered codes. */
const ANSWERED_CODES = Object.entries(SMSQ_CODES)
  .filter(([, info]) => info.httpStatus !== undefined)
  .map(([code]) => code) as [string, ...string[]];

export const FieldIssueSchema = z
  .strictObject({
    field: z.string().meta({ description: 'Path of the field, e.g. `phones[3]`, `templateParam.code`, `query.cursor`, `Idempotency-Key`, `(body):7`' }),
    message: z.string().meta({ description: 'What is wrong and how to fix it' }),
  })
  .meta({ id: 'FieldIssue', examples: [{ field: 'templateCode', message: 'must look like SMS_123456789 (see `smsq templates`)' }] });

export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ANSWERED_CODES).meta({ description: 'Stable code from the one list (src/errors.ts); match on it, not on the message' }),
      message: z.string().meta({ description: 'For people; a 500 names the request id the server log has the cause under' }),
      issues: z.array(FieldIssueSchema).min(1).optional().meta({ description: 'Present when individual fields are at fault' }),
    }),
  })
  .meta({
    id: 'Error',
    description: 'The one shape of every error answer, on every path',
    examples: [
      {
        error: {
          code: HTTP_ERROR_CODES[400],
          message: 'the request is invalid; nothing was enqueued',
          issues: [{ field: 'phone', message: 'is not a field of this request. Fix: remove it or check its spelling (see /openapi.json)' }],
        },
      },
      { error: { code: 'SMSQ_NOT_FOUND', message: 'send sm0000000000 not found' } },
    ],
  });

export const RejectedNumberSchema = z
  .strictObject({
    input: z.string().meta({ description: 'The number as given, each invisible character in it (a zero-width space, a BOM, a no-break space) written as its code point, `1380013800<U+200B>`, as the reason names it' }),
    reason: z.string().meta({ description: 'Why, after its place: `messages[3].phone: ...` (a batch, from 0), `recipients[12].phone: ...` (a JSON campaign list), `line 5: ...` (a file)' }),
    line: z.number().int().min(1).optional().meta({ description: 'The line (CSV) or row (workbook) of a campaign file it came from' }),
  })
  .meta({ id: 'RejectedNumber' });

export const EnqueueResultSchema = z
  .strictObject({
    sendId: z.string().meta({ description: 'Follow the send with GET /v1/sends/{id}' }),
    duplicate: z.boolean().meta({ description: 'True when the Idempotency-Key matched an earlier request whose enqueue had ended: this is its send, nothing new was enqueued' }),
    completedEarlier: z.boolean().meta({
      description:
        'True when an earlier request with the same Idempotency-Key and body had begun this send and was cut off (Redis went away, its process died): this one wrote what it lacked, so some recipients may have been enqueued (and sent) by the earlier one; `recipients` counts them all',
    }),
    recipients: count.meta({ description: 'Recipients queued (valid, deduplicated, not opted out)' }),
    rejected: z.array(RejectedNumberSchema).meta({ description: 'Numbers refused at the door, with the reason (a campaign lists the first 1000). A repeat under an Idempotency-Key lists those of the first request (a campaign whose key a version before 2026-12-06 kept: none, `rejectedCount` counts them)' }),
    rejectedCount: count.meta({ description: 'Every number refused at the door' }),
    duplicates: count.meta({ description: 'Repeated numbers dropped' }),
    suppressed: count.meta({ description: 'Numbers skipped because they opted out of marketing' }),
    chunks: count,
    apiCalls: count.meta({ description: 'Dysmsapi calls planned: one per chunk' }),
  })
  .meta({
    id: 'EnqueueResult',
    examples: [
      {
        sendId: 'smwv5mc6u4746b693ce1d',
        duplicate: false,
        completedEarlier: false,
        recipients: 2,
        rejected: [{ input: '12345', reason: 'a mainland mobile number has 11 digits, got 5', line: 4 }],
        rejectedCount: 1,
        duplicates: 0,
        suppressed: 0,
        chunks: 1,
        apiCalls: 1,
      },
    ],
  });

/** The waits that hold a send's calls, also said of a sent send's receipt look-ups (`lookupsHeld`). */
const AccountBlockedWait = z.strictObject({
  reason: z.literal('account-blocked'),
  code: z.string().meta({ description: 'The Dysmsapi code that blocked the account' }),
  detail: z.string(),
  since: epochMs,
  worker: z
    .strictObject({ host: z.string(), pid: z.number().int().positive(), name: z.string().optional() })
    .optional()
    .meta({ description: 'The worker process that hit the block (absent in a block written by an earlier version): one worker with a wrong environment blocks them all' }),
});

/** What the two back-off waits (an endpoint, a worker's own setup) both say of the workers. */
const backingOff = {
  workers: count.meta({ description: 'Live workers backing off (every live worker does)' }),
  until: epochMs.meta({ description: 'When the first of their back-off steps ends (just past while it takes a job again)' }),
};

const EndpointUnreachableWait = z
  .strictObject({
    reason: z.literal('endpoint-unreachable'),
    ...backingOff,
    fault: z.string().meta({ description: 'The code they meet: `ConnectionRefused` (nothing listens there) or `HostNotFound` (its name does not resolve)' }),
    endpoint: z.string().meta({ description: "SMS_ENDPOINT's host[:port] they cannot reach (never a credential); empty when not known" }),
    others: z
      .array(z.strictObject({ fault: z.string(), endpoint: z.string() }))
      .optional()
      .meta({ description: 'Any other code and endpoint some of them meet' }),
  })
  .meta({
    description:
      'Recipients are left to send (or in doubt, waiting for their look-up) and every live worker backs off from an SMS_ENDPOINT it cannot reach (1 s doubling to 60 s): they take no job and put back what they took, counting no attempt; jobs wait, nothing is lost. They go on at the first answered call: fix SMS_ENDPOINT or the network',
  });

const WorkerSetupFaultWait = z
  .strictObject({
    reason: z.literal('worker-setup-fault'),
    ...backingOff,
    fault: z.string().meta({ description: '`RequestNotBuilt.Setup`: Node refused a header built from the worker\'s own setup (its AccessKey ID or STS token, its userAgent option)' }),
    others: z
      .array(z.strictObject({ fault: z.string(), endpoint: z.string() }))
      .optional()
      .meta({ description: 'Any other fault some of them meet, with the SMS_ENDPOINT host[:port] of an endpoint fault (empty otherwise)' }),
  })
  .meta({
    description:
      "Recipients are left to send (or in doubt, waiting for their look-up) and every live worker backs off (1 s doubling to 60 s) because its own setup cannot build a request: the AccessKey ID or STS token its credential provider returned holds a line break or another character no HTTP header can carry. They take no job and put back what they took, counting no attempt; jobs wait, nothing is lost. Each worker's log names the setting and its fix; they go on at the first answered call",
  });

const ThrottledWait = z.strictObject({
  reason: z.literal('throttled'),
  until: epochMs.meta({ description: 'When the latest pause of every worker ends (past once it has, while `times` throttle answers of the last minute still explain the wait)' }),
  times: count.optional().meta({ description: 'Throttle answers in the last minute' }),
  actions: z
    .array(z.string())
    .optional()
    .meta({ description: 'The Dysmsapi actions the latest throttle answers were to (`SendSms`, `SendBatchSms`, `QuerySendDetails`), most first: look-ups throttled share the cap with sends' }),
});

const NoWorkerWait = z
  .strictObject({
    reason: z.literal('no-worker'),
    quietUntil: epochMs.optional().meta({ description: 'A marketing send with queued recipients inside quiet hours: when they end; a worker started before then holds its chunks until then' }),
  })
  .meta({ description: 'No worker serves the prefix (none connected to the queue, no heartbeat in the last 3 s): nothing is sent until one starts; `pace` is left out meanwhile. Named before quiet hours, which hold no longer' });

export const SendStatusSchema = z
  .strictObject({
    send: z.strictObject({
      sendId: z.string(),
      kind: z.enum(MESSAGE_KINDS),
      api: z.enum(['SendSms', 'SendBatchSms']).meta({ description: 'The API its chunks go by; for a campaign that mixes rows with params of their own (SendBatchSms) and rows without (SendSms), the one most of its chunks use' }),
      templateCode: z.string(),
      signName: z.string().meta({ description: 'SendSms: the signature; SendBatchSms: the distinct signatures, comma-separated' }),
      smsUpExtendCode: z.string().optional().meta({
        description:
          "The extension code (SmsUpExtendCode) its recipients go out with: a send's or a campaign's; a batch's distinct codes, comma-separated, past the first ten counted (`01,02,...,10 and 90 more`). Absent when none has one, and for a send enqueued before smsq recorded it",
      }),
      name: z.string().optional(),
      idempotencyKey: z.string().optional(),
      callbackUrl: z.string().optional().meta({ description: 'Receives the final state of the send, signed' }),
      deadline: epochMs.optional().meta({ description: 'Chunks not sent by then expire (ms since the epoch)' }),
      recipients: count.meta({
        description: 'Recipients queued (valid, deduplicated). With `recipientsSoFar`, the enqueue has not recorded its total yet: those written so far',
      }),
      recipientsSoFar: z
        .literal(true)
        .optional()
        .meta({ description: 'Present while its enqueue has not finished and its total is not recorded (a campaign records it at the end): `recipients` counts those written so far; `rejected` and `duplicates` come with the total' }),
      rejected: count.nullable().meta({
        description:
          'Numbers refused at the door; null when never recorded: its enqueue was ended at the chunks written (`code` SMSQ_ENQUEUE_CUT_SHORT or SMSQ_ENQUEUE_ABANDONED) before its producer recorded them (a campaign does at its end)',
      }),
      duplicates: count.nullable().meta({ description: 'Rows dropped as duplicates; null when never recorded, as for `rejected`' }),
      chunks: count,
      createdAt: epochMs,
      state: z.enum(SEND_STATES).meta({
        description:
          'The send lifecycle (docs/lifecycle.md): `enqueuing` → `active` → `sent` (every recipient past the API) → `completed` (every recipient final); `paused` by an operator or auto-pause, or withdrawn (an enqueue not confirmed durable, held for its retry); it ends `completed`, `cancelled`, `expired` (its deadline left recipients unsent) or `failed` (as a whole, see `code`)',
      }),
      stateChangedAt: epochMs.meta({ description: 'When it reached `state` (ms since the epoch)' }),
      history: z
        .array(z.strictObject({ state: z.enum(SEND_STATES), at: epochMs }))
        .meta({ description: 'Every change of state, oldest first (ms since the epoch)' }),
      enqueuedAt: epochMs.optional().meta({ description: 'When its enqueue finished (absent while enqueuing)' }),
      code: z.string().optional().meta({ description: 'Why the whole send failed (e.g. an unusable signature)' }),
      reason: z.string().optional(),
      control: z.enum(['active', 'paused', 'cancelled']).meta({ description: 'What an operator asked for, from `state`: `paused` stops new chunks, `cancelled` ends the rest' }),
      controlReason: z.string().optional(),
    }),
    counts: z
      .strictObject(Object.fromEntries([...COUNTED_STATES, 'rejected'].map((state) => [state, count])) as Record<(typeof COUNTED_STATES)[number] | 'rejected', typeof count>)
      .meta({ description: 'Recipients per state; `rejected` are the numbers refused at the door (0 where `send.rejected` is null: none recorded)' }),
    wait: z
      .discriminatedUnion('reason', [
        z.strictObject({ reason: z.literal('enqueuing') }),
        z.strictObject({ reason: z.literal('quiet-hours'), until: epochMs.meta({ description: 'When the marketing quiet window opens' }) }),
        z
          .strictObject({
            reason: z.literal('quiet-hours-disagree'),
            settings: z.array(z.string()).meta({ description: "The live workers' distinct SMSQ_QUIET_HOURS (`off`: none)" }),
            until: epochMs.optional().meta({ description: 'When the first of them opens, when every one holds now' }),
          })
          .meta({ description: 'Marketing with queued recipients, and the live workers have different quiet hours, one of which holds now: which worker takes a chunk decides' }),
        z
          .strictObject({ reason: z.literal('paused'), by: z.enum(['operator', 'auto-pause', 'stopped', 'withdrawn']), detail: z.string() })
          .meta({ description: 'Paused by an operator or auto-pause (`detail`: the recorded reason); `withdrawn`: its enqueue was not confirmed durable and was refused SMSQ_NOT_DURABLE, and it waits for the retry of that request (same Idempotency-Key) to resume it; the repair sweep cancels it if none comes within SMSQ_REPAIR_ENQUEUE_GRACE_MS' }),
        AccountBlockedWait,
        z
          .strictObject({
            reason: z.literal('durability-held'),
            workers: count.meta({ description: 'Live workers that hold their claims (said so within the last minute)' }),
            refusals: inEnvironmentWords.meta({ description: 'Their distinct reasons: the setting Redis no longer keeps, and its fix (e.g. `CONFIG SET appendfsync always`)' }),
          })
          .meta({
            description:
              'Recipients are queued and workers make no new call because Redis does not keep their SMSQ_DURABILITY (appendfsync or no-appendfsync-on-rewrite changed while they run, or Redis came back configured otherwise): jobs wait, nothing is lost; they go on once Redis keeps it again',
          }),
        EndpointUnreachableWait,
        WorkerSetupFaultWait,
        ThrottledWait,
        z
          .strictObject({ reason: z.literal('flow-control'), retryAt: epochMs.meta({ description: 'When its queued chunks go again' }) })
          .meta({ description: 'Every queued chunk of the send was refused by per-number flow control (isv.BUSINESS_LIMIT_CONTROL) and waits for the next window' }),
        z
          .strictObject({
            reason: z.literal('worker-lost'),
            chunks: count,
            recipients: count,
            checkEveryMs: count.meta({ description: "How often a running `smsq worker`'s stalled-job check hands such a job back (ms)" }),
            noWorker: z.literal(true).optional().meta({ description: 'No worker runs to take the job back' }),
          })
          .meta({
            description:
              "The worker calling `chunks` chunks (`recipients` recipients) stopped mid-call (killed, or held up past its BullMQ job lock): they stay `sending` until a worker's stalled-job check takes the job back, and are looked up (QuerySendDetails) before anything is resent",
          }),
        z
          .strictObject({
            reason: z.literal('job-failed'),
            chunks: count,
            recipients: count,
            jobId: z.string().meta({ description: 'One of the failed jobs (its BullMQ id, as Bull Board shows it)' }),
            failedReason: z.string().meta({ description: "BullMQ's reason for that job's failure" }),
          })
          .meta({
            description:
              '`chunks` chunks (`recipients` recipients) were left `queued`, `sending` or `unknown` by a send or look-up job BullMQ failed without smsq recording it, and no job of theirs will act: the repair sweep looks them up (QuerySendDetails) before anything is resent, at its next round',
          }),
        z
          .strictObject({ reason: z.literal('job-missing'), chunks: count, recipients: count })
          .meta({
            description:
              '`chunks` chunks (`recipients` recipients) are `queued`, `sending` or `unknown`, unchanged for a minute, with no job in the queue (removed, or lost with Redis writes): the repair sweep looks them up (QuerySendDetails) before anything is resent, at its next round. Looked for in a send of at most 64 chunks',
          }),
        z
          .strictObject({
            reason: z.literal('in-doubt'),
            recipients: count,
            retryWithinMs: count.meta({ description: 'The longest wait before a look-up that could not be made (Dysmsapi not answering) is tried again (ms)' }),
          })
          .meta({
            description:
              "`recipients` recipients are in doubt (`unknown`): their call timed out or failed in transit, so whether Dysmsapi accepted it is not known; each is looked up (QuerySendDetails) before anything is resent",
          }),
        NoWorkerWait,
        z
          .strictObject({
            reason: z.literal('receipts'),
            pending: count,
            until: epochMs.meta({ description: 'When the receipt window of the last recipient sent ends: those still without a receipt then expire' }),
            lookups: z.string().meta({ description: "The send's kind in SMSQ_RECEIPT_LOOKUPS, which decides which are looked up: `marketing=sample:0.05`, `notification=all`, `marketing=none`" }),
            lookedUp: count.optional().meta({ description: 'Of `pending`, those looked up (QuerySendDetails) until their receipt comes' }),
            pushedOnly: count.optional().meta({ description: 'Of `pending`, those not looked up (out of the sample, or `none`): only a pushed report settles them, or they expire at `until`' }),
            lookedUpAbout: count
              .optional()
              .meta({ description: 'Given instead of `lookedUp` and `pushedOnly` for a sampled send too large to count on each status (over 64 chunks or 10,000 recipients): the sample\'s share of `pending`, at most' }),
            lookupsHeld: z
              .discriminatedUnion('reason', [AccountBlockedWait, NoWorkerWait, EndpointUnreachableWait, WorkerSetupFaultWait, ThrottledWait])
              .optional()
              .meta({ description: 'What keeps the workers from looking up (QuerySendDetails) those looked up now, as the wait of that reason says it: the account blocked, no worker, every worker backing off, a throttle pause. Absent when nothing does, and when none is looked up (a pushed report needs no worker)' }),
          })
          .meta({ description: 'Everything is sent and `pending` recipients wait for a receipt' }),
      ])
      .optional()
      .meta({ description: 'Why the send waits now; absent while it moves and once it has ended (docs/receipts-and-controls.md, "Why a send waits")' }),
    pace: z
      .strictObject({
        rate: z.number().min(0).meta({ description: 'Recipients past the API per second while the send was active' }),
        estimatedSentAt: epochMs.optional().meta({ description: 'When every recipient should be past the API at that rate' }),
      })
      .optional()
      .meta({ description: 'How fast the send goes; present only while it is `active` and a worker serves its prefix (absent while it enqueues or is paused, while no worker runs, once it is sent, and once it has ended)' }),
  })
  .meta({
    id: 'SendStatus',
    examples: [
      {
        send: {
          sendId: 'smwv5m7pf01956b6f2f7c',
          kind: 'notification',
          api: 'SendSms',
          templateCode: 'SMS_900000002',
          signName: 'smsq沙箱',
          idempotencyKey: 'order-1001-shipped',
          recipients: 2,
          rejected: 0,
          duplicates: 0,
          chunks: 1,
          createdAt: '2026-11-25T04:35:30.819+08:00',
          state: 'sent',
          stateChangedAt: '2026-11-25T04:35:31.104+08:00',
          history: [
            { state: 'enqueuing', at: '2026-11-25T04:35:30.819+08:00' },
            { state: 'active', at: '2026-11-25T04:35:30.840+08:00' },
            { state: 'sent', at: '2026-11-25T04:35:31.104+08:00' },
          ],
          enqueuedAt: '2026-11-25T04:35:30.840+08:00',
          control: 'active',
        },
        counts: { queued: 0, sending: 0, unknown: 0, accepted: 1, delivered: 1, failed: 0, expired: 0, cancelled: 0, suppressed: 0, rejected: 0 },
        wait: { reason: 'receipts', pending: 1, until: '2026-11-28T04:35:31.104+08:00', lookups: 'notification=all', lookedUp: 1, pushedOnly: 0 },
      },
    ],
  });

export const SendListSchema = z
  .strictObject({
    sends: z.array(SendStatusSchema).meta({ description: 'Newest first' }),
    next: z
      .string()
      .nullable()
      .meta({ description: 'The cursor of the next page (pass it as `cursor`); null when there is none. A filtered page may hold fewer sends than `limit` while `next` is not null' }),
  })
  .meta({ id: 'SendList' });

export const RecipientSchema = z
  .strictObject({
    phone: z.string().meta({ description: 'The number; `(unreadable)` for a recipient of a chunk whose stored payload does not parse (code `SMSQ_PAYLOAD_UNREADABLE`)' }),
    state: z.enum(['queued', 'sending', 'unknown', 'accepted', 'delivered', 'failed', 'expired', 'cancelled', 'suppressed', 'rejected']).meta({
      description: '`sending`: in a call now; `unknown`: in doubt, its call timed out or failed in transit, looked up (QuerySendDetails) before any resend; `accepted`: Dysmsapi took it, the receipt is awaited; `suppressed`: opted out of marketing; `rejected`: refused at the door',
    }),
    code: z.string().optional().meta({ description: '`DELIVERED`, the carrier\'s or Dysmsapi\'s code, or an SMSQ_* outcome code' }),
    bizId: z.string().optional().meta({ description: 'Dysmsapi\'s BizId of the call that carried it' }),
    attempts: count.meta({
      description: 'Attempts of its chunk that made a Dysmsapi call, or may have (one whose worker was lost mid-call counts: it is looked up before any resend). At most one is ever accepted',
    }),
    attemptsUndone: count
      .optional()
      .meta({
        description:
          'Attempts of its chunk undone before their call, none made (the worker stopping, `SMSQ_SHUTDOWN`; a claim not confirmed durable; held past the call deadline, `SMSQ_CLAIM_EXPIRED`; the account paused by a throttle answer, `SMSQ_ACCOUNT_PAUSED`); not in `attempts`. Present when there is one',
      }),
    sentAt: epochMs.optional().meta({ description: 'When the current attempt was sent; absent while queued (a try refused for now, e.g. by per-number flow control, is not a sending)' }),
    receivedAt: epochMs.optional().meta({ description: 'When the handset received it, from the receipt' }),
    receivedAtFromPush: z
      .literal(true)
      .optional()
      .meta({ description: 'Present when `receivedAt` is when smsq received the pushed report: the report\'s own `report_time` was missing, not a time, or not one its receipt can have' }),
    chunkId: z.string().optional().meta({ description: 'The chunk (one API call) it travels in; absent for numbers without one' }),
  })
  .meta({ id: 'Recipient' });

export const RecipientPageSchema = z
  .strictObject({
    sendId: z.string(),
    recipients: z.array(RecipientSchema),
    next: z.string().nullable().meta({ description: 'The cursor of the next page (pass it as `cursor`); null when this page is the last' }),
  })
  .meta({
    id: 'RecipientPage',
    examples: [
      {
        sendId: 'smwv5m7pf01956b6f2f7c',
        recipients: [
          { phone: '13800138000', state: 'delivered', code: 'DELIVERED', bizId: '900000000001^0', attempts: 1, sentAt: '2026-11-25T04:35:31.004+08:00', receivedAt: '2026-11-25T04:35:34.000+08:00', chunkId: 'smwv5m7pf01956b6f2f7c.0' },
          { phone: '12345', state: 'rejected', code: 'SMSQ_INVALID_NUMBER', attempts: 0 },
        ],
        next: 'WzEsInNtd3Y1bTdwZjAxOTU2YjZmMmY3YyIsInUiLDFd',
      },
    ],
  });

export const PushAcceptedSchema = z
  .strictObject({ code: z.literal(0), msg: z.string() })
  .meta({ id: 'PushAccepted', description: 'What Alibaba expects for a push it should not repeat', examples: [{ code: 0, msg: '接收成功' }] });

export const HealthSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health', examples: [{ status: 'ok' }] });

export const ReadySchema = z
  .strictObject({
    status: z.literal('ready'),
    workers: z.number().int().min(1).meta({ description: 'Workers serving the calls queue: those that beat in the last minute while one beat in the last 3 s (one that exited at once counts until its last beat is a minute old), else those connected to it' }),
    warnings: z
      .array(z.string())
      .optional()
      .meta({ description: "What does not stop the sending but should be fixed, each with its fix: a live worker's clock off Redis's by more than its SMSQ_CLOCK_SKEW_WARN_MS. Absent when none" }),
  })
  .meta({ id: 'Ready', examples: [{ status: 'ready', workers: 2 }] });

export const PrometheusText = z.string().meta({
  description: 'Prometheus text format 0.0.4',
  examples: ['# HELP smsq_queue_jobs Jobs per BullMQ state\n# TYPE smsq_queue_jobs gauge\nsmsq_queue_jobs{queue="calls",state="waiting"} 0\n'],
});

export const HtmlPage = z.string().meta({ description: 'An HTML page' });

const jsonObject = z.record(z.string(), z.unknown());

export const OpenApiDocumentSchema = z
  .strictObject({
    openapi: z.literal('3.1.0'),
    info: z.strictObject({ title: z.string(), version: z.string(), description: z.string() }),
    components: z.strictObject({ securitySchemes: jsonObject, schemas: jsonObject }),
    paths: z.record(z.string(), jsonObject),
  })
  .meta({ description: 'This document' });
