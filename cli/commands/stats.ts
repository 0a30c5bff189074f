/** `smsq stats --start yyyyMMdd --end yyyyMMdd` (QuerySendStatistics). */
import type { Command } from 'commander';
import { z } from 'zod';
import type { SendStatisticsRow } from '../../src/sms/types.js';
import { cstDate } from '../../src/sms/dates.js';
import type { CliContext } from '../context.js';
import { choiceIntFlag, dateFlag, isCalendarDate, nameFlag, pagingFlags, switchFlag } from '../flags.js';
import { renderTable } from '../format.js';
import { refusePastLastPage, fetchPages, pagingFooter, showsEvery } from '../paging.js';
import { refuseHistoryWithoutEndpoint } from '../history-endpoint.js';

/** The flags; `--end` may not be after today (China Standard Time), judged at `now()`. */
function statsSchema(now: () => number) {
  const today = cstDate(now());
  return z
    .object({
      // Required, by the check below: its example is a day --end allows, which the field alone cannot know.
      start: dateFlag('--start', today).optional(),
      end: dateFlag('--end', today),
      globe: choiceIntFlag([1, 2] as const, '--globe 1 (domestic) or --globe 2 (international / HK, Macao, Taiwan)').optional().default(1),
      signName: nameFlag('--sign-name "Your Sign"', 100).optional(),
      templateType: choiceIntFlag(
        [0, 1, 2, 3, 7] as const,
        '--template-type 0 (verification), 1 (notification), 2 (marketing), 3 (international) or 7 (digital)',
      ).optional(),
      ...pagingFlags(20),
      all: switchFlag,
      json: switchFlag,
    })
    .superRefine(
      (f, check) => {
        if (f.start !== undefined) return;
        // Today is after an --end in the past, and would be refused next as after --end.
        const example = typeof f.end === 'string' && isCalendarDate(f.end) && f.end < today ? `${f.end} (on or before --end)` : today;
        check.addIssue({ code: 'custom', path: ['start'], message: `is required. Fix: --start ${example}` });
      },
      // Also when --end is missing too: each missing flag is named.
      { when: () => true },
    )
    // Only between two real days: an invalid one has its own line, and a "swap" beside it was false.
    .refine((f) => f.start === undefined || !isCalendarDate(f.start) || !isCalendarDate(f.end) || f.end >= f.start, {
      path: ['end'],
      message: 'must not be before --start. Fix: swap --start and --end',
    })
    .refine((f) => f.end <= today, { path: ['end'], message: `is after today (${today}, China Standard Time): there is nothing to count yet. Fix: --end ${today}` })
    // Narrowed for the action: a missing --start was refused above.
    .transform(({ start, ...rest }) => ({ ...rest, start: start ?? today }));
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('sending statistics per day (QuerySendStatistics)')
    .option('--start <yyyyMMdd>', '(required) first day, China Standard Time')
    .option('--end <yyyyMMdd>', '(required) last day, China Standard Time')
    .option('--globe <1|2>', '1 domestic, 2 international / HK, Macao, Taiwan (default: 1)')
    .option('--sign-name <name>', 'only this signature')
    .option('--template-type <n>', '0 verification, 1 notification, 2 marketing, 3 international, 7 digital')
    .option('--page <n>', 'page to show, from 1 (default: 1)')
    .option('--page-size <n>', 'days per page, 1-50 (default: 20)')
    .option('--all', 'walk every page')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(statsSchema(() => ctx.now()), async (flags) => {
        refuseHistoryWithoutEndpoint(ctx.config, 'stats');
        const { client } = await ctx.sms();
        const result = await fetchPages<SendStatisticsRow>(ctx, flags, async (pageIndex, pageSize) => {
          const outcome = await client.querySendStatistics({
            isGlobe: flags.globe,
            startDate: flags.start,
            endDate: flags.end,
            pageIndex,
            pageSize,
            signName: flags.signName,
            templateType: flags.templateType,
          });
          return outcome.ok ? { ...outcome, data: { totalCount: outcome.data.totalSize, items: outcome.data.rows } } : outcome;
        });
        refusePastLastPage(result, ['day', 'days']);
        // QuerySendStatistics counts international templates (type 3) under IsGlobe 2 only: the default --globe 1 finds none of them.
        if (result.totalCount === 0 && flags.templateType === 3 && flags.globe === 1) {
          ctx.note('hint: --template-type 3 counts international / HK, Macao, Taiwan messages, which --globe 1 (domestic, the default) leaves out. Fix: --globe 2 --template-type 3');
        }
        const totals = result.items.reduce(
          (t, r) => ({
            totalCount: t.totalCount + r.totalCount,
            respondedSuccessCount: t.respondedSuccessCount + r.respondedSuccessCount,
            respondedFailCount: t.respondedFailCount + r.respondedFailCount,
            noRespondedCount: t.noRespondedCount + r.noRespondedCount,
          }),
          { totalCount: 0, respondedSuccessCount: 0, respondedFailCount: 0, noRespondedCount: 0 },
        );
        // One page of several sums that page only: named so that no script reads it as the range's.
        const whole = showsEvery(result);
        if (flags.json) {
          const { items, totalCount, ...rest } = result;
          ctx.printJson({ ...rest, totalSize: totalCount, ...(whole ? { totals } : { pageTotals: totals }), rows: items });
          return;
        }
        if (result.items.length === 0) {
          ctx.print(`Nothing sent from ${flags.start} to ${flags.end} (${flags.globe === 1 ? 'domestic' : 'international'}).`);
          return;
        }
        const num = { align: 'right' } as const;
        ctx.print(
          renderTable(
            [{ header: 'date' }, { header: 'total', ...num }, { header: 'delivered', ...num }, { header: 'failed', ...num }, { header: 'no receipt', ...num }],
            [
              ...result.items.map((r) => [r.sendDate, r.totalCount, r.respondedSuccessCount, r.respondedFailCount, r.noRespondedCount]),
              [whole ? 'total' : 'page total', totals.totalCount, totals.respondedSuccessCount, totals.respondedFailCount, totals.noRespondedCount],
            ],
          ),
        );
        ctx.print(pagingFooter(result, 'day'));
      }),
    );
}
