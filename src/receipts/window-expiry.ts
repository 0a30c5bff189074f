import type { Logger } from '../logger.js';
import type { ChunkStore } from '../queue/chunk-store.js';
import type { Completion } from './completion.js';
import type { RecipientStore } from './recipient-store.js';

export interface WindowExpiryDeps {
  chunks: ChunkStore;
  recipients: RecipientStore;
  completion: Completion;
  logger: Logger;
}

/**
 * Ends the receipt window of one accepted chunk: its recipients still without a final receipt
 * become `expired` with SMSQ_RECEIPT_WINDOW; by chunk when its stored payload no longer parses (no
 * number says which they are). Idempotent (a recipient with a receipt is left alone, a chunk
 * expired by chunk is not again), so running it twice for a chunk (a sweep retried after a crash)
 * changes nothing the second time. Returns how many recipients it expired.
 */
export type ExpireChunk = (chunkId: string) => Promise<number>;

export function createWindowExpiry(deps: WindowExpiryDeps): ExpireChunk {
  const log = deps.logger.child({ component: 'receipt-window' });
  return async function expireChunk(chunkId) {
    const chunk = await deps.chunks.get(chunkId);
    if (!chunk || chunk.state !== 'accepted') return 0;
    const { sendId } = chunk;
    if (!chunk.payload) {
      // Accepted, then its record was altered: no number to expire by, so by chunk, or the send
      // would never end.
      const ended = await deps.recipients.expireByChunk(sendId, chunkId, 'SMSQ_RECEIPT_WINDOW', chunk.problem ?? '');
      if (ended.status !== 'expired') return 0;
      log.error(
        { sendId, chunkId, code: 'SMSQ_RECEIPT_WINDOW', expired: ended.expired, reason: chunk.problem },
        "receipt window ended, and the chunk's stored payload does not parse: its recipients without a receipt are expired by chunk (their numbers cannot be read)",
      );
      if (ended.leftAccepted > 0) {
        log.error(
          { sendId, chunkId, leftAccepted: ended.leftAccepted },
          "the chunk may hold up to leftAccepted more recipients without a receipt, which its records cannot tell from its send's other chunks' (receipts were applied before chunks tallied them, by a version before 1312f34): they stay accepted, as expiring them could take another chunk's recipients, whose receipts would then be refused; the send does not complete",
        );
      }
      await deps.completion.check(sendId, ended.pending);
      return ended.expired;
    }
    const phones = chunk.payload.phones;
    const receipts = await deps.recipients.getMany(sendId, phones);
    // All at once (ioredis writes them together): one round trip for a chunk, not one per number.
    const results = await Promise.all(
      phones
        .filter((_, i) => !receipts[i])
        .map((phone) => deps.recipients.apply(sendId, chunkId, phone, { state: 'expired', code: 'SMSQ_RECEIPT_WINDOW', receivedAt: undefined, source: 'window' })),
    );
    // Each apply answers the pending count after it; the last one Redis ran saw the fewest.
    const pendings = results.flatMap((r) => (r.status === 'applied' ? [r.pending] : []));
    const expired = pendings.length;
    const pending = expired ? Math.min(...pendings) : undefined;
    if (expired) {
      log.info({ sendId, chunkId, expired }, 'receipt window ended: recipients without a receipt are expired');
      await deps.completion.check(sendId, pending);
    }
    return expired;
  };
}
