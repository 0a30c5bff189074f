/** `smsq resume`: lift an account block after the operator fixed the account. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { AccountGuard } from '../../workers/account-guard.js';
import { createKeys } from '../../src/queue/keys.js';
import { systemClock } from '../../src/clock.js';
import type { CliContext } from '../context.js';
import { switchFlag } from '../flags.js';
import { createEmitterErrorLog } from '../../src/queue/emitter-errors.js';
import { formatTime, isoTime } from '../../src/china-time.js';
import { workerText, type AccountBlock } from '../../src/queue/account-block.js';
import { EXIT } from '../../src/errors.js';

const schema = z.object({ json: switchFlag });

/**
 * How long `resume` watches for the block to come back. A worker that still runs with the setting
 * that failed blocks again with its next job, which a block delays by a second.
 */
export const RESUME_WATCH_MS = 2000;
const WATCH_POLL_MS = 100;

/** The block written after `resume` lifted one, if one comes within {@link RESUME_WATCH_MS}. */
async function blockedAgain(guard: AccountGuard): Promise<AccountBlock | undefined> {
  const end = performance.now() + RESUME_WATCH_MS;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, WATCH_POLL_MS));
    const block = await guard.current();
    if (block) return block;
  }
  return undefined;
}

const jsonBlock = (block: AccountBlock) => ({ ...block, since: isoTime(block.since) });
const by = (block: AccountBlock) => (block.worker ? ` (hit by ${workerText(block.worker)})` : '');

export function register(program: Command, ctx: CliContext): void {
  program
    .command('resume')
    .description('resume sending after an account/configuration error stopped every worker')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(schema, async (flags) => {
        const { openReadyRedis } = await import('../pipeline.js');
        const { createCallsQueue } = await import('../../src/queue/calls-queue.js');
        const { createAccountGuard } = await import('../../workers/account-guard.js');
        const redis = await openReadyRedis(ctx);
        const queue = createCallsQueue({ connection: redis, prefix: ctx.config.prefix, onError: createEmitterErrorLog({ logger: ctx.logger })('calls queue') });
        ctx.onClose(() => queue.close());
        const guard = createAccountGuard({ redis, keys: createKeys(ctx.config.prefix), queue, clock: systemClock, logger: ctx.logger, recheckMs: 0 });
        const block = await guard.resume('operator');
        // Only a lifted block is watched: with none, nothing says a worker is failing. Said after
        // the watch: "Resumed." printed first stood above the block's return, and --json said
        // resumed: true to a script while sending was stopped again.
        const again = block ? await blockedAgain(guard) : undefined;
        if (flags.json) ctx.printJson({ resumed: again === undefined, wasBlocked: block ? jsonBlock(block) : null, blockedAgain: again ? jsonBlock(again) : null });
        const stopped = block ? `since ${formatTime(block.since)} by ${block.code}: ${block.message}${by(block)}` : '';
        if (!again) {
          if (!flags.json) ctx.print(block ? `Resumed. Sending had been stopped ${stopped}` : 'Resumed (sending was not blocked).');
          return EXIT.ok;
        }
        ctx.note(
          `error: blocked again within ${RESUME_WATCH_MS / 1000} s by ${again.worker ? workerText(again.worker) : 'a worker'} (${again.code}: ${again.message}): ` +
            `it still runs with what failed (resume lifted the block in place ${stopped}). Fix: correct that worker's environment (its AccessKey, SMS_ENDPOINT) or the account, restart it, then smsq resume`,
        );
        return EXIT.refused;
      }),
    );
}
