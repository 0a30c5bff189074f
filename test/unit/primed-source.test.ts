import { describe, expect, it } from 'vitest';
import { closedIfThrows, primeSource } from '../../producers/primed-source.js';
import { RECIPIENT_CHUNKS, RECIPIENT_COLUMNS, recipientChunksOf, recipientColumnsOf } from '../../producers/recipient-source.js';
import type { CampaignRecipient } from '../../producers/schemas.js';

const row = (phone: string): CampaignRecipient => ({ phone });

/** A chunked source, as a file reader is: `chunks` handed over in order, then `error` if given. */
function chunked(chunks: readonly (readonly CampaignRecipient[])[], error?: Error) {
  const reads = { chunks: 0 };
  const source = {
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield* c;
    },
    async *[RECIPIENT_CHUNKS]() {
      for (const c of chunks) {
        reads.chunks++;
        yield c;
      }
      if (error) throw error;
    },
    [RECIPIENT_COLUMNS]: () => ({ params: ['name'], field: 'file:1', phone: '手机号' }),
  };
  return { source, reads };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('primeSource', () => {
  it('reads past empty chunks to the first rows, and hands every chunk on in order, the first once', async () => {
    const { source, reads } = chunked([[], [], [row('1')], [row('2'), row('3')]]);
    const primed = await primeSource(source, undefined);
    expect(primed.first).toBe('rows');
    expect(reads.chunks).toBe(3);
    const chunks = recipientChunksOf(primed.source);
    expect(chunks).toBeDefined();
    expect(await all(chunks as AsyncIterable<readonly CampaignRecipient[]>)).toEqual([[row('1')], [row('2'), row('3')]]);
    expect(recipientColumnsOf(primed.source)).toEqual({ params: ['name'], field: 'file:1', phone: '手机号' });
  });

  it('a source of chunks that are all empty is empty', async () => {
    const primed = await primeSource(chunked([[], []]).source, undefined);
    expect(primed.first).toBe('empty');
  });

  it('a first read that fails is failed, and the campaign reading it gets the same error there', async () => {
    const broken = new Error('no such file');
    const primed = await primeSource(chunked([], broken).source, undefined);
    expect(primed.first).toBe('failed');
    await expect(all(recipientChunksOf(primed.source) as AsyncIterable<unknown>)).rejects.toBe(broken);
  });

  it('a source read row by row hands its first row on, then the rest', async () => {
    async function* rows() {
      yield row('1');
      yield row('2');
    }
    const primed = await primeSource(rows(), undefined);
    expect(primed.first).toBe('rows');
    expect(recipientChunksOf(primed.source)).toBeUndefined();
    expect(await all(primed.source)).toEqual([row('1'), row('2')]);
  });

  it('a stop while the first read waits answers pending at once, and letting it go does not wait for the read', async () => {
    let release: (() => void) | undefined;
    let closed = false;
    async function* slow() {
      try {
        await new Promise<void>((resolve) => (release = resolve));
        yield row('1');
      } finally {
        closed = true;
      }
    }
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 10);
    const primed = await primeSource(slow(), stop.signal);
    expect(primed.first).toBe('pending');
    await primed.close();
    release?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(true);
  });

  it('closedIfThrows lets the source go when the work after the first read throws, and not when it succeeds', async () => {
    let closed = 0;
    async function* rows() {
      try {
        yield row('1');
        yield row('2');
      } finally {
        closed++;
      }
    }
    const refused = await primeSource(rows(), undefined);
    await expect(closedIfThrows(refused, async () => Promise.reject(new Error('unknown template')))).rejects.toThrow('unknown template');
    expect(closed).toBe(1);
    const kept = await primeSource(rows(), undefined);
    expect(await closedIfThrows(kept, async () => 'rules')).toBe('rules');
    expect(closed).toBe(1);
    expect(await all(kept.source)).toEqual([row('1'), row('2')]);
    expect(closed).toBe(2);
  });
});
