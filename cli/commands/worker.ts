/** `smsq worker`: run the workers until SIGTERM/SIGINT, then stop gracefully. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { workerFlags } from './worker-flags.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run the workers until SIGTERM/SIGINT (any number of processes on any number of machines)')
    .option('--concurrency <n>', 'calls in flight in this process (default: SMSQ_CONCURRENCY or 64)')
    .action(
      ctx.action(workerFlags, async (flags) => {
        const { runWorker } = await import('./worker-run.js');
        return runWorker(ctx, flags);
      }),
    );
}
