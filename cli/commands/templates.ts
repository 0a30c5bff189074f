/** `smsq templates` (QuerySmsTemplateList) and `smsq template CODE` (GetSmsTemplate). */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CliContext } from '../context.js';
import { switchFlag, textFlag } from '../flags.js';
import { approvalWord, renderFields, renderTable, templateTypeWord } from '../format.js';
import { extractTemplateVars } from '../../src/sms/template.js';
import { catalogFooter, catalogListSchema, emptyCatalogLine, fetchCatalogList } from '../catalog-list.js';
import { cstText, withIsoTimes } from '../format.js';

// Checked here as a send checks it: a code of another form is no template, and asking the API cost a call.
const oneSchema = z.object({
  code: textFlag('smsq template SMS_123456789', 100).regex(/^SMS_\d+$/, { message: 'must look like SMS_123456789 (SMS_ in capitals, then digits). Fix: smsq templates lists the codes' }),
  json: switchFlag,
});

export function register(program: Command, ctx: CliContext): void {
  program
    .command('templates')
    .description("list the account's templates and their approval states (QuerySmsTemplateList)")
    .option('--page <n>', 'page to show, from 1 (default: 1)')
    .option('--page-size <n>', 'templates per page, 1-50 (default: 20)')
    .option('--all', 'walk every page, with progress on stderr')
    .option('--approved', 'only the approved templates, those that can send now (reads every page)')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(catalogListSchema, async (flags) => {
        const { client } = await ctx.sms();
        const result = await fetchCatalogList(ctx, flags, 'templates', ['template', 'templates'], (pageIndex, pageSize) => client.querySmsTemplateList({ pageIndex, pageSize }));
        const items = result.items.map((t) => ({ ...t, variables: extractTemplateVars(t.templateContent) }));
        if (flags.json) {
          ctx.printJson({ ...result, items: items.map((t) => withIsoTimes(t, ['createDate'])) });
          return;
        }
        if (items.length === 0) {
          ctx.print(emptyCatalogLine(result, 'templates', 'template', 'templates'));
          return;
        }
        const first = (result.page - 1) * result.pageSize;
        ctx.print(
          renderTable(
            [{ header: '#', align: 'right' }, { header: 'code' }, { header: 'name', maxWidth: 24 }, { header: 'type' }, { header: 'status' }, { header: 'content', maxWidth: 60 }],
            items.map((t, i) => [
              first + i + 1,
              t.templateCode,
              t.templateName,
              templateTypeWord(t.templateType),
              t.approved ? `${t.status} ✓` : t.status,
              t.templateContent,
            ]),
          ),
        );
        ctx.print(`${catalogFooter(result, 'template', 'templates')} Details: smsq template CODE`);
      }),
    );

  program
    .command('template')
    .description('show one template, its approval state and its ${var} placeholders (GetSmsTemplate)')
    .argument('<code>', 'the template\'s code, e.g. SMS_123456789 (smsq templates lists them)')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(oneSchema, async (flags) => {
        const { client } = await ctx.sms();
        const { data, requestId } = ctx.unwrap(await client.getSmsTemplate(flags.code));
        const status = approvalWord(data.templateStatus);
        const variables = extractTemplateVars(data.templateContent);
        if (flags.json) {
          ctx.printJson({ ...withIsoTimes(data, ['createDate']), status, approved: data.templateStatus === 1, variables, requestId });
          return;
        }
        const example = JSON.stringify(Object.fromEntries(variables.map((v) => [v, '...'])));
        ctx.print(
          renderFields([
            ['code', data.templateCode],
            ['name', data.templateName],
            ['type', `${templateTypeWord(data.templateType)} (${data.templateType})`],
            ['status', `${status} (${data.templateStatus})`],
            ['usable', data.templateStatus === 1 ? 'yes' : 'no: only approved templates can send'],
            ['created', cstText(data.createDate)],
            ...(data.reason ? ([['reason', data.reason]] as const) : []),
            ['content', data.templateContent],
            ['variables', variables.length ? variables.map((v) => `\${${v}}`).join(' ') : '(none)'],
            ...(variables.length ? ([['params', `--param '${example}'`]] as const) : []),
          ]),
        );
      }),
    );
}
