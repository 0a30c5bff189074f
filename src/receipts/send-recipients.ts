import type { RedisConnection } from '../queue/connection.js';
import { decodeReceipt, type RecipientStore } from './recipient-store.js';
import { chunkIdOf, type ChunkRecord, type ChunkStore } from '../queue/chunk-store.js';
import type { Keys } from '../queue/keys.js';

/** Recipient states as users see them (chunk states mapped, receipts applied). */
export type RecipientStateName = 'queued' | 'sending' | 'accepted' | 'delivered' | 'failed' | 'expired' | 'cancelled' | 'suppressed' | 'rejected';

/** One recipient's state: from its chunk, overridden by its own receipt when there is one. */
export interface RecipientState {
  phone: string;
  state: RecipientStateName;
  code: string | undefined;
  bizId: string | undefined;
  /** Send attempts of its chunk. */
  attempts: number;
  /** When the current attempt was sent (ms). */
  sentAt: number | undefined;
  /** When the handset received it (ms), from the receipt. */
  receivedAt: number | undefined;
  chunkId: string | undefined;
}

const FROM_CHUNK: Record<string, RecipientStateName> = {
  queued: 'queued',
  sending: 'sending',
  unknown: 'sending',
  accepted: 'accepted',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
};

export interface SendRecipientsDeps {
  redis: RedisConnection;
  keys: Keys;
  chunks: ChunkStore;
  recipients: RecipientStore;
}

/**
 * Walks a send's chunks (and the children of split chunks) and yields every recipient with its
 * state, then the numbers skipped as opted out and those refused at the door (the first 1000 of a
 * campaign). Reads one chunk at a time: bounded memory.
 */
export async function* sendRecipients(deps: SendRecipientsDeps, sendId: string, chunkCount: number): AsyncGenerator<RecipientState> {
  async function* walk(c: ChunkRecord): AsyncGenerator<RecipientState> {
    if (c.state === 'split') {
      for (let i = 0; i < c.payload.phones.length; i++) {
        const child = await deps.chunks.get(chunkIdOf(sendId, `${c.index}-${i}`));
        if (child) yield* walk(child);
      }
      return;
    }
    const receipts = c.state === 'accepted' ? await deps.recipients.getMany(sendId, c.payload.phones) : [];
    for (let i = 0; i < c.payload.phones.length; i++) {
      const r = receipts[i];
      yield {
        phone: c.payload.phones[i] as string,
        state: r ? r.state : (FROM_CHUNK[c.state] ?? 'queued'),
        code: r ? r.code : c.code,
        bizId: c.bizId,
        attempts: c.attempt,
        sentAt: c.sentAt,
        receivedAt: r?.receivedAt,
        chunkId: c.chunkId,
      };
    }
  }
  for (let i = 0; i < chunkCount; i++) {
    const c = await deps.chunks.get(chunkIdOf(sendId, String(i)));
    if (c) yield* walk(c);
  }
  let cursor = '0';
  do {
    const [next, flat] = await deps.redis.hscan(deps.keys.recipients(sendId), cursor, 'COUNT', 1000);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) {
      const r = decodeReceipt(flat[i + 1]);
      if (r?.state !== 'suppressed' && r?.state !== 'rejected') continue;
      yield { phone: flat[i] as string, state: r.state, code: r.code, bizId: undefined, attempts: 0, sentAt: undefined, receivedAt: undefined, chunkId: undefined };
    }
  } while (cursor !== '0');
}
