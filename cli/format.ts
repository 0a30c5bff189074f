/**
 * Pure helpers that turn API values into what a person reads: status words, aligned tables that
 * stay aligned with Chinese text, and template placeholders.
 */
import type { ApprovalStatus, AuditStatus, SendStatus } from '../src/sms/types.js';
import { formatTime, isoTime } from '../src/china-time.js';
import { parseCstDateTime } from '../src/sms/dates.js';

export type ApprovalWord = 'reviewing' | 'approved' | 'rejected' | 'cancelled';

const APPROVAL_WORDS: Record<number, ApprovalWord> = { 0: 'reviewing', 1: 'approved', 2: 'rejected', 10: 'cancelled' };

/** GetSmsSign / GetSmsTemplate status numbers: 0 reviewing, 1 approved, 2 rejected, 10 cancelled. */
export function approvalWord(status: ApprovalStatus | number): ApprovalWord | `unknown (${number})` {
  return APPROVAL_WORDS[status] ?? `unknown (${status})`;
}

const AUDIT_WORDS: Record<string, ApprovalWord> = {
  AUDIT_STATE_INIT: 'reviewing',
  AUDIT_STATE_PASS: 'approved',
  AUDIT_STATE_NOT_PASS: 'rejected',
  AUDIT_STATE_CANCEL: 'cancelled',
  // The API really spells it this way in some answers.
  AUDIT_SATE_CANCEL: 'cancelled',
};

/** QuerySmsSignList / QuerySmsTemplateList `AuditStatus` strings as words. */
export function auditWord(status: AuditStatus): ApprovalWord | string {
  return AUDIT_WORDS[status] ?? (status === '' ? 'unknown' : status);
}

const SEND_STATUS_WORDS: Record<number, string> = { 1: 'waiting', 2: 'failed', 3: 'delivered' };

/** QuerySendDetails `SendStatus`: 1 waiting for a receipt, 2 failed, 3 delivered. */
export function sendStatusWord(status: SendStatus | number): string {
  return SEND_STATUS_WORDS[status] ?? `unknown (${status})`;
}

const TEMPLATE_TYPE_WORDS: Record<number, string> = {
  0: 'verification',
  1: 'notification',
  2: 'marketing',
  3: 'international',
  7: 'digital',
};

/** Template types: 0 verification, 1 notification, 2 marketing, 3 international, 7 digital. */
export function templateTypeWord(type: number): string {
  return TEMPLATE_TYPE_WORDS[type] ?? `type ${type}`;
}

// East Asian wide and full-width ranges, and emoji: two terminal columns each.
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u;

function charWidth(ch: string): number {
  return WIDE.test(ch) ? 2 : 1;
}

/** Columns a string takes in a terminal. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/**
 * Makes API text safe for one table cell: control characters (newlines, and the ESC that starts
 * terminal escape sequences) become spaces.
 */
export function cleanCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

/** Cuts `s` to at most `max` columns, ending with `…` when cut. */
export function truncate(s: string, max: number): string {
  if (displayWidth(s) <= max) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > max - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

export interface Column {
  header: string;
  /** Cut longer cells to this many columns. Default: no limit. */
  maxWidth?: number;
  /** Default `left`; numbers read better right-aligned. */
  align?: 'left' | 'right';
}

/**
 * Renders rows under a header, columns separated by two spaces, trailing spaces trimmed. Returns
 * the text without a final newline.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) =>
    columns.map((col, i) => {
      const text = cleanCell(row[i]);
      return col.maxWidth === undefined ? text : truncate(text, col.maxWidth);
    }),
  );
  // A loop, not Math.max(...widths): spread as arguments, 400,000 rows overflowed the call stack.
  const widths = columns.map((col, i) => cells.reduce((widest, r) => Math.max(widest, displayWidth(r[i] ?? '')), displayWidth(col.header)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => pad(v, widths[i] ?? 0, columns[i]?.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** Renders `label: value` pairs with the values aligned. */
export function renderFields(pairs: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => displayWidth(k)));
  return pairs.map(([k, v]) => `${pad(`${k}`, width, 'left')}  ${cleanCell(v)}`.trimEnd()).join('\n');
}

/** The non-zero counts of a send as `state n, state n, …`, in the order given. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** A `yyyy-MM-dd HH:mm:ss` China time as Alibaba writes it, in smsq's JSON convention (ISO 8601 with the offset); text it cannot read as it came. */
export function cstIso(value: string | undefined): string | undefined {
  if (!value) return value;
  try {
    return isoTime(parseCstDateTime(value));
  } catch {
    return value;
  }
}

/** `record` with the Alibaba China times of `fields` in smsq's JSON convention (see {@link cstIso}). */
export function withIsoTimes<T extends object>(record: T, fields: readonly (keyof T & string)[]): T {
  const out = { ...record };
  for (const field of fields) {
    const value = out[field];
    if (typeof value === 'string') (out as Record<string, unknown>)[field] = cstIso(value);
  }
  return out;
}

const CST_DATE_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/**
 * `value` with every Alibaba China time in it (a string that is exactly `yyyy-MM-dd HH:mm:ss`, at any
 * depth) in smsq's JSON convention: for records whose time fields are not listed, as a
 * qualification's (createDate, auditTime, and the dates of its documents).
 */
export function withIsoTimesDeep(value: unknown): unknown {
  if (typeof value === 'string') return CST_DATE_TIME.test(value) ? cstIso(value) : value;
  if (Array.isArray(value)) return value.map(withIsoTimesDeep);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withIsoTimesDeep(v)]));
  return value;
}

/**
 * A `yyyy-MM-dd HH:mm:ss` China time as Alibaba writes it (SendDate, ReceiveDate, CreateDate), in
 * smsq's one text convention (`2026-12-04 07:42:22 +08:00`); text it cannot read as it came, `-` for none.
 */
export function cstText(value: string | undefined): string {
  if (!value) return '-';
  try {
    return formatTime(parseCstDateTime(value));
  } catch {
    return value;
  }
}
