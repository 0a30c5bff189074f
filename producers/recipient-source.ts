import { ValidationError } from '../src/errors.js';
import type { CampaignRecipient } from './schemas.js';

/**
 * The key of an optional method of a recipient source: it hands the rows over a chunk at a time,
 * as arrays (one per chunk of the file, made when the chunk is asked for). A campaign then steps
 * through the rows with an index, without an `await` or an iterator result per row: those were
 * most of the allocation per row (docs/benchmarks.md, "Figures behind the code").
 * `readRecipientsCsv` and `readRecipientsXlsx` provide it; any other
 * `AsyncIterable<CampaignRecipient>` is read row by row.
 */
export const RECIPIENT_CHUNKS = Symbol('smsq.recipientChunks');

export interface ChunkedRecipients {
  /** Call once, instead of iterating the source itself. */
  [RECIPIENT_CHUNKS](): AsyncIterable<readonly CampaignRecipient[]>;
}

/** The chunked form of `source`, when it has one. */
export function recipientChunksOf(source: AsyncIterable<CampaignRecipient>): AsyncIterable<readonly CampaignRecipient[]> | undefined {
  const chunks = (source as Partial<ChunkedRecipients>)[RECIPIENT_CHUNKS];
  return typeof chunks === 'function' ? chunks.call(source) : undefined;
}

/**
 * The key of an optional method of a recipient file's reader: the param columns its header named
 * (the number column apart), once the header has been read; none for a list without a
 * header. Every row of a file has the same columns, so a column the template cannot use, or a
 * variable no column fills, is refused once for the file, not once per row.
 */
export const RECIPIENT_COLUMNS = Symbol('smsq.recipientColumns');

/** The param columns of a file's header and where the header is (`file:1`, for messages). */
export interface FileColumns {
  params: readonly string[];
  field: string;
  /** The file has no header row (its first line is a number): no column can give a variable. */
  headerless?: boolean;
  /** The number column as the header spells it (`手机号`), for messages about a row's number; none without a header. */
  phone?: string;
}

export interface ColumnedRecipients {
  [RECIPIENT_COLUMNS](): FileColumns | undefined;
}

/** The header's param columns of `source`, when it is a file with a header that has been read. */
export function recipientColumnsOf(source: AsyncIterable<CampaignRecipient>): FileColumns | undefined {
  const columns = (source as Partial<ColumnedRecipients>)[RECIPIENT_COLUMNS];
  return typeof columns === 'function' ? columns.call(source) : undefined;
}

/**
 * What `producer.campaign` and `planCampaign` read recipients from: an array (or any iterable) of
 * them, or a stream (an async iterable: `readRecipientsFile`, a generator over a database cursor).
 */
export type RecipientSource = AsyncIterable<CampaignRecipient> | Iterable<CampaignRecipient>;

/** Rows of an array handed over at a time ({@link RECIPIENT_CHUNKS}): a file reader's chunk size. */
const ARRAY_CHUNK_ROWS = 1000;

/**
 * `source` as the campaign reads it: a stream as it is, an array in chunks, another iterable row by
 * row. Anything else (a string, such as a file's name, is not a list) is refused with a
 * ValidationError naming `field` and what to pass, before anything is read or written: it failed
 * with a TypeError about `Symbol.asyncIterator`, naming neither.
 */
export function campaignSource(source: unknown, field: string): AsyncIterable<CampaignRecipient> {
  const has = (key: symbol) => typeof source === 'object' && source !== null && typeof (source as Record<symbol, unknown>)[key] === 'function';
  if (has(Symbol.asyncIterator)) return source as AsyncIterable<CampaignRecipient>;
  if (Array.isArray(source)) {
    const rows = source as readonly CampaignRecipient[];
    const chunked: AsyncIterable<CampaignRecipient> & ChunkedRecipients = {
      async *[Symbol.asyncIterator]() {
        yield* rows;
      },
      async *[RECIPIENT_CHUNKS]() {
        for (let at = 0; at < rows.length; at += ARRAY_CHUNK_ROWS) yield rows.slice(at, at + ARRAY_CHUNK_ROWS);
      },
    };
    return chunked;
  }
  if (has(Symbol.iterator)) {
    const rows = source as Iterable<CampaignRecipient>;
    return (async function* () {
      yield* rows;
    })();
  }
  const what = typeof source === 'string' ? `a string (${source.length > 40 ? `${source.slice(0, 40)}…` : source})` : source === null ? 'null' : typeof source;
  throw new ValidationError([
    {
      field,
      message: `must be the recipients: an array or iterable of { phone, params? }, or an async iterable of them; got ${what}. Fix: pass e.g. [{ phone: '13800138000' }], or readRecipientsFile('list.csv') for a file`,
    },
  ]);
}
