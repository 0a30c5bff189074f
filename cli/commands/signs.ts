/** `smsq signs` (QuerySmsSignList) and `smsq sign NAME` (GetSmsSign). */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { nameFlag, switchFlag } from '../flags.js';
import { approvalWord, renderFields, renderTable } from '../format.js';
import { catalogFooter, catalogListSchema, emptyCatalogLine, fetchCatalogList } from '../catalog-list.js';
import { cstText, withIsoTimes } from '../format.js';

const oneSchema = z.object({ name: nameFlag('smsq sign "Your Sign"', 100), json: switchFlag });

export function register(program: Command, ctx: CliContext): void {
  program
    .command('signs')
    .description("list the account's signatures and their approval states (QuerySmsSignList)")
    .option('--page <n>', 'page to show, from 1 (default: 1)')
    .option('--page-size <n>', 'signatures per page, 1-50 (default: 20)')
    .option('--all', 'walk every page, with progress on stderr')
    .option('--approved', 'only the approved signatures, those that can send now (reads every page)')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(catalogListSchema, async (flags) => {
        const { client } = await ctx.sms();
        const result = await fetchCatalogList(ctx, flags, 'signs', ['signature', 'signatures'], (pageIndex, pageSize) => client.querySmsSignList({ pageIndex, pageSize }));
        const { items } = result;
        if (flags.json) {
          ctx.printJson({ ...result, items: items.map((s) => withIsoTimes(s, ['createDate'])) });
          return;
        }
        if (items.length === 0) {
          ctx.print(emptyCatalogLine(result, 'signs', 'signature', 'signatures'));
          return;
        }
        const first = (result.page - 1) * result.pageSize;
        ctx.print(
          renderTable(
            [{ header: '#', align: 'right' }, { header: 'name' }, { header: 'status' }, { header: 'business type' }, { header: 'created' }, { header: 'reason', maxWidth: 40 }],
            items.map((s, i) => [first + i + 1, s.signName, s.approved ? `${s.status} ✓` : s.status, s.businessType, cstText(s.createDate), s.reason]),
          ),
        );
        ctx.print(catalogFooter(result, 'signature', 'signatures'));
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
