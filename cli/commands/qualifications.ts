/** `smsq qualifications` (QuerySmsQualificationRecord) and `smsq qualification GROUP_ID` (QuerySingleSmsQualification). */
import type { Command } from 'commander';
import { z } from 'zod';
import { QUALIFICATION_STATES, qualificationStateOf } from '../../src/sms/qualification-states.js';
import type { QualificationRecord } from '../../src/sms/types.js';
import type { CliContext } from '../context.js';
import { enumFlag, intFlag, nameFlag, pagingFlags, switchFlag, yesNoFlag } from '../flags.js';
import { ApiCallError } from '../errors.js';
import { cstText, renderFields, renderTable, withIsoTimesDeep } from '../format.js';
import { refusePastLastPage, fetchPages, pagingFooter } from '../paging.js';

const listSchema = z.object({
  ...pagingFlags(20),
  name: nameFlag('--name "qualification group name"', 100).optional(),
  company: nameFlag('--company "company name"', 200).optional(),
  legalPerson: nameFlag('--legal-person "name"', 100).optional(),
  state: enumFlag(QUALIFICATION_STATES, '--state PASS').optional(),
  workOrderId: intFlag(1, Number.MAX_SAFE_INTEGER, '--work-order-id 20001234').optional(),
  useBySelf: yesNoFlag('--use-by-self true (qualifications for your own use), or false (for use by others)').optional(),
  all: switchFlag,
  json: switchFlag,
});

const oneSchema = z.object({
  groupId: intFlag(1, Number.MAX_SAFE_INTEGER, 'smsq qualification 10000123 (the group id from smsq qualifications)'),
  orderId: intFlag(1, Number.MAX_SAFE_INTEGER, '--order-id 20010001 (the work order smsq qualifications lists for the group)').optional(),
  json: switchFlag,
});

/** A record's state as the code the --state filter takes (the list answers only the console's words); null when the words are not in the table. */
function stateCode(record: QualificationRecord): string | null {
  const given = record.state;
  if (typeof given === 'string' && given !== '') return given;
  return qualificationStateOf(String(pick(record, 'stateName'))) ?? null;
}

/** A record's state as the code the --state filter takes, with the console's words for it. */
function stateText(record: QualificationRecord): string {
  const name = String(pick(record, 'stateName', 'state'));
  const code = qualificationStateOf(name);
  return code ? `${code} ${name}` : name || '-';
}

/**
 * A listed record in --json: its times ISO, as everywhere in smsq's JSON, `auditTime` null until an
 * audit is made (Dysmsapi answers "" beside the other records' times), and the state code.
 */
function listedJson(record: QualificationRecord): Record<string, unknown> {
  const out = withIsoTimesDeep(record) as Record<string, unknown>;
  const auditTime = out.auditTime === '' || out.auditTime === undefined ? null : out.auditTime;
  return { ...out, auditTime, state: stateCode(record) };
}

/** The first of `keys` that the record has; qualification records name things differently per API. */
function pick(record: QualificationRecord, ...keys: string[]): unknown {
  for (const k of keys) if (record[k] !== undefined && record[k] !== null) return record[k];
  return '';
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('qualifications')
    .description("list the account's qualification records (QuerySmsQualificationRecord)")
    .option('--page <n>', 'page to show, from 1 (default: 1)')
    .option('--page-size <n>', 'records per page, 1-50 (default: 20)')
    .option('--name <name>', 'qualification group name')
    .option('--company <name>', 'company name')
    .option('--legal-person <name>', 'legal person name')
    .option('--state <state>', `review state: ${QUALIFICATION_STATES.join(', ')}`)
    .option('--work-order-id <id>', 'work order id')
    .option('--use-by-self <true|false>', 'true: qualifications for your own use; false: for use by others')
    .option('--all', 'walk every page')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(listSchema, async (flags) => {
        const { client } = await ctx.sms();
        const result = await fetchPages(ctx, flags, (pageNo, pageSize) =>
          client.querySmsQualificationRecord({
            pageNo,
            pageSize,
            qualificationGroupName: flags.name,
            companyName: flags.company,
            legalPersonName: flags.legalPerson,
            state: flags.state,
            workOrderId: flags.workOrderId,
            useBySelf: flags.useBySelf,
          }),
        );
        refusePastLastPage(result, ['qualification record', 'qualification records']);
        if (flags.json) {
          ctx.printJson({ ...result, items: result.items.map(listedJson) });
          return;
        }
        if (result.items.length === 0) {
          ctx.print('No qualification records match.');
          return;
        }
        ctx.print(
          renderTable(
            [
              { header: 'group id', align: 'right' },
              { header: 'name', maxWidth: 30 },
              { header: 'company', maxWidth: 30 },
              { header: 'legal person' },
              { header: 'state' },
              { header: 'own use' },
              { header: 'work order' },
              { header: 'created' },
              // Why a NOT_PASS record was refused (what to fix in the console) is said here only.
              { header: 'remark', maxWidth: 40 },
            ],
            result.items.map((r) => {
              const own = pick(r, 'useBySelf');
              return [
                pick(r, 'groupId', 'qualificationGroupId'),
                pick(r, 'qualificationGroupName', 'qualificationName'),
                pick(r, 'companyName'),
                pick(r, 'legalPersonName'),
                stateText(r),
                own === true || own === 'true' ? 'yes' : own === false || own === 'false' ? 'no' : own,
                pick(r, 'workOrderId'),
                cstText(String(pick(r, 'createDate'))),
                String(pick(r, 'auditRemark')) || '-',
              ];
            }),
          ),
        );
        ctx.print(`${pagingFooter(result, 'record')} Details: smsq qualification GROUP_ID`);
      }),
    );

  program
    .command('qualification')
    .description('show one qualification record (QuerySingleSmsQualification)')
    .argument('<group-id>', 'the qualification group\'s id (smsq qualifications lists them)')
    .option('--order-id <id>', "the review's work order (OrderId; smsq qualifications lists it under work order)")
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(oneSchema, async (flags) => {
        const { client } = await ctx.sms();
        const outcome = await client.querySingleSmsQualification(flags.groupId, flags.orderId);
        // The ids are the call's only parameters: a refused parameter is an id the account does not have.
        if (!outcome.ok && refusesTheGroupId(outcome.error.code)) {
          throw new ApiCallError(
            outcome.error,
            flags.orderId === undefined
              ? {
                  meaning: `the account has no qualification group ${flags.groupId} (or Dysmsapi refused the id).`,
                  action: 'Nothing was changed: check the group id against smsq qualifications, which lists them (--name, --company, --state narrow it); then smsq qualification GROUP_ID',
                }
              : {
                  meaning: `the account has no qualification group ${flags.groupId} with work order ${flags.orderId} (or Dysmsapi refused the ids).`,
                  action: 'Nothing was changed: check both against smsq qualifications, which lists each group id with its work order (--work-order-id finds one); then smsq qualification GROUP_ID --order-id WORK_ORDER, or without --order-id',
                },
          );
        }
        const { data, requestId } = ctx.unwrap(outcome);
        if (flags.json) {
          ctx.printJson({ ...(withIsoTimesDeep(data) as object), requestId });
          return;
        }
        const entries = Object.entries(data).filter(([, v]) => v !== undefined && v !== null && v !== '');
        ctx.print(entries.length ? renderFields(entries) : `Qualification group ${flags.groupId} has no fields.`);
      }),
    );
}

/**
 * The answers that mean QuerySingleSmsQualification refused its one parameter, the group id. Its
 * own page documents no error code, so these are the documented ones: `isv.INVALID_PARAMETERS`,
 * Dysmsapi's code for a parameter it will not take (and what the emulator answers), and
 * `QualificationNotExist` (HTTP 400, "Can't query qualification information"), which Alibaba
 * documents for the same qualification id on ChangeSignatureQualification. Shapes guessed beyond
 * these took codes about something else (`isv.PARAM_LENGTH_LIMIT` is a template variable's).
 */
const GROUP_ID_REFUSALS: ReadonlySet<string> = new Set(['isv.INVALID_PARAMETERS', 'QualificationNotExist']);

/** Whether the answer refused the group id; any other refusal keeps its own words: it is not about the id. */
export function refusesTheGroupId(code: string): boolean {
  return GROUP_ID_REFUSALS.has(code);
}
