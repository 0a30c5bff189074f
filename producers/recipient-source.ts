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
