/**
 * `smsq sends [--kind K] [--state S] [--limit N] [--cursor C] [--json]`: the sends in Redis, newest
 * first, a page at a time (what `GET /v1/sends` and the campaigns page list), so an operator can
 * find a send id without the dashboard.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { formatTime } from '../../src/china-time.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import { SEND_STATES } from '../../src/queue/lifecycle.js';
import { decodeSendCursor, DEFAULT_SEND_PAGE, MAX_SEND_PAGE } from '../../src/queue/send-index.js';
import type { CliContext } from '../context.js';
import { checkCursorFlag, enumFlag, intFlag, switchFlag, textFlag } from '../flags.js';
import { formatCounts, renderTable } from '../format.js';

const schema = z.object({
  kind: enumFlag(MESSAGE_KINDS, '--kind marketing').optional(),
  state: enumFlag(SEND_STATES, '--state active').optional(),
  limit: intFlag(1, MAX_SEND_PAGE, `--limit ${DEFAULT_SEND_PAGE}`).optional(),
  // Checked before anything is read, so that a bad cursor is named as the flag it came in.
  cursor: textFlag('pass the cursor the previous page printed, unchanged', 400)
    .superRefine((cursor, ctx) => checkCursorFlag(ctx, (field) => decodeSendCursor(cursor, field)))
    .optional(),
  json: switchFlag,
});

export function register(program: Command, ctx: CliContext): void {
  program
    .command('sends')
    .description('list the sends in Redis, newest first, a page at a time (filter by --kind and --state); the ids `smsq status` takes')
    .option('--kind <kind>', `only sends of this kind: ${MESSAGE_KINDS.join(' | ')}`)
    .option('--state <state>', `only sends in this state: ${SEND_STATES.join(' | ')}`)
    .option('--limit <n>', `sends per page, 1-${MAX_SEND_PAGE} (default: ${DEFAULT_SEND_PAGE})`)
    .option('--cursor <c>', 'the page that starts where the previous one ended (its "next" cursor)')
    .option('--json', 'print JSON on stdout: the sends and the next cursor, as GET /v1/sends answers')
    .action(
      ctx.action(schema, async (flags) => {
        const { openProducer } = await import('../pipeline.js');
        const { SendListSchema } = await import('../../server/response-schemas.js');
        const { producer } = openProducer(ctx);
        const page = await producer.listSends({ kind: flags.kind, state: flags.state, limit: flags.limit, cursor: flags.cursor });
        if (flags.json) {
          ctx.printJson(SendListSchema.parse(page));
          return;
        }
        const filter = [flags.state, flags.kind].filter((f) => f !== undefined).join(' ');
        if (page.sends.length === 0) {
          const where = flags.cursor === undefined ? '' : ' on this page';
          ctx.print(
            page.next === null
              ? `No ${filter ? `${filter} ` : ''}sends${where} in Redis under SMSQ_PREFIX=${ctx.config.prefix} (sends leave the list when their retention ends, SMSQ_RETENTION_DAYS).`
              : `No ${filter ? `${filter} ` : ''}sends among the ones this page looked at; older ones may match. Next page: ${nextCommand(flags, page.next)}`,
          );
          return;
        }
        ctx.print(
          renderTable(
            [
              { header: 'send id' },
              { header: 'created' },
              { header: 'kind' },
              { header: 'state' },
              { header: 'template' },
              { header: 'recipients', align: 'right' },
              // The states as counted, not a verdict: an expired or failed recipient may have been sent.
              { header: 'by state' },
              { header: 'name', maxWidth: 30 },
            ],
            page.sends.map((s) => [s.send.sendId, formatTime(s.send.createdAt), s.send.kind, s.send.state, s.send.templateCode, recipientsText(s.send), formatCounts(s.counts) || '-', s.send.name ?? '-']),
          ),
        );
        const shown = `${page.sends.length} shown`;
        ctx.print(page.next === null ? `${shown}; the last page. Details of one: smsq status SEND_ID` : `${shown}. Next page: ${nextCommand(flags, page.next)}`);
      }),
    );
}

/** Its recipients; while its enqueue has not recorded the total, those written so far. */
function recipientsText(send: { recipients: number; recipientsSoFar?: boolean }): string {
  return send.recipientsSoFar ? `${send.recipients} so far` : String(send.recipients);
}

/** The command that lists the next page with the same filters. */
function nextCommand(flags: Pick<z.output<typeof schema>, 'kind' | 'state' | 'limit'>, next: string): string {
  const kept = [flags.kind && `--kind ${flags.kind}`, flags.state && `--state ${flags.state}`, flags.limit !== undefined && `--limit ${flags.limit}`].filter(Boolean).join(' ');
  return `smsq sends ${kept ? `${kept} ` : ''}--cursor ${next}`;
}
