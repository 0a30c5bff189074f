/** `smsq repair`: find and resolve what a Redis rollback or a dead producer orphaned, now. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { repairFlags } from './repair-flags.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('repair')
    .description('find chunks, jobs and sends orphaned by a Redis rollback or a dead producer, and resolve them (look-ups, never blind resends)')
    .option('--dry-run', 'report what would be done; write nothing')
    .option('--min-age-ms <ms>', 'leave chunks changed more recently than this alone (default 60000)')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(repairFlags, async (flags) => {
        const { runRepair } = await import('./repair-run.js');
        return runRepair(ctx, flags);
      }),
    );
}
