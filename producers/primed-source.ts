import type { CampaignRecipient } from './schemas.js';
import { RECIPIENT_CHUNKS, RECIPIENT_COLUMNS, recipientChunksOf, recipientColumnsOf, type ChunkedRecipients, type ColumnedRecipients } from './recipient-source.js';

/** How a source's first read went, before anything was written for its campaign. */
export type FirstRead = 'rows' | 'empty' | 'failed' | 'pending';

export interface PrimedSource {
  /** The source as it was, its first read already made: a campaign reads it as it would the source. */
  source: AsyncIterable<CampaignRecipient>;
  /**
   * `failed`: the first read threw (a file that cannot be read, a header without a number column);
   * `empty`: the source ended at once; `pending`: `signal` aborted before the read answered.
   */
  first: FirstRead;
  /** Lets the source go when its campaign will not read it after all (a refusal after the first read). */
  close(): Promise<void>;
}

/**
 * Makes the first read of a campaign's `source` (its first chunk, for a file) before the account
 * look-ups, which write to Redis (the catalog cache, the pacer's slot): a list refused for itself
 * (no such file, no number column, nothing in it) is refused with nothing written at all. The read's
 * answer, or its error, is handed to the campaign as the first read of the returned source, so the
 * campaign says of it exactly what it said of the source read there.
 */
export async function primeSource(source: AsyncIterable<CampaignRecipient>, signal: AbortSignal | undefined): Promise<PrimedSource> {
  const chunks = recipientChunksOf(source);
  const items: AsyncIterator<unknown> = chunks ? chunks[Symbol.asyncIterator]() : source[Symbol.asyncIterator]();
  // A file's chunks can be empty (its header alone): read on to the first chunk of rows, or the end.
  const firstRead = (async () => {
    for (;;) {
      const next = await items.next();
      if (next.done || !chunks || (next.value as readonly unknown[]).length > 0) return next;
    }
  })();
  let answered = false;
  const outcome = firstRead.then(
    (next): FirstRead => (next.done ? 'empty' : 'rows'),
    (): FirstRead => 'failed',
  );
  void outcome.then(() => (answered = true));
  const first = await untilAborted(outcome, signal);

  let handedOver = false;
  const iterator: AsyncIterator<unknown> = {
    next: () => {
      if (handedOver) return items.next();
      handedOver = true;
      return firstRead;
    },
    // A generator's return() waits for a read in flight: not awaited while the first one is.
    return: async (value?: unknown) => {
      if (!answered) {
        void items.return?.(value).catch(() => undefined);
        return { done: true, value: undefined };
      }
      return (await items.return?.(value)) ?? { done: true, value: undefined };
    },
  };
  const iterable = { [Symbol.asyncIterator]: () => iterator };
  const primed: AsyncIterable<CampaignRecipient> & Partial<ChunkedRecipients> & ColumnedRecipients = chunks
    ? {
        [RECIPIENT_CHUNKS]: () => iterable as AsyncIterable<readonly CampaignRecipient[]>,
        async *[Symbol.asyncIterator]() {
          for await (const rows of iterable as AsyncIterable<readonly CampaignRecipient[]>) yield* rows;
        },
        [RECIPIENT_COLUMNS]: () => recipientColumnsOf(source),
      }
    : {
        [Symbol.asyncIterator]: () => iterator as AsyncIterator<CampaignRecipient>,
        [RECIPIENT_COLUMNS]: () => recipientColumnsOf(source),
      };
  return {
    source: primed,
    first: first ?? 'pending',
    close: async () => {
      await iterator.return?.();
    },
  };
}

/** `promise`'s value, or undefined as soon as `signal` aborts. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (signal === undefined) return promise;
  if (signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** What `work` gives; when it throws, `primed`'s source is let go first (its campaign will not read it). */
export async function closedIfThrows<T>(primed: PrimedSource, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await primed.close().catch(() => undefined);
    throw err;
  }
}
