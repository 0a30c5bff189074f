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
