/**
 * QuerySendDetails and QuerySendStatistics over the recipient records, with receipt states computed
 * from the clock at the time of the query.
 */
import { cstDayIndex, formatCstDateTime, formatCstDayIndex, parseCstDay } from './cst-time.js';
import { DELIVERED, receiptAt } from './delivery.js';
import { businessError, gatewayErrors, type ApiError } from './errors.js';
import { parsePhone } from './phone.js';
import type { RecipientStore, StoredRecipient } from './record-store.js';

/** QuerySendDetails looks back this many CST days (today included in addition). */
export const DETAILS_RETENTION_DAYS = 30;
export const MAX_PAGE_SIZE = 50;

const DIGITS = /^\d+$/;

export type QueryResult = { ok: true; body: Record<string, unknown> } | { ok: false; error: ApiError };

const invalid = (message: string): QueryResult => ({ ok: false, error: businessError('isv.INVALID_PARAMETERS', `参数异常: ${message}`) });

/** A positive integer parameter within `[min, max]`, or `undefined`. */
export function intParam(value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined || !DIGITS.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

export interface DetailsContext {
  store: RecipientStore;
  now: number;
  /** Records younger than this (ms since acceptance) are not visible yet. */
  lagMs: number;
}

export function querySendDetails(params: Record<string, string>, ctx: DetailsContext): QueryResult {
  if (!params.PhoneNumber) return { ok: false, error: gatewayErrors.missingParameter('PhoneNumber') };
  if (!params.SendDate) return { ok: false, error: gatewayErrors.missingParameter('SendDate') };
  if (params.PageSize === undefined) return { ok: false, error: gatewayErrors.missingParameter('PageSize') };
  if (params.CurrentPage === undefined) return { ok: false, error: gatewayErrors.missingParameter('CurrentPage') };
  const phone = parsePhone(params.PhoneNumber);
  if (!phone) return { ok: false, error: businessError('isv.MOBILE_NUMBER_ILLEGAL', `非法手机号: ${params.PhoneNumber}`) };
  const day = parseCstDay(params.SendDate);
  if (day === undefined) return invalid('SendDate must be yyyyMMdd');
  const today = cstDayIndex(ctx.now);
  if (today - day > DETAILS_RETENTION_DAYS) return invalid(`SendDate must be within the last ${DETAILS_RETENTION_DAYS} days`);
  const pageSize = intParam(params.PageSize, 1, MAX_PAGE_SIZE);
  if (pageSize === undefined) return invalid(`PageSize must be 1..${MAX_PAGE_SIZE}`);
  const page = intParam(params.CurrentPage, 1, Number.MAX_SAFE_INTEGER);
  if (page === undefined) return invalid('CurrentPage must be a positive integer');
  const bizId = params.BizId || undefined;

  const visibleBefore = ctx.now - ctx.lagMs;
  const matches: StoredRecipient[] = [];
  for (const r of ctx.store.forPhone(phone.normalized)) {
    if (r.acceptedAt > visibleBefore) continue;
    if (bizId !== undefined && r.bizId !== bizId) continue;
    if (cstDayIndex(r.acceptedAt) !== day) continue;
    matches.push(r);
  }
  // Newest first; records of one number are kept in acceptance order, so reverse, then settle ties.
  matches.reverse().sort((a, b) => b.acceptedAt - a.acceptedAt);
  const pageItems = matches.slice((page - 1) * pageSize, page * pageSize);
  return {
    ok: true,
    body: {
      TotalCount: String(matches.length),
      SmsSendDetailDTOs: { SmsSendDetailDTO: pageItems.map((r) => detailDto(r, ctx.now)) },
    },
  };
}

function detailDto(r: StoredRecipient, now: number): Record<string, unknown> {
  const state = receiptAt(r.dueAt, r.finalCode, now);
  return {
    PhoneNum: r.phone,
    SendStatus: state.sendStatus,
    ErrCode: state.errCode,
    TemplateCode: r.templateCode,
    Content: r.content,
    SendDate: formatCstDateTime(r.acceptedAt),
    ReceiveDate: state.receiveAt === undefined ? '' : formatCstDateTime(state.receiveAt),
    OutId: r.outId,
  };
}

interface DayRow {
  day: number;
  total: number;
  success: number;
  fail: number;
  waiting: number;
}

export function querySendStatistics(params: Record<string, string>, ctx: DetailsContext): QueryResult {
  for (const name of ['IsGlobe', 'StartDate', 'EndDate', 'PageIndex', 'PageSize'] as const) {
    if (params[name] === undefined || params[name] === '') return { ok: false, error: gatewayErrors.missingParameter(name) };
  }
  const globe = intParam(params.IsGlobe, 1, 2);
  if (globe === undefined) return invalid('IsGlobe must be 1 or 2');
  const start = parseCstDay(params.StartDate as string);
  const end = parseCstDay(params.EndDate as string);
  if (start === undefined || end === undefined) return invalid('StartDate and EndDate must be yyyyMMdd');
  if (end < start) return invalid('EndDate is before StartDate');
  const pageIndex = intParam(params.PageIndex, 1, Number.MAX_SAFE_INTEGER);
  if (pageIndex === undefined) return invalid('PageIndex must be a positive integer');
  const pageSize = intParam(params.PageSize, 1, MAX_PAGE_SIZE);
  if (pageSize === undefined) return invalid(`PageSize must be 1..${MAX_PAGE_SIZE}`);
  let templateType: number | undefined;
  if (params.TemplateType !== undefined && params.TemplateType !== '') {
    templateType = intParam(params.TemplateType, 0, 7);
    if (templateType === undefined) return invalid('TemplateType must be 0, 1, 2, 3 or 7');
  }
  const signName = params.SignName || undefined;

  const rows = new Map<number, DayRow>();
  const row = (day: number): DayRow => {
    let r = rows.get(day);
    if (!r) rows.set(day, (r = { day, total: 0, success: 0, fail: 0, waiting: 0 }));
    return r;
  };
  const visibleBefore = ctx.now - ctx.lagMs;
  for (const r of ctx.store.all()) {
    if (r.acceptedAt > visibleBefore) continue;
    if ((r.mainland ? 1 : 2) !== globe) continue;
    if (signName !== undefined && r.signName !== signName) continue;
    if (templateType !== undefined && r.templateType !== templateType) continue;
    const day = cstDayIndex(r.acceptedAt);
    if (day < start || day > end) continue;
    const dayTotals = row(day);
    dayTotals.total++;
    if (ctx.now < r.dueAt) dayTotals.waiting++;
    else if (r.finalCode === DELIVERED) dayTotals.success++;
    else dayTotals.fail++;
  }
  for (const c of ctx.store.evictedCounts()) {
    if (c.globe !== globe || c.day < start || c.day > end) continue;
    if (signName !== undefined && c.signName !== signName) continue;
    if (templateType !== undefined && c.templateType !== templateType) continue;
    const dayTotals = row(c.day);
    dayTotals.total += c.total;
    dayTotals.success += c.success;
    dayTotals.fail += c.fail;
  }
  const sorted = [...rows.values()].sort((a, b) => a.day - b.day);
  const pageRows = sorted.slice((pageIndex - 1) * pageSize, pageIndex * pageSize);
  return {
    ok: true,
    body: {
      Data: {
        TotalSize: sorted.length,
        TargetList: pageRows.map((dayTotals) => ({
          SendDate: formatCstDayIndex(dayTotals.day),
          TotalCount: dayTotals.total,
          RespondedSuccessCount: dayTotals.success,
          RespondedFailCount: dayTotals.fail,
          NoRespondedCount: dayTotals.waiting,
        })),
      },
    },
  };
}
