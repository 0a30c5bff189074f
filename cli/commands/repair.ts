/** `smsq repair`: find and resolve what a Redis rollback or a dead producer orphaned, now. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { intFlag, switchFlag } from '../flags.js';

const schema = z.object({
  dryRun: switchFlag,
  json: switchFlag,
  minAgeMs: intFlag(0, 86_400_000, '--min-age-ms 60000').optional(),
});

export function register(program: Command, ctx: CliContext): void {
  program
    .command('repair')
    .description('find chunks, jobs and sends orphaned by a Redis rollback or a dead producer, and resolve them (look-ups, never blind resends)')
    .option('--dry-run', 'report what would be done; write nothing')
    .option('--min-age-ms <ms>', 'leave chunks changed more recently than this alone (default 60000)')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(schema, async (flags) => {
        const { runRepair } = await import('./repair-run.js');
        return runRepair(ctx, flags);
      }),
    );
}
