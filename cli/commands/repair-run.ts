/**
 * What `smsq repair` runs once its flags are parsed (repair.ts defines them): one sweep for what a
 * Redis rollback or a dead producer orphaned. Its action loads this module, and with it BullMQ and
 * ioredis: `smsq --help` and a refused flag load neither.
 */
import { isoTime } from '../../src/china-time.js';
import { systemClock } from '../../src/clock.js';
import { receiptScheduleOf } from '../../src/config.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createLeaderLease } from '../../src/repair/leader-lease.js';
import { createOrphanSweep, DEFAULT_RETENTION_LAPSE_MS } from '../../src/repair/orphan-sweep.js';
import { renderRepairReport } from '../../src/repair/repair-report.js';
import type { CliContext } from '../context.js';
import type { RepairFlags } from './repair-flags.js';
import { exitCodeOf } from '../../src/errors.js';
import { openReadyRedis } from '../pipeline.js';
import { createEmitterErrorLog } from '../../src/queue/emitter-errors.js';

/** Progress on stderr at most this often. */
const PROGRESS_EVERY_MS = 1000;

export async function runRepair(ctx: CliContext, flags: RepairFlags): Promise<number | void> {
  const config = ctx.config;
  const redis = await openReadyRedis(ctx);
  const keys = createKeys(config.prefix);
  const clock = systemClock;
  // With listeners: BullMQ prints an 'error' nobody listens to (a Redis gone mid-sweep) as a raw object on stderr.
  const errorLog = createEmitterErrorLog({ logger: ctx.logger });
  const calls = createCallsQueue({ connection: redis, prefix: config.prefix, onError: errorLog('calls queue') });
  const housekeeping = createHousekeepingQueue({ connection: redis, prefix: config.prefix, onError: errorLog('housekeeping queue') });
  ctx.onClose(async () => {
    await Promise.all([calls.close(), housekeeping.close()]);
  });
  const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: config.receiptLookups, receiptSchedule: receiptScheduleOf(config) });
  const sweep = createOrphanSweep({
    redis,
    keys,
    calls,
    chunks: createChunkStore({ redis, keys, clock }),
    sends: createSendStore({ redis, keys, clock }),
    followUps,
    completion: createCompletion({ sends: createSendStore({ redis, keys, clock }), onEnded: (sendId) => followUps.callback(sendId) }),
    compactFinished: config.compactFinished,
    clock,
    logger: ctx.logger,
    // As the workers time a first look (ReconcileTiming's default).
    firstLookAfterMs: config.readTimeoutMs + 2000,
    minAgeMs: flags.minAgeMs,
    enqueueGraceMs: config.repair.enqueueGraceMs,
    // As the workers judge a send paused up to its retention: within two of their intervals.
    retentionLapseMs: config.repair.intervalMs === undefined ? DEFAULT_RETENTION_LAPSE_MS : 2 * config.repair.intervalMs,
  });
  const lease = createLeaderLease({ redis, key: keys.repairLease(), ttlMs: 60_000, owner: `cli.${process.pid}` });
  // A dry run writes nothing, so it needs no lease; a real run must not race a worker's sweep.
  if (!flags.dryRun && !(await lease.acquire())) {
    const holder = await lease.holder();
    const meaning = `another repair sweep is running (lease held by ${holder ?? 'someone'})`;
    ctx.note(`error SMSQ_REPAIR_BUSY: ${meaning}\nwhat to do: run it again in a minute, or use --dry-run to look without writing`);
    if (flags.json) ctx.printJson({ error: { code: 'SMSQ_REPAIR_BUSY', errorClass: 'busy', meaning, action: 'run it again in a minute' } });
    return exitCodeOf('SMSQ_REPAIR_BUSY');
  }
  if (!flags.dryRun) ctx.onClose(() => lease.release());
  let lastProgress = Date.now();
  const report = await sweep.run({
    dryRun: flags.dryRun,
    onProgress: (p) => {
      if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = Date.now();
      ctx.note(`scanned ${p.scannedKeys} keys, ${p.found} orphaned so far…`);
    },
    shouldContinue: flags.dryRun ? undefined : () => lease.renew(),
  });
  // The CLI's JSON times are ISO 8601 with the offset; the report keeps epoch ms for the worker's log.
  if (flags.json) ctx.printJson({ ...report, startedAt: isoTime(report.startedAt) });
  else ctx.print(renderRepairReport(report));
}
