/**
 * What the pipeline commands (send, send-batch, campaign, status, resume, worker) share: a Redis
 * connection, a producer, a template lookup for param checks, and the plan restatement that a
 * send shows before it asks for confirmation.
 */
import type { RedisConnection, RedisConnectionOptions } from '../src/queue/connection.js';
import { readRedisClientCertificate } from '../src/queue/redis-client-certificate.js';
import { createProducer, type EnqueueResult, type Producer } from '../producers/producer.js';
import { traceProducer } from '../producers/traced-producer.js';
import type { SendPlan } from '../producers/plan.js';
import { receiptScheduleOf, type Config } from '../src/config.js';
import { EXIT, redisDoesNotAnswer, RedisUnavailableError } from '../src/errors.js';
import { clientCommandTimeoutMs, createRedisConnection, redactRedisUrl, type RedisRole } from '../src/queue/connection.js';
import { createRedisGate } from '../src/queue/redis-gate.js';
import { createCatalogLookup, type CatalogEntry, type CatalogLookup } from '../src/queue/catalog-lookup.js';
import { showInvisible } from '../src/sms/code-points.js';
import { countSegments, renderContent, type SegmentCount } from '../src/sms/segments.js';
import type { Queue } from 'bullmq';
import { openQueue } from '../src/queue/calls-queue.js';
import { createEmitterErrorLog } from '../src/queue/emitter-errors.js';
import { CALLS_QUEUE } from '../src/queue/keys.js';
import { NO_WORKER_MEANS, workersSeen as countWorkers } from '../src/queue/worker-presence.js';
import { redisNowMs } from '../src/clock-skew.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { formatCounts, renderFields, renderTable } from './format.js';
import { DRY_RUN_NOTE, type SendCommandFlags } from './send-flags.js';
import { rideRedisOutages, WATCH_REDIS_RETRY_MS } from './watch-redis-outage.js';
import { waitForSend, whyItWaits, type WaitResult } from './wait-for-send.js';
import { inFlagTerms } from './request-flags.js';
import type { SendStatus } from '../src/queue/send-store.js';
import { exitCodeOfStop, pause, stopJson, stopNote, watchForStop, type WaitStop } from './wait-stop.js';
import { UNSENT_CHUNK_STATES } from '../src/queue/lifecycle.js';
import { countIn } from '../src/receipts/completion.js';
import { clockTime, formatTime, isoTime } from '../src/china-time.js';
import { statusJson } from './status-json.js';
import { quietHoursText, type QuietHours } from '../src/queue/quiet-hours.js';
import type { MessageKind } from '../src/queue/kinds.js';

/**
 * A Redis connection closed when the command ends. `client` (default): commands fail at once
 * while Redis is down (one-shot commands, the server); `worker`: they wait through an outage.
 */
export function openRedis(ctx: CliContext, role: RedisRole = 'client'): RedisConnection {
  const connectTimeoutMs = ctx.config.redisConnectTimeoutMs;
  const commandTimeoutMs = clientCommandTimeoutMs(connectTimeoutMs, ctx.config.durability.timeoutMs);
  const redis = createRedisConnection(ctx.config.redisUrl, { role, connectTimeoutMs, commandTimeoutMs, ...clientCertificateOf(ctx.config) });
  // Connection errors surface once: as SMSQ_REDIS_UNAVAILABLE from the gate, or the Redis watch's line.
  redis.on('error', () => {});
  ctx.onClose(() => void redis.disconnect());
  return redis;
}

/** The connection option of SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY, read now (ConfigError when they cannot be); none when unset. */
export function clientCertificateOf(config: Pick<Config, 'redisClientCertificate'>): Pick<RedisConnectionOptions, 'clientCertificate'> {
  return config.redisClientCertificate === undefined ? {} : { clientCertificate: readRedisClientCertificate(config.redisClientCertificate) };
}

/** A `client` connection that answers, or SMSQ_REDIS_UNAVAILABLE within SMSQ_REDIS_CONNECT_TIMEOUT_MS. */
export async function openReadyRedis(ctx: CliContext): Promise<RedisConnection> {
  const redis = openRedis(ctx);
  await createRedisGate({ redis, timeoutMs: ctx.config.redisConnectTimeoutMs, redactedUrl: redactRedisUrl(ctx.config.redisUrl) }).ready();
  return redis;
}

/**
 * The account's signatures and templates for the door check: GetSmsSign / GetSmsTemplate through
 * the account-wide pacer, approved answers cached in this process and in Redis for
 * SMSQ_CATALOG_CACHE_MS (so a script that runs `smsq send` per code pays the look-ups once).
 */
export function openCatalog(ctx: CliContext, redis: RedisConnection): CatalogLookup {
  const catalog = createCatalogLookup({
    client: async () => (await ctx.sms()).client,
    redis,
    prefix: ctx.config.prefix,
    qps: ctx.config.qps,
    ttlMs: ctx.config.catalogCacheMs,
    logger: ctx.logger,
  });
  // A `client` connection refuses commands until it is connected: look-ups wait behind the same
  // bounded gate as the producer's calls (SMSQ_REDIS_UNAVAILABLE when Redis does not answer).
  const gate = createRedisGate({ redis, timeoutMs: ctx.config.redisConnectTimeoutMs, redactedUrl: redactRedisUrl(ctx.config.redisUrl) });
  return {
    sign: (signName) => gate.run(() => catalog.sign(signName)),
    template: (templateCode) => gate.run(() => catalog.template(templateCode)),
  };
}

/**
 * Each look-up made once for the command, its one request: the plan, the enqueue and the plan's
 * template content all read it, and a look-up Dysmsapi did not answer (not remembered by the
 * catalog) was made, waited out and warned about once each time (producers/account-check.ts says
 * a look-up's skip once).
 */
function onceEach(catalog: CatalogLookup): CatalogLookup {
  const seen = new Map<string, Promise<CatalogEntry<unknown>>>();
  const once = <T>(key: string, look: () => Promise<CatalogEntry<T>>): Promise<CatalogEntry<T>> => {
    let entry = seen.get(key) as Promise<CatalogEntry<T>> | undefined;
    if (!entry) {
      entry = look();
      seen.set(key, entry);
      // A refusal (Redis not answering) is the command's end, not a look-up to keep.
      entry.catch(() => seen.delete(key));
    }
    return entry;
  };
  return {
    sign: (signName) => once(`sign:${signName}`, () => catalog.sign(signName)),
    template: (templateCode) => once(`template:${templateCode}`, () => catalog.template(templateCode)),
  };
}

/**
 * A producer that checks every request against the account before anything is enqueued (see
 * producers/account-check.ts), and the template's content for the plan restatement (from the same
 * cached look-up).
 */
export interface CliProducer {
  producer: Producer;
  templateContent(code: string): Promise<string | undefined>;
  /** Workers seen on SMSQ_PREFIX (see src/queue/worker-presence.ts). */
  workersSeen(): Promise<number | undefined>;
}

export function openProducer(ctx: CliContext): CliProducer {
  const redis = openRedis(ctx);
  const catalog = onceEach(openCatalog(ctx, redis));
  const templateContent = async (code: string) => {
    const entry = await catalog.template(code);
    return entry.state === 'found' ? entry.detail.templateContent : undefined;
  };
  const tracing = ctx.tracing;
  const untraced = createProducer({
    telemetry: tracing?.bullmq,
    // The command's clock (a test's, set to an hour): what the producer judges by it (quiet hours in
    // a send's wait, deadlines) is judged at the same time as what the command prints.
    ...(ctx.deps.clock ? { clock: ctx.deps.clock } : {}),
    redis,
    prefix: ctx.config.prefix,
    logger: ctx.logger,
    catalog,
    retention: ctx.config.retention,
    callbacks: ctx.config.callbackSecret !== undefined,
    durability: ctx.config.durability,
    waits: { quietHours: ctx.config.quietHours, receiptWindowMs: receiptScheduleOf(ctx.config).windowMs, receiptLookups: ctx.config.receiptLookups },
    connectTimeoutMs: ctx.config.redisConnectTimeoutMs,
    redactedRedisUrl: redactRedisUrl(ctx.config.redisUrl),
  });
  // With OTEL_* set, each enqueue starts a trace that the send's jobs continue.
  const producer = tracing ? traceProducer(untraced, tracing.spans) : untraced;
  ctx.onClose(() => producer.close());
  let queue: Queue | undefined;
  const workersSeen = async () => {
    if (!queue) {
      // With a listener: BullMQ prints an 'error' nobody listens to (a Redis gone mid-command) as a raw object on stderr.
      const opened = openQueue(CALLS_QUEUE, { connection: redis, prefix: ctx.config.prefix, onError: createEmitterErrorLog({ logger: ctx.logger })('calls queue') });
      ctx.onClose(() => opened.close());
      queue = opened;
    }
    // On Redis's time, not this CLI's: the workers beat on clocks kept near it, and a laptop's may be a minute off.
    return countWorkers({ redis, prefix: ctx.config.prefix, queue }, await redisNowMs(redis));
  };
  return { producer, templateContent, workersSeen };
}

/** How long after an enqueue a worker may take to show up (one started just before the command). */
const WORKER_GRACE_MS = 2000;

/**
 * Warns (stderr) when no worker serves SMSQ_PREFIX after an enqueue: the send would wait in Redis
 * unseen, and `--wait` would wait until its `--timeout`. A worker started just before the command
 * is given {@link WORKER_GRACE_MS} to connect; a look-up that fails says nothing (the send is in),
 * and neither does a command stopped meanwhile (`stop` aborted: it says why it stopped instead).
 */
export async function warnIfNoWorker(ctx: CliContext, workersSeen: () => Promise<number | undefined>, stop?: AbortSignal): Promise<void> {
  // Monotonic time, not the CLI's clock: a test's frozen clock must not make this endless.
  const deadline = performance.now() + WORKER_GRACE_MS;
  for (;;) {
    const seen = await workersSeen().catch(() => undefined);
    if (seen !== 0 || stop?.aborted) return;
    if (performance.now() >= deadline) break;
    await pause(250, stop);
    if (stop?.aborted) return;
  }
  ctx.note(
    `warning: no worker serves SMSQ_PREFIX=${ctx.config.prefix} (${NO_WORKER_MEANS}): the send waits in Redis until one starts. Fix: smsq worker, with the same REDIS_URL and SMSQ_PREFIX`,
  );
}

/** Segments of one message: the content rendered with the signature and params, when the content is known. */
export function segmentsFor(sign: string, content: string | undefined, params: Record<string, string> | undefined): SegmentCount | undefined {
  if (content === undefined) return undefined;
  return countSegments(renderContent(sign, content, params ?? {}));
}

/**
 * The text the plan's first recipient gets: `【sign】` and the content with the params in, when the
 * content is known. Every recipient's for SendSms; for SendBatchSms each has its own signature and params.
 */
export function firstMessageOf(plan: SendPlan, content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  const sign = plan.signName.split(',')[0] ?? '';
  const first = plan.chunks[0];
  const params = first?.api === 'SendSms' ? first.templateParam : first?.templateParams?.[0];
  return renderContent(sign, content, params ?? {});
}

/** Segment counts for the plan, when the template's content is known. */
export function segmentsOf(plan: SendPlan, content: string | undefined): { perMessage: number; total: number; chars: number } | undefined {
  const message = firstMessageOf(plan, content);
  if (message === undefined) return undefined;
  const seg = countSegments(message);
  return { perMessage: seg.segments, total: seg.segments * plan.recipients, chars: seg.chars };
}

/** The first `n` items comma-separated, then `, … (M more)` when there are more. */
function firstOf(items: readonly string[], n: number): string {
  return items.slice(0, n).join(', ') + (items.length > n ? `, … (${items.length - n} more)` : '');
}

/**
 * The plan's word on quiet hours, for marketing: when they hold it (planned inside them), or the
 * window it will wait through. Nothing for other kinds, or without quiet hours.
 */
export function quietHoursLine(kind: MessageKind, until: number | undefined, quietHours: QuietHours | undefined): (readonly [string, string])[] {
  if (kind !== 'marketing' || !quietHours) return [];
  const window = `${quietHoursText(quietHours)} China time`;
  if (until) return [['quiet hours', `now (${window}): nothing is sent before ${clockTime(until)} China time (${formatTime(until)})`]];
  return [['quiet hours', `not now; marketing waits through ${window}`]];
}

/** The plan's extension code: a send's, a batch's codes and how many of its messages go without one, or (none). */
function extendCodeText(plan: SendPlan): string {
  if (plan.smsUpExtendCode === undefined) return '(none)';
  // A batch's messages without a code go in chunks of their own (producers/chunking.ts).
  const without = plan.chunks.reduce((n, c) => ((c.api === 'SendSms' ? c.smsUpExtendCode : c.smsUpExtendCodes) === undefined ? n + c.phones.length : n), 0);
  return without === 0 ? plan.smsUpExtendCode : `${plan.smsUpExtendCode} (${without} message${without === 1 ? '' : 's'} without)`;
}

/** The plan, restated for a human before confirmation (and for `--dry-run`). */
export function renderPlan(plan: SendPlan, content: string | undefined, quietHours?: QuietHours): string {
  const seg = segmentsOf(plan, content);
  const message = firstMessageOf(plan, content);
  const phones = plan.chunks.flatMap((c) => c.phones);
  const lines = [
    renderFields([
      ['kind', plan.kind],
      ['numbers', `${plan.recipients} (${firstOf(phones, 5)})`],
      ['signature', plan.signName],
      ['template', plan.templateCode],
      ['extension code', extendCodeText(plan)],
      ['params', plan.templateParam ? JSON.stringify(plan.templateParam) : plan.api === 'SendBatchSms' ? 'per recipient' : '(none)'],
      ['content', content ?? '(template content unknown)'],
      ...(message === undefined ? [] : ([[plan.api === 'SendBatchSms' ? 'first message' : 'message', message]] as const)),
      ['chunks / API calls', `${plan.chunks.length} ${plan.api} call${plan.chunks.length === 1 ? '' : 's'}`],
      ['SMS segments', seg ? `${seg.perMessage} per message (${seg.chars} chars), ${seg.total} in total` : 'unknown'],
      ['duplicates dropped', plan.duplicates],
      ['opted out (skipped)', plan.suppressed.length],
      ['rejected numbers', plan.rejected.length],
      ...(plan.deadline ? ([['deadline', formatTime(plan.deadline)]] as const) : []),
      ...quietHoursLine(plan.kind, plan.quietUntil, quietHours),
    ]),
  ];
  if (plan.suppressed.length) lines.push(`opted out, skipped: ${firstOf(plan.suppressed, 20)}`);
  const rejected = renderRejected(plan.rejected, plan.rejected.length);
  if (rejected) lines.push(rejected);
  return lines.join('\n');
}

/** How many refused inputs a plan or an enqueue lists; the rest are counted. */
const REJECTED_SHOWN = 20;

/**
 * The refused inputs with their reasons (the first {@link REJECTED_SHOWN} of `listed`), and how
 * many more of `count` there are; '' when none. `sendId`: where the rest can be read.
 */
export function renderRejected(listed: readonly { input: string; reason: string }[], count: number, sendId?: string): string {
  if (count === 0 || listed.length === 0) return '';
  const shown = listed.slice(0, REJECTED_SHOWN);
  // A reason names a setting as the API's field; the table is read by someone who typed flags (--json keeps the API's words).
  const table = renderTable([{ header: 'rejected' }, { header: 'reason' }], shown.map((r) => [showInvisible(r.input), inFlagTerms(r.reason)]));
  if (count <= shown.length) return table;
  const where = sendId === undefined ? '' : ` (smsq status ${sendId} --recipients lists them)`;
  return `${table}\n… and ${count - shown.length} more${where}`;
}

/**
 * Asks for confirmation on a terminal (callers skip it under `--yes`). Without a terminal it
 * refuses rather than guess (exit 2, nothing enqueued).
 */
export async function confirmOrRefuse(ctx: CliContext, question: string): Promise<boolean> {
  if (!ctx.deps.confirm) {
    throw new UsageError('refusing to send without confirmation: no terminal to ask on. Fix: review the plan above (or use --dry-run) and add --yes');
  }
  return ctx.deps.confirm(question);
}

/** The result of an enqueue, for humans. */
export function renderEnqueued(res: EnqueueResult): string {
  const fields = renderFields([
    ['send id', res.sendId],
    ['queued recipients', res.recipients],
    ['rejected', res.rejectedCount],
    ['duplicates dropped', res.duplicates],
    ['opted out (skipped)', res.suppressed],
    ['chunks / API calls', res.apiCalls],
    ...(res.duplicate ? ([['note', 'idempotency key seen before: this is the first request\'s send, nothing new was enqueued']] as const) : []),
  ]);
  // A count alone left the operator to find which lines were refused, and why.
  return [fields, renderRejected(res.rejected, res.rejectedCount, res.sendId)].filter(Boolean).join('\n');
}

/** What a second signal leaves once a send is enqueued (the process exits right after): its result, and that it goes on. */
export function sayForcedExitAfterEnqueue(ctx: CliContext, json: boolean, res: EnqueueResult, signal: string): void {
  if (json) ctx.printJson({ ...res, stopped: stopJson({ reason: 'interrupted', signal }, res.sendId) });
  else ctx.print(renderEnqueued(res));
  ctx.note(`forced exit (${signal}): the send is enqueued and goes on without this command: do not send it again. Check on it: smsq status ${res.sendId}`);
}

/** Why a wait failed, without what its error says of an enqueue (it was a status read: the send is in). */
function withoutEnqueueClaim(err: unknown): string {
  if (err instanceof RedisUnavailableError) return redisDoesNotAnswer(err.redactedUrl, err.reason);
  return err instanceof Error ? err.message : String(err);
}

/**
 * The flow of `send` and `send-batch`: plan, then print it (`--dry-run`), or restate it and ask
 * (unless `--yes`), enqueue, and optionally wait for every outcome. Once the send is enqueued, a
 * `--timeout` or a shutdown signal (Ctrl-C) ends the command with what a finished one prints (the
 * send id on stdout), what stopped it and how to check on the send, which goes on. Returns the
 * exit code: 0, or the stop's ({@link exitCodeOfStop}).
 */
export async function runSendCommand(
  ctx: CliContext,
  flags: SendCommandFlags,
  prepared: { producer: Producer; plan: SendPlan; content: string | undefined; enqueue: () => Promise<EnqueueResult>; question: string; workersSeen: () => Promise<number | undefined> } | { producer: Producer; repeat: EnqueueResult; workersSeen: () => Promise<number | undefined> },
): Promise<number> {
  // A repeat under its idempotency key of a send that went out: nothing to plan or confirm, as nothing is enqueued.
  const res = 'repeat' in prepared ? prepared.repeat : await planAndEnqueue(ctx, flags, prepared);
  if (res === undefined) return flags.dryRun ? 0 : EXIT.refused;
  return followEnqueued(ctx, flags, prepared, res);
}

/** Shows the plan (the whole of a dry run) and asks, then enqueues: the result, or undefined for none (a dry run, a refusal). */
async function planAndEnqueue(
  ctx: CliContext,
  flags: SendCommandFlags,
  prepared: { plan: SendPlan; content: string | undefined; enqueue: () => Promise<EnqueueResult>; question: string },
): Promise<EnqueueResult | undefined> {
  const { plan, content } = prepared;
  if (flags.dryRun) {
    if (flags.json) {
      const message = firstMessageOf(plan, content) ?? null;
      // Added beside the plan's fields, named as campaign --dry-run --json names its segments.
      const times = { ...(plan.deadline === undefined ? {} : { deadline: isoTime(plan.deadline) }), ...(plan.quietUntil === undefined ? {} : { quietUntil: isoTime(plan.quietUntil) }) };
      ctx.printJson({ dryRun: true, plan: { ...plan, ...times, chunks: plan.chunks.map((c) => c.phones.length), message, segmentsPerMessage: segmentsOf(plan, content)?.perMessage ?? null } });
    }
    else {
      ctx.print(renderPlan(plan, content, ctx.config.quietHours));
      ctx.note(DRY_RUN_NOTE);
    }
    return undefined;
  }
  if (!flags.yes) {
    ctx.note(renderPlan(plan, content, ctx.config.quietHours));
    if (!(await confirmOrRefuse(ctx, prepared.question))) {
      ctx.note('cancelled: nothing was enqueued');
      return undefined;
    }
  }
  return prepared.enqueue();
}

/** Prints an enqueued send's id, and waits for it with --wait. */
async function followEnqueued(ctx: CliContext, flags: SendCommandFlags, prepared: { producer: Producer; workersSeen: () => Promise<number | undefined> }, res: EnqueueResult): Promise<number> {
  // From here on the send is in Redis: Ctrl-C must not end the command without its id, nor a
  // second one while a status read hangs on a Redis that does not answer.
  const watch = watchForStop(ctx, flags.wait ? flags.timeout : undefined);
  ctx.deps.onForcedExit?.((signal) => sayForcedExitAfterEnqueue(ctx, flags.json, res, signal));
  try {
    await warnIfNoWorker(ctx, prepared.workersSeen, watch.signal);
    // Stopped already, the wait still reads the status once: the output says where the send is.
    let failed: WaitStop | undefined;
    let lastRead: SendStatus | undefined;
    const waited = flags.wait
      ? await waitForSend(ctx, prepared.producer, res.sendId, flags.json, {
          signal: watch.signal,
          onStatus: (s) => (lastRead = s),
          // A Redis restarted or failed over under the wait is waited for, as status --watch waits (it ended the wait with exit 4 at once).
          poll: rideRedisOutages({ boundMs: ctx.config.redisConnectTimeoutMs, retryMs: WATCH_REDIS_RETRY_MS, note: (text) => ctx.note(text), what: 'the wait', signal: watch.signal }),
        }).catch((err: unknown): WaitResult | undefined => {
          // The send is in: its id is printed whatever stopped the wait after it, with the status last read when there was one.
          // Stopped (--timeout, Ctrl-C) while it waited for Redis before any read: the stop is why it ended, not Redis.
          if (!watch.signal.aborted) failed = { reason: 'failed', error: withoutEnqueueClaim(err) };
          return lastRead && { status: lastRead, done: false };
        })
      : undefined;
    const stopped = waited?.done ? undefined : (failed ?? watch.stopped);
    if (flags.json) ctx.printJson({ ...res, ...(waited ? { status: statusJson(waited.status) } : {}), ...(stopped ? { stopped: stopJson(stopped, res.sendId) } : {}) });
    else {
      ctx.print(renderEnqueued(res));
      if (waited) ctx.print(`${waited.done ? 'after the wait' : failed ? 'last read before the wait failed' : 'when the wait stopped'}: ${formatCounts(waited.status.counts)}`);
    }
    if (!stopped) return 0;
    ctx.note(stopNote(stopped, res.sendId, waited ? { pending: countIn(waited.status.counts, UNSENT_CHUNK_STATES), why: whyItWaits(waited.status) } : undefined));
    return exitCodeOfStop(stopped);
  } finally {
    watch.dispose();
  }
}
