/**
 * What `smsq signs` and `smsq templates` share: their flags, the walk over QuerySmsSignList /
 * QuerySmsTemplateList pages, the approval words, `--approved` and the footer.
 */
import { z } from 'zod';
import type { AuditStatus, ListResponse, SmsOutcome } from '../src/sms/types.js';
import type { CliContext } from './context.js';
import { pagingFlags, switchFlag } from './flags.js';
import { auditWord, type ApprovalWord } from './format.js';
import { fetchPages, pagingFooter, refusePastLastPage, walkProgress, type PagedResult } from './paging.js';

export const catalogListSchema = z
  .object({ ...pagingFlags(20), all: switchFlag, approved: switchFlag, json: switchFlag })
  .superRefine((flags, check) => {
    // Neither list takes a state filter, so --approved filters what the pages hold: one page of it
    // would show part of the approved ones and could not say how many the other pages hold.
    if (!flags.approved || flags.page === 1) return;
    check.addIssue({
      code: 'custom',
      path: ['page'],
      message: `cannot go with --approved: --approved reads every page, so a page of it would show only part. Fix: drop --page (or drop --approved to see page ${flags.page} with every state)`,
    });
  });

export type CatalogListFlags = z.output<typeof catalogListSchema>;

export type WithApproval<T> = T & { status: ApprovalWord | string; approved: boolean };

export interface CatalogList<T> extends PagedResult<WithApproval<T>> {
  /** `--approved`: `items` holds the approved ones alone; `totalCount` is still every entry. */
  approvedOnly: boolean;
}

/**
 * One page, or with `--all` or `--approved` every page (progress on stderr), each item with its
 * state as a word and whether it can send; with `--approved` only those that can.
 */
export async function fetchCatalogList<T extends { auditStatus: AuditStatus }>(
  ctx: CliContext,
  flags: CatalogListFlags,
  command: 'signs' | 'templates',
  nouns: readonly [string, string],
  fetch: (pageIndex: number, pageSize: number) => Promise<SmsOutcome<ListResponse<T>>>,
): Promise<CatalogList<T>> {
  const all = flags.all || flags.approved;
  const result = await fetchPages(ctx, { page: flags.page, pageSize: flags.pageSize, all }, fetch, walkProgress(ctx, command, nouns[1], flags.pageSize));
  refusePastLastPage(result, nouns);
  const items = result.items.map((item) => {
    const status = auditWord(item.auditStatus);
    return { ...item, status, approved: status === 'approved' };
  });
  return { ...result, approvedOnly: flags.approved, items: flags.approved ? items.filter((item) => item.approved) : items };
}

/** The line instead of a table when there is nothing to show. */
export function emptyCatalogLine(list: CatalogList<unknown>, command: 'signs' | 'templates', singular: string, plural: string): string {
  if (list.approvedOnly && list.totalCount > 0) {
    const none = list.totalCount === 1 ? `the one ${singular} is not` : `none of the ${list.totalCount} is`;
    return `No approved ${plural}: ${none} approved yet. smsq ${command} shows each one's state.`;
  }
  return `No ${plural}. Create one in the Alibaba Cloud SMS console.`;
}

/** The line under the table: what was shown, how it relates to the pages, and how many can send. */
export function catalogFooter(list: CatalogList<unknown>, singular: string, plural: string): string {
  const approved = list.items.filter((item) => item.approved).length;
  if (list.approvedOnly) {
    return `${approved} approved of ${list.totalCount} ${list.totalCount === 1 ? singular : plural} (✓ = usable for sending); --approved read every page.`;
  }
  return `${pagingFooter(list, singular, plural)} ${approved} shown approved (✓ = usable for sending).`;
}
