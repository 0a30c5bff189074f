/**
 * What `smsq worker` runs once its flags are parsed (worker.ts defines them): the workers until
 * SIGTERM/SIGINT, then a graceful stop. Its action loads this module, and with it BullMQ, ioredis
 * and the SDK: `smsq --help` and a refused flag load none of them.
 */
import { createSmsWorker } from '../../workers/sms-worker.js';
import { receiptScheduleOf } from '../../src/config.js';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { traceSmsClient } from '../../src/telemetry/traced-client.js';
import type { CliContext } from '../context.js';
import type { WorkerFlags } from './worker-flags.js';
import { chunksLeftSending, leftSendingText, outstandingChunkFields, type OutstandingChunk, type OutstandingClaims } from '../../workers/claims-outstanding.js';
import { openRedis } from '../pipeline.js';
import { confirmDatabase } from '../../src/queue/redis-database.js';
import { EXIT } from '../../src/errors.js';
import { finishedWithin } from '../../src/finished-within.js';
import { redactRedisUrl } from '../../src/queue/redis-url.js';
import { watchRedis } from '../../src/queue/redis-watch.js';
import { confirmLiveCredentials } from '../../src/runtime/sms-runtime.js';

export async function runWorker(ctx: CliContext, flags: WorkerFlags): Promise<number> {
  const config = ctx.config;
  // Listening from the start: a signal while Redis is down (and the start waits for it) still stops the worker.
  const shutdown = ctx.deps.waitForShutdown ? ctx.deps.waitForShutdown() : new Promise<string>(() => {});
  const { client, endpoint, sandbox } = await ctx.sms();
  // Its emulator holds the sends it took: another worker's, or this one's after a restart, knows none of them.
  if (sandbox && config.endpoint === undefined) {
    ctx.logger.warn(
      { endpoint },
      `each smsq worker started without SMS_ENDPOINT runs an emulator of its own (this one at ${endpoint}): with more than one worker process, or after this one restarts, a receipt look-up reaches an emulator that did not take the send, and its receipts stay accepted until the receipt window expires them. Fix: for more than one worker, run one \`smsq emulator --port 8081\` and set SMS_ENDPOINT=127.0.0.1:8081 on every smsq process`,
    );
  }
  // Before Redis: a worker without credentials would take jobs and block the account.
  const credentials = sandbox ? undefined : await confirmLiveCredentials();
  const connection = openRedis(ctx, 'worker');
  // Counted by the worker from each claim to the record of its answer: a claim waiting for its
  // pacer slot is as much `sending` as a call in flight. Those whose call had not started are not
  // undone here, though an undo is safe (it moves a chunk back only while it is `sending` with
  // that attempt's OutId): the process exits now, and an undo needs Redis to answer (3-10 ms for
  // 64 claims when it does; never when it is down or frozen, often why the stop ran long), while
  // written without waiting it did not always land (59 of 64 in one of ten runs). Left `sending`,
  // each is looked up, as a call in flight is; the graceful stop undoes them itself
  // (docs/operations.md "Graceful shutdown").
  let outstanding: () => OutstandingClaims = () => ({ claimsUnanswered: 0, callsNotStarted: 0, callsInFlight: 0, answersUnrecorded: 0, undosUnanswered: 0 });
  let outstandingChunks: () => OutstandingChunk[] = () => [];
  ctx.deps.onForcedExit?.((signal) => {
    const claims = outstanding();
    const chunks = outstandingChunks();
    ctx.logger.warn({ signal, chunksLeftSending: chunksLeftSending(claims), ...claims, ...outstandingChunkFields(chunks) }, leftSendingText(claims, chunks));
  });
  // One line when Redis goes away and one when it is back; the work waits and resumes by itself.
  // Asked every connect timeout: a frozen Redis gives the connection no event to say it by.
  const watch = watchRedis({ redis: connection, logger: ctx.logger, redactedUrl: redactRedisUrl(config.redisUrl), probeMs: config.redisConnectTimeoutMs });
  ctx.onClose(() => watch.stop());
  // Before BullMQ writes its queues' meta keys: a refused SELECT leaves ioredis in database 0.
  const database = await Promise.race([confirmDatabase(connection, redactRedisUrl(config.redisUrl)).then(() => true), shutdown.then(() => false)]);
  if (!database) {
    ctx.logger.info({ signal: await shutdown }, 'stopped while starting: no job was taken');
    return EXIT.ok;
  }
  const metrics = createCallMetricsRecorder({ redis: connection, prefix: config.prefix, logger: ctx.logger });
  const tracing = ctx.tracing;
  const worker = createSmsWorker({
    connection,
    // With OTEL_* set: a span per Dysmsapi call, inside the span of the job that made it.
    client: tracing ? traceSmsClient(client, tracing.spans) : client,
    telemetry: tracing?.bullmq,
    logger: ctx.logger,
    prefix: config.prefix,
    qps: config.qps,
    concurrency: flags.concurrency ?? config.concurrency,
    readTimeoutMs: config.readTimeoutMs,
    reconcile: { settleMs: config.reconcileSettleMs },
    accountRecheckMs: config.accountRecheckMs,
    clockSkewWarnMs: config.clockSkewWarnMs,
    retention: config.retention,
    receiptPolicies: config.receiptLookups,
    receiptSchedule: receiptScheduleOf(config),
    callbackSecret: config.callbackSecret,
    quietHours: config.quietHours ?? null, // SMSQ_QUIET_HOURS=off
    autoPause: config.autoPause ?? null,
    repair: config.repair.intervalMs === undefined ? null : { intervalMs: config.repair.intervalMs, enqueueGraceMs: config.repair.enqueueGraceMs },
    metrics,
    durability: config.durability,
    compactFinished: config.compactFinished,
    // The watch above has said how Redis is since before the worker existed.
    watchRedis: false,
  });
  outstanding = () => worker.outstandingClaims();
  outstandingChunks = () => worker.outstandingChunks();
  const started = await Promise.race([worker.start().then(() => true), shutdown.then(() => false)]);
  if (started) {
    ctx.logger.info(
      { endpoint, sandbox, ...(credentials ? { credentialSource: credentials } : {}), qps: config.qps, durability: config.durability.mode, limiter: worker.pacerIntervalMicros ? `one call every ${worker.pacerIntervalMicros} µs across all workers` : `${worker.window.max} calls per ${worker.window.duration} ms`, prefix: config.prefix },
      'smsq worker running; SIGTERM or SIGINT stops it gracefully',
    );
  }
  const signal = await shutdown;
  ctx.logger.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: no new jobs; waiting for calls in flight and recording their outcome');
  watch.stop();
  const inTime = await worker.closeWithin(config.shutdownGraceMs);
  if (!inTime) {
    connection.disconnect(); // what still waits for Redis fails now instead of holding the exit
    return EXIT.dependency;
  }
  // The last flush, once the calls in flight are recorded; with Redis down or frozen (the worker
  // stopped at once, nothing in hand) it would wait for Redis: the counts since the last flush
  // are lost, and the flush, failed by the disconnect, says so.
  const flushed = connection.status === 'ready' && (await finishedWithin(metrics.close(), config.redisConnectTimeoutMs));
  if (!flushed) {
    void metrics.close();
    connection.disconnect();
  }
  ctx.logger.info('worker stopped');
  return EXIT.ok;
}
