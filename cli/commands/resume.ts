/** `smsq resume`: lift an account block after the operator fixed the account. */
import type { Command } from 'commander';
import { z } from 'zod';
import { createAccountGuard } from '../../workers/account-guard.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { createKeys } from '../../src/queue/keys.js';
import { systemClock } from '../../src/clock.js';
import type { CliContext } from '../context.js';
import { switchFlag } from '../flags.js';
import { openReadyRedis } from '../pipeline.js';
import { createEmitterErrorLog } from '../../src/queue/emitter-errors.js';
import { formatTime, isoTime } from '../../src/china-time.js';

const schema = z.object({ json: switchFlag });

export function register(program: Command, ctx: CliContext): void {
  program
    .command('resume')
    .description('resume sending after an account/configuration error stopped every worker')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(schema, async (flags) => {
        const redis = await openReadyRedis(ctx);
        const queue = createCallsQueue({ connection: redis, prefix: ctx.config.prefix, onError: createEmitterErrorLog({ logger: ctx.logger })('calls queue') });
        ctx.onClose(() => queue.close());
        const guard = createAccountGuard({ redis, keys: createKeys(ctx.config.prefix), queue, clock: systemClock, logger: ctx.logger, recheckMs: 0 });
        const block = await guard.resume('operator');
        if (flags.json) ctx.printJson({ resumed: true, wasBlocked: block ? { ...block, since: isoTime(block.since) } : null });
        else ctx.print(block ? `Resumed. Sending had been stopped since ${formatTime(block.since)} by ${block.code}: ${block.message}` : 'Resumed (sending was not blocked).');
      }),
    );
}
