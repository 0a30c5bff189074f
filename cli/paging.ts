import type { ListResponse, SmsOutcome } from '../src/sms/types.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';

/** Hard stop for `--all`, so an API that keeps answering full pages cannot loop forever. */
export const MAX_PAGES = 10_000;

export interface PagedResult<T> extends ListResponse<T> {
  /** First page shown (1 with `--all`). */
  page: number;
  pageSize: number;
  /** Every page was walked. */
  all: boolean;
  /** Request id of the last call. */
  requestId: string;
}

/**
 * Fetches one page, or with `all` every page from the first until the reported total is reached or
 * a page comes back short. A failed call ends the command (exit 1).
 */
export async function fetchPages<T>(
  ctx: CliContext,
  opts: { page: number; pageSize: number; all: boolean },
  fetch: (page: number, pageSize: number) => Promise<SmsOutcome<ListResponse<T>>>,
  /** With `all`, after each page: its number, the items fetched so far and the total reported. */
  onPage?: (page: number, fetched: number, totalCount: number) => void,
): Promise<PagedResult<T>> {
  // Before any call: --all walks from the first page, so a --page beside it would be ignored.
  if (opts.all && opts.page !== 1) {
    const message = `--all walks every page from the first, so --page ${opts.page} would be ignored.`;
    const fix = `drop --page, or drop --all to see page ${opts.page}`;
    throw new UsageError(`${message} Fix: ${fix}`, { issues: [{ field: '--page', message: `${message} Fix: ${fix}`, fix }] });
  }
  if (!opts.all) {
    const { data, requestId } = ctx.unwrap(await fetch(opts.page, opts.pageSize));
    return { page: opts.page, pageSize: opts.pageSize, all: false, totalCount: data.totalCount, requestId, items: data.items };
  }
  const items: T[] = [];
  let totalCount = 0;
  let requestId = '';
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = ctx.unwrap(await fetch(page, opts.pageSize));
    items.push(...answer.data.items);
    totalCount = answer.data.totalCount;
    requestId = answer.requestId;
    onPage?.(page, items.length, totalCount);
    if (answer.data.items.length < opts.pageSize || items.length >= totalCount) break;
  }
  return { page: 1, pageSize: opts.pageSize, all: true, totalCount: Math.max(totalCount, items.length), requestId, items };
}

/**
 * The `onPage` of a walk over more than one page: a line on stderr per page, as far as it is, so a
 * long walk is seen to move while stdout stays the answer.
 */
export function walkProgress(ctx: Pick<CliContext, 'note'>, command: string, plural: string, pageSize: number): (page: number, fetched: number, totalCount: number) => void {
  return (page, fetched, totalCount) => {
    const pages = Math.ceil(totalCount / pageSize);
    if (pages > 1) ctx.note(`${command}: page ${page} of ${pages}, ${fetched} of ${totalCount} ${plural}`);
  };
}

/** Whether the items shown are every one there is: `--all`, or one page that holds them all. */
export function showsEvery(r: Pick<PagedResult<unknown>, 'all' | 'totalCount' | 'items'>): boolean {
  return r.all || r.totalCount <= r.items.length;
}

/** The footer under a list: what was shown and how to see more. */
export function pagingFooter(r: PagedResult<unknown>, singular: string, plural = `${singular}s`): string {
  const noun = (n: number) => (n === 1 ? singular : plural);
  if (showsEvery(r)) return `${r.items.length} ${noun(r.items.length)} in all.`;
  const pages = Math.max(1, Math.ceil(r.totalCount / r.pageSize));
  const hint = r.page < pages ? ` Next: --page ${r.page + 1}, or --all.` : '';
  return `Page ${r.page} of ${pages}: ${r.items.length} of ${r.totalCount} ${noun(r.totalCount)}.${hint}`;
}

/**
 * Refuses a `--page` past the last page (a page with nothing on it while there are some): a bad
 * flag, exit 2, with the pages there are. It was a line on stdout and exit 0, which a script took
 * for an empty page. `noun`: singular and plural; `all`: the command has `--all`.
 */
export function refusePastLastPage(r: Pick<PagedResult<unknown>, 'page' | 'pageSize' | 'totalCount' | 'items'>, noun: readonly [string, string], all = true): void {
  if (r.items.length > 0 || r.totalCount <= 0) return;
  const pages = Math.max(1, Math.ceil(r.totalCount / r.pageSize));
  const many = r.totalCount !== 1;
  const message = `--page ${r.page} is past the last page: ${r.totalCount} ${many ? noun[1] : noun[0]} ${many ? 'fill' : 'fills'} ${pages} page${pages === 1 ? '' : 's'} of ${r.pageSize}.`;
  const fix = `${pages === 1 ? '--page 1 (the only page)' : `--page 1 to ${pages}`}${all ? ', or --all' : ''}`;
  throw new UsageError(message, { fix, issues: [{ field: '--page', message: `${message} Fix: ${fix}`, fix }] });
}
