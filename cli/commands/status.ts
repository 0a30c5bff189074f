/**
 * `smsq status SEND_ID [--recipients [--limit N] [--cursor C]] [--watch [--until sent|final|auto]]`:
 * the send's state and why it waits, counts by state, and per-recipient states (all of them, or
 * one page by cursor).
 */
import type { Command } from 'commander';
import { MAX_RECIPIENT_PAGE } from '../../src/queue/recipient-cursor.js';
import type { CliContext } from '../context.js';
import { statusFlags } from './status-flags.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('counts by state for a send; every recipient with --recipients; follow it with --watch')
    .argument('<send-id>', 'the id printed by send, send-batch or campaign')
    .option('--recipients', 'list every recipient: state, code, BizId, sent and received times, attempts')
    .option('--limit <n>', `with --recipients: one page of at most n recipients (1-${MAX_RECIPIENT_PAGE}) and the cursor of the next`)
    .option('--cursor <c>', 'with --recipients: the page that starts where the previous one printed (its "next" cursor)')
    .option('--watch', 'follow it every second until it is sent or completed (see --until), or ends otherwise; a progress bar on a terminal')
    .option('--until <sent|final|auto>', 'with --watch: stop once it is sent (every recipient past the API), final (completed: every receipt in, or the receipt window over), or auto: sent for kinds whose receipts are sampled or not looked up (SMSQ_RECEIPT_LOOKUPS), final otherwise (default: auto)')
    .option('--json', 'print JSON on stdout (with --watch: one JSON line per change, an error as one line, and with --recipients a last line with them)')
    .action(
      ctx.action(statusFlags, async (flags) => {
        const { runStatus } = await import('./status-run.js');
        return runStatus(ctx, flags);
      }),
    );
}
