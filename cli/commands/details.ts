/** `smsq details --phone P --date yyyyMMdd [--all]` (QuerySendDetails). */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { dateFlag, intFlag, phoneFlag, switchFlag, textFlag } from '../flags.js';
import { cstDate, detailsDateRange, DETAILS_DAYS } from '../../src/sms/dates.js';
import { renderTable, sendStatusWord } from '../format.js';
import { cstText, withIsoTimes } from '../format.js';
import { fetchPages, pagingFooter, refusePastLastPage, walkProgress } from '../paging.js';
import { refuseHistoryWithoutEndpoint } from '../history-endpoint.js';

/** QuerySendDetails's largest `PageSize`. */
const DETAILS_MAX_PAGE_SIZE = 50;

/** The flags; `--date` must also be a day QuerySendDetails still answers for, judged at `now()`. */
function detailsSchema(now: () => number) {
  // The example in a refusal is today, a date the window holds.
  return z
    .object({
      phone: phoneFlag('--phone 13800138000', 'smsq details looks up one number'),
      date: dateFlag('--date', cstDate(now()), ' (the China Standard Time day it was sent, within the last 30 days)'),
      bizId: textFlag('--biz-id 402617584525830937^0', 100).optional(),
      page: intFlag(1, 1_000_000, '--page 1').optional().default(1),
      // Unset, a page is 10 records, and --all walks pages of 50: the API's most, the fewest calls.
      pageSize: intFlag(1, DETAILS_MAX_PAGE_SIZE, '--page-size 10').optional(),
      all: switchFlag,
      json: switchFlag,
    })
    .superRefine((flags, check) => {
      const { earliest, latest } = detailsDateRange(now());
      if (flags.date >= earliest && flags.date <= latest) return;
      const when = flags.date > latest ? 'is after today' : `is more than ${DETAILS_DAYS} days ago`;
      check.addIssue({
        code: 'custom',
        path: ['date'],
        message: `${when} in China Standard Time: QuerySendDetails answers for ${earliest} to ${latest} only. Fix: --date ${latest}, or an earlier day in that range`,
      });
    });
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('details')
    .description('delivery details of the messages sent to one number on one day (QuerySendDetails)')
    .option('--phone <number>', '(required) the recipient, e.g. 13800138000 or +8613800138000')
    .option('--date <yyyyMMdd>', '(required) day of sending in China Standard Time (UTC+8), within the last 30 days')
    .option('--biz-id <id>', 'only the send with this BizId')
    .option('--page <n>', 'page to show, from 1 (default: 1)')
    .option('--page-size <n>', 'records per page, 1-50 (default: 10; 50 with --all)')
    .option('--all', 'walk every page, with progress on stderr')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(detailsSchema(() => ctx.now()), async (flags) => {
        refuseHistoryWithoutEndpoint(ctx.config, 'details');
        const { client } = await ctx.sms();
        const pageSize = flags.pageSize ?? (flags.all ? DETAILS_MAX_PAGE_SIZE : 10);
        const result = await fetchPages(
          ctx,
          { page: flags.page, pageSize, all: flags.all },
          async (currentPage) => {
            const outcome = await client.querySendDetails({ phoneNumber: flags.phone, sendDate: flags.date, bizId: flags.bizId, pageSize, currentPage });
            return outcome.ok ? { ...outcome, data: { totalCount: outcome.data.totalCount, items: outcome.data.details } } : outcome;
          },
          // A number's day can hold thousands of records.
          walkProgress(ctx, 'details', 'records', pageSize),
        );
        refusePastLastPage(result, ['record', 'records']);
        const details = result.items.map((detail) => ({ ...detail, status: sendStatusWord(detail.sendStatus) }));
        if (flags.json) {
          const { page, all, totalCount, requestId } = result;
          ctx.printJson({ page, pageSize, all, totalCount, requestId, details: details.map((d) => withIsoTimes(d, ['sendDate', 'receiveDate'])) });
          return;
        }
        if (details.length === 0) {
          ctx.print(`No messages to ${flags.phone} on ${flags.date}${flags.bizId ? ` with BizId ${flags.bizId}` : ''} (dates are China Standard Time).`);
          return;
        }
        ctx.print(
          renderTable(
            [
              { header: 'phone' },
              { header: 'status' },
              { header: 'code' },
              { header: 'template' },
              { header: 'sent' },
              { header: 'received' },
              { header: 'out id' }, // whole: it holds the smsq send id, to copy into smsq status
              { header: 'content', maxWidth: 50 },
            ],
            details.map((detail) => [detail.phoneNum, detail.status, detail.errCode, detail.templateCode, cstText(detail.sendDate), cstText(detail.receiveDate), detail.outId || '-', detail.content]),
          ),
        );
        ctx.print(pagingFooter(result, 'record'));
      }),
    );
}
