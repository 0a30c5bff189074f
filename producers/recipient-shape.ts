import type { CampaignRecipient } from './schemas.js';

/**
 * What a recipient that is not of the shape `{ phone: string, params?: { [name]: string } }` is
 * refused as: a row of its own, in its place, while the rest of the list goes on. A file's reader
 * only makes rows of that shape; a JavaScript caller's array or stream may hold anything (a phone
 * as a number, as JSON from a database often has it; a null), and a row of another shape was
 * read on as if it were one, until it threw a TypeError part-way through the list, after chunks
 * had been written.
 */
export interface MisshapenRow {
  /** The row as the campaign takes it: the input as text, and why it is refused. */
  row: CampaignRecipient & { error: string };
  /** What the refusal names: the row, its number, or a field of it. */
  about: 'number' | 'row' | { field: string };
}

/** Whether `row` is of the shape a campaign reads; a file's rows are (they come with their line). */
export function isRecipientShaped(row: CampaignRecipient): boolean {
  if (row === null || typeof row !== 'object' || typeof row.phone !== 'string') return false;
  if (row.params === undefined || row.line !== undefined) return true;
  if (row.params === null || typeof row.params !== 'object') return false;
  for (const name in row.params) if (typeof row.params[name] !== 'string') return false;
  return true;
}

/** Why `row`, at `place` (`recipients[3]`), is not of the shape {@link isRecipientShaped} asks. */
export function misshapenRow(row: unknown, place: string): MisshapenRow {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    return { row: { phone: '', error: `must be an object { phone, params? }, got ${kindOf(row)}. Fix: give each recipient as an object, e.g. { phone: '13800138000' }, with its own template params as params: { name: 'Li' }` }, about: 'row' };
  }
  const { phone, params } = row as { phone?: unknown; params?: unknown };
  if (typeof phone !== 'string') {
    const input = typeof phone === 'number' || typeof phone === 'bigint' ? String(phone) : '';
    const fix = input !== '' ? `quote it: phone: '${input}' (a number loses a leading + or 0)` : "give the number as text, e.g. phone: '13800138000'";
    return { row: { phone: input, error: `must be a string, got ${kindOf(phone)}. Fix: ${fix}` }, about: 'number' };
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return { row: { phone, error: `must be an object of template params, got ${kindOf(params)}. Fix: params: { name: 'Li' }, or leave it out` }, about: { field: `${place}.params` } };
  }
  const name = Object.keys(params).find((key) => typeof (params as Record<string, unknown>)[key] !== 'string') as string;
  const value = (params as Record<string, unknown>)[name];
  const fix = typeof value === 'number' || typeof value === 'boolean' ? `give it as text: ${name}: '${String(value)}'` : `give it as text, e.g. ${name}: 'Li'`;
  return { row: { phone, error: `must be a string, got ${kindOf(value)}. Fix: ${fix}` }, about: { field: `${place}.params.${name}` } };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
