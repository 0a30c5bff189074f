/**
 * `smsq sandbox`: the main job end to end without an account. An emulator in this process stands
 * in for Alibaba Cloud; Redis is the configured one, or a private redis-server when none answers.
 * A worker sends a verification code, a notification and a campaign, then receipts arrive.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { sandboxFlags } from './sandbox-flags.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('sandbox')
    .description('run the whole job in sandbox mode: a code, a notification and a campaign sent to the emulator, through to receipts')
    .option('--recipients <n>', 'campaign size (default: 2000)')
    .option('--json', 'print the final status of each send as JSON')
    .action(
      ctx.action(sandboxFlags, async (flags) => {
        const { runSandbox } = await import('./sandbox-run.js');
        return runSandbox(ctx, flags);
      }),
    );
}
