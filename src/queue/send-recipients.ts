import { chunkIdOf, type ChunkRecord, type ChunkStore } from './chunk-store.js';

/** One recipient's state, as recorded on its chunk. */
export interface RecipientState {
  phone: string;
  state: string;
  code: string | undefined;
  bizId: string | undefined;
  attempts: number;
  chunkId: string;
}

/**
 * Walks a send's chunks (and the children of split chunks) and yields every recipient with the
 * state of the chunk that carries it. Reads one chunk at a time: bounded memory for any size.
 */
export async function* sendRecipients(chunks: ChunkStore, sendId: string, chunkCount: number): AsyncGenerator<RecipientState> {
  async function* walk(c: ChunkRecord): AsyncGenerator<RecipientState> {
    if (c.state === 'split') {
      for (let i = 0; i < c.payload.phones.length; i++) {
        const child = await chunks.get(chunkIdOf(sendId, `${c.index}-${i}`));
        if (child) yield* walk(child);
      }
      return;
    }
    for (const phone of c.payload.phones) {
      yield { phone, state: c.state, code: c.code, bizId: c.bizId, attempts: c.attempt, chunkId: c.chunkId };
    }
  }
  for (let i = 0; i < chunkCount; i++) {
    const c = await chunks.get(chunkIdOf(sendId, String(i)));
    if (c) yield* walk(c);
  }
}
