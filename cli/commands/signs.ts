/** `smsq signs` (QuerySmsSignList) and `smsq sign NAME` (GetSmsSign). */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { pagingFlags, switchFlag, textFlag } from '../flags.js';
import { approvalWord, auditWord, renderFields, renderTable } from '../format.js';
import { refusePastLastPage, fetchPages, pagingFooter } from '../paging.js';
import { cstText, withIsoTimes } from '../format.js';

const listSchema = z.object({ ...pagingFlags(20), all: switchFlag, json: switchFlag });
const oneSchema = z.object({ name: textFlag('smsq sign "Your Sign"', 100), json: switchFlag });

export function register(program: Command, ctx: CliContext): void {
  program
    .command('signs')
    .description("list the account's signatures and their approval states (QuerySmsSignList)")
    .option('--page <n>', 'page to show, from 1 (default: 1)')
    .option('--page-size <n>', 'signatures per page, 1-50 (default: 20)')
    .option('--all', 'walk every page')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(listSchema, async (flags) => {
        const { client } = await ctx.sms();
        const result = await fetchPages(ctx, flags, (pageIndex, pageSize) => client.querySmsSignList({ pageIndex, pageSize }));
        refusePastLastPage(result, ['signature', 'signatures']);
        const items = result.items.map((s) => ({ ...s, status: auditWord(s.auditStatus), approved: auditWord(s.auditStatus) === 'approved' }));
        if (flags.json) {
          ctx.printJson({ ...result, items: items.map((s) => withIsoTimes(s, ['createDate'])) });
          return;
        }
        if (items.length === 0) {
          ctx.print('No signatures. Create one in the Alibaba Cloud SMS console.');
          return;
        }
        const first = (result.page - 1) * result.pageSize;
        ctx.print(
          renderTable(
            [{ header: '#', align: 'right' }, { header: 'name' }, { header: 'status' }, { header: 'business type' }, { header: 'created' }, { header: 'reason', maxWidth: 40 }],
            items.map((s, i) => [first + i + 1, s.signName, s.approved ? `${s.status} ✓` : s.status, s.businessType, cstText(s.createDate), s.reason]),
          ),
        );
        const approved = items.filter((s) => s.approved).length;
        ctx.print(`${pagingFooter(result, 'signature')} ${approved} shown approved (✓ = usable for sending).`);
      }),
    );

  program
    .command('sign')
    .description('show one signature and its approval state (GetSmsSign)')
    .argument('<name>', 'the signature\'s name, in quotes if it has spaces (smsq signs lists them)')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(oneSchema, async (flags) => {
        const { client } = await ctx.sms();
        const { data, requestId } = ctx.unwrap(await client.getSmsSign(flags.name));
        const status = approvalWord(data.signStatus);
        if (flags.json) {
          ctx.printJson({ ...withIsoTimes(data, ['createDate']), status, approved: data.signStatus === 1, requestId });
          return;
        }
        ctx.print(
          renderFields([
            ['name', data.signName],
            ['status', `${status} (${data.signStatus})`],
            ['usable', data.signStatus === 1 ? 'yes' : 'no: only approved signatures can send'],
            ['created', cstText(data.createDate)],
            ...(data.reason ? ([['reason', data.reason]] as const) : []),
          ]),
        );
      }),
    );
}
