/** `smsq worker`: run the workers until SIGTERM/SIGINT, then stop gracefully. */
import type { Command } from 'commander';
import { z } from 'zod';
import { createSmsWorker } from '../../../workers/sms-worker.js';
import { receiptScheduleOf, retentionSecondsOf } from '../../config.js';
import { createCallMetricsRecorder } from '../../metrics/call-metrics.js';
import type { CliContext } from '../context.js';
import { intFlag } from '../flags.js';
import { openRedis } from '../pipeline.js';

const schema = z.object({ concurrency: intFlag(1, 1000, '--concurrency 64').optional() });

export function register(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run the workers until SIGTERM/SIGINT (any number of processes on any number of machines)')
    .option('--concurrency <n>', 'calls in flight in this process (default: SMSQ_CONCURRENCY or 64)')
    .action(
      ctx.action(schema, async (flags) => {
        const config = ctx.config;
        const { client, endpoint, sandbox } = await ctx.sms();
        const connection = openRedis(ctx);
        const metrics = createCallMetricsRecorder({ redis: connection, prefix: config.prefix, logger: ctx.logger });
        const worker = createSmsWorker({
          connection,
          client,
          logger: ctx.logger,
          prefix: config.prefix,
          qps: config.qps,
          concurrency: flags.concurrency ?? config.concurrency,
          readTimeoutMs: config.readTimeoutMs,
          reconcile: { settleMs: config.reconcileSettleMs },
          accountRecheckMs: config.accountRecheckMs,
          retentionSeconds: retentionSecondsOf(config),
          receiptPolicies: config.receiptLookups,
          receiptSchedule: receiptScheduleOf(config),
          callbackSecret: config.callbackSecret,
          quietHours: config.quietHours,
          autoPause: config.autoPause ?? null,
          repair: config.repair.intervalMs === undefined ? null : { intervalMs: config.repair.intervalMs, enqueueGraceMs: config.repair.enqueueGraceMs },
          metrics,
          durability: config.durability,
        });
        await worker.start();
        ctx.logger.info(
          { endpoint, sandbox, qps: config.qps, durability: config.durability.mode, limiter: worker.pacerIntervalMicros ? `one call every ${worker.pacerIntervalMicros} µs across all workers` : `${worker.window.max} calls per ${worker.window.duration} ms`, prefix: config.prefix },
          'smsq worker running; SIGTERM or SIGINT stops it gracefully',
        );
        const signal = ctx.deps.waitForShutdown ? await ctx.deps.waitForShutdown() : await new Promise<string>(() => {});
        ctx.logger.info({ signal }, 'stopping: no new jobs; waiting for calls in flight and recording their outcome');
        await worker.close();
        await metrics.close(); // the last flush, once the calls in flight are recorded
        ctx.logger.info('worker stopped');
      }),
    );
}
