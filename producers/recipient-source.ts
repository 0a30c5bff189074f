import type { CampaignRecipient } from './schemas.js';

/**
 * The key of an optional method of a recipient source: it hands the rows over a chunk at a time,
 * as lazy synchronous iterables (one per chunk of the file, each to be read to its end before the
 * next is asked for). A campaign then steps through the rows without an `await` per row, which
 * is most of the allocation per row of an async iterator. `readRecipientsCsv` provides it; any
 * other `AsyncIterable<CampaignRecipient>` is read row by row as before.
 */
export const RECIPIENT_CHUNKS = Symbol('smsq.recipientChunks');

export interface ChunkedRecipients {
  /** Call once, instead of iterating the source itself. */
  [RECIPIENT_CHUNKS](): AsyncIterable<Iterable<CampaignRecipient>>;
}

/** The chunked form of `source`, when it has one. */
export function recipientChunksOf(source: AsyncIterable<CampaignRecipient>): AsyncIterable<Iterable<CampaignRecipient>> | undefined {
  const chunks = (source as Partial<ChunkedRecipients>)[RECIPIENT_CHUNKS];
  return typeof chunks === 'function' ? chunks.call(source) : undefined;
}
