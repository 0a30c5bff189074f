import type { RedisConnection } from '../queue/connection.js';
import { decodeReceipt, FINAL_RECIPIENT_STATES, type FinalRecipientState, type RecipientReceipt, type RecipientStore } from './recipient-store.js';
import { chunkIdOf, type ChunkRecord, type ChunkStore } from '../queue/chunk-store.js';
import type { Keys } from '../queue/keys.js';
import { FIRST_RECIPIENT, type RecipientPosition } from '../queue/recipient-cursor.js';
import { COMPACT_FIELD, compactCreatedAt, compactValue, parseCompactChunks, type SendStatus } from '../queue/send-store.js';

/**
 * Recipient states as users see them (chunk states mapped, receipts applied). `unknown`: in doubt,
 * its call timed out or failed in transit, looked up before any resend (listed `sending` before,
 * beside counts that said `unknown`).
 */
export type RecipientStateName = 'queued' | 'sending' | 'unknown' | 'accepted' | 'delivered' | 'failed' | 'expired' | 'cancelled' | 'suppressed' | 'rejected';

/** One recipient's state: from its chunk, overridden by its own receipt when there is one. */
export interface RecipientState {
  phone: string;
  state: RecipientStateName;
  code: string | undefined;
  bizId: string | undefined;
  /** Attempts of its chunk that made a Dysmsapi call, or may have (one lost mid-call is counted: it is looked up). */
  attempts: number;
  /** Attempts of its chunk undone before their call (the worker stopping, for one): no call made, not in {@link attempts}. Present when there is one. */
  attemptsUndone?: number;
  /** When the current attempt was sent (ms); undefined while queued. */
  sentAt: number | undefined;
  /** When the handset received it (ms), from the receipt. */
  receivedAt: number | undefined;
  /** `receivedAt` is when smsq received the pushed report, whose own time was missing or unusable. */
  receivedAtFromPush?: true;
  chunkId: string | undefined;
}

/** The phone listed for a recipient of a chunk whose stored payload does not parse (its code says so: SMSQ_PAYLOAD_UNREADABLE). */
export const UNREADABLE_PHONE = '(unreadable)';

const FROM_CHUNK: Record<string, RecipientStateName> = {
  queued: 'queued',
  sending: 'sending',
  unknown: 'unknown',
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

/** What a page of recipients needs to know of its send (from its status). */
export interface SendShape {
  sendId: string;
  /** Chunks of the send (as recorded; a campaign records them when its enqueue is done). */
  chunks: number;
  /** Still enqueuing: chunks and numbers without a chunk may still be added. */
  enqueuing: boolean;
  /** Numbers recorded without a chunk: opted out, and refused at the door. */
  unchunked: number;
}

/** The shape of a send, from its status. */
export function sendShapeOf(status: SendStatus): SendShape {
  return {
    sendId: status.send.sendId,
    chunks: status.send.chunks,
    enqueuing: status.send.state === 'enqueuing',
    unchunked: status.counts.suppressed + status.counts.rejected,
  };
}

/** A page of recipients, and where the next one starts (undefined: this was the last). */
export interface RecipientPage {
  recipients: RecipientState[];
  next: RecipientPosition | undefined;
}

/** Chunk records read at once while filling a page (one round trip each, in flight together). */
const CHUNKS_IN_FLIGHT = 64;
/** Fields of the recipients hash read per HSCAN call. */
const SCAN_COUNT = 1000;

/**
 * The recipients of chunk `c` from number `from` to `to` (exclusive), with their states. A split
 * chunk's numbers are listed from its children, child `i` holding the parent's number `i` alone,
 * so the numbers and their order are the parent's, split or not.
 */
async function recipientsOfChunk(store: SendRecipientsDeps, c: ChunkRecord, from: number, to: number): Promise<RecipientState[]> {
  if (c.state === 'split') {
    const children = await Promise.all(range(from, to).map((i) => store.chunks.get(chunkIdOf(c.sendId, `${c.index}-${i}`))));
    const listed = await Promise.all(children.map((child) => (child ? recipientsOfChunk(store, child, 0, recipientsIn(child)) : [])));
    return listed.flat();
  }
  // A stored payload that does not parse names no number: its recipients are listed, as many as
  // the chunk holds, under UNREADABLE_PHONE with the chunk's state and code, or (accepted) the
  // receipts its tally counts.
  const phones = c.payload ? c.payload.phones.slice(from, to) : range(from, to).map(() => UNREADABLE_PHONE);
  const receipts = c.state !== 'accepted' ? [] : c.payload ? await store.recipients.getMany(c.sendId, phones) : tallied(c).slice(from, to);
  // Expired by chunk (its numbers unreadable then, whatever they are now): one without a receipt is one of those.
  const byChunk = c.windowExpired !== undefined ? WINDOW_EXPIRED : undefined;
  return phones.map((phone, i) => {
    const r = receipts[i] ?? byChunk;
    return {
      phone,
      state: r ? r.state : (FROM_CHUNK[c.state] ?? 'queued'),
      code: r ? r.code : c.code,
      bizId: c.bizId,
      ...attemptCounts(c.attempt, c.undone),
      // Queued again after a refusal (flow control, throttling) is not sent: its last try is not a sending time.
      sentAt: c.state === 'queued' ? undefined : c.sentAt,
      receivedAt: r?.receivedAt,
      ...(r?.receivedAtFromPush ? { receivedAtFromPush: true as const } : {}),
      chunkId: c.chunkId,
    };
  });
}

/**
 * A chunk's claims as the view tells them: the record's attempt number counts every claim (each
 * OutId is new), `undone` those undone before their call. A Redis that lost the last writes may
 * have kept a claim without its undo, never the undo without its claim: at worst an undone claim
 * reads as an attempt, never the reverse.
 */
function attemptCounts(claims: number, undone: number): Pick<RecipientState, 'attempts' | 'attemptsUndone'> {
  const attemptsUndone = Math.min(undone, claims);
  return { attempts: claims - attemptsUndone, ...(attemptsUndone > 0 ? { attemptsUndone } : {}) };
}

/** A recipient's attempts as a person reads them: `1`, or `0 (+1 undone)` when some were undone before their call. */
export function attemptsText(r: Pick<RecipientState, 'attempts' | 'attemptsUndone'>): string {
  return r.attemptsUndone ? `${r.attempts} (+${r.attemptsUndone} undone)` : String(r.attempts);
}

const WINDOW_EXPIRED: RecipientReceipt = { state: 'expired', code: 'SMSQ_RECEIPT_WINDOW', receivedAt: undefined, source: 'window' };

/** A tallied state's code: a failure's carrier code is not tallied, an expiry's is the window's. */
const TALLIED_CODE: Record<FinalRecipientState, string> = { delivered: 'DELIVERED', failed: '', expired: 'SMSQ_RECEIPT_WINDOW', suppressed: 'SMSQ_OPTED_OUT', rejected: '' };

/**
 * The receipts of an accepted chunk whose numbers cannot be read, by position, from its tally
 * (chunk-store.ts `receiptTally`): which number holds which is not known, so they are listed in
 * the order of FINAL_RECIPIENT_STATES, then those without one.
 */
function tallied(c: ChunkRecord): (RecipientReceipt | undefined)[] {
  const out: (RecipientReceipt | undefined)[] = FINAL_RECIPIENT_STATES.flatMap((state) =>
    Array.from({ length: c.receiptTally[state] ?? 0 }, () => ({ state, code: TALLIED_CODE[state], receivedAt: undefined, source: 'window' as const })),
  );
  return out.slice(0, c.n).concat(Array.from({ length: Math.max(0, c.n - out.length) }, () => undefined));
}

/** Recipients of a chunk: its numbers, or (a stored payload that does not parse) the count it was written with. */
const recipientsIn = (c: ChunkRecord): number => c.payload?.phones.length ?? c.n;

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/**
 * The numbers recorded without a chunk (opted out, refused at the door), in string order, from the
 * `skip`-th on, at most `count`. The recipients hash holds every receipt of the send, so this reads
 * all of it (HSCAN, a thousand fields a call): pages of this part cost a pass over the hash each.
 */
async function unchunkedRecipients(store: SendRecipientsDeps, sendId: string, skip: number, count: number): Promise<RecipientState[]> {
  const found: { phone: string; receipt: RecipientReceipt }[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await store.redis.hscan(store.keys.recipients(sendId), cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) {
      const receipt = decodeReceipt(flat[i + 1]);
      if (receipt?.state === 'suppressed' || receipt?.state === 'rejected') found.push({ phone: flat[i] as string, receipt });
    }
  } while (cursor !== '0');
  return listUnchunked(found, skip, count);
}

/** `found` in string order of the numbers (each once), from the `skip`-th on, at most `count`. */
function listUnchunked(found: readonly { phone: string; receipt: RecipientReceipt }[], skip: number, count: number): RecipientState[] {
  // HSCAN may return a field twice (a rehash between calls): the set, not the scan, is listed.
  const unique = [...new Map(found.map((f) => [f.phone, f])).values()].sort((a, b) => (a.phone < b.phone ? -1 : a.phone > b.phone ? 1 : 0));
  return unique.slice(skip, skip + count).map(({ phone, receipt }) => ({
    phone,
    state: receipt.state,
    code: receipt.code,
    bizId: undefined,
    attempts: 0,
    sentAt: undefined,
    receivedAt: undefined,
    chunkId: undefined,
  }));
}

/** A line of the unchunked numbers of a compacted send (field `u`): `<phone>` or `<phone>|<receipt as stored>` (compact-send.lua). */
function splitCompactLine(line: string): { phone: string; receipt: RecipientReceipt | undefined } {
  const bar = line.indexOf('|');
  return bar < 0 ? { phone: line, receipt: undefined } : { phone: line.slice(0, bar), receipt: decodeReceipt(line.slice(bar + 1)) };
}

/**
 * The recipients of one chunk of a compacted send, in the chunk's order (field `r<i>` of its send
 * hash, compact-send.lua): the states its chunk record and receipts gave before it was compacted.
 */
export function decodeCompactChunk(sendId: string, text: string, createdAt: number): RecipientState[] {
  return parseCompactChunks(text, createdAt).flatMap((chunk) =>
    chunk.recipients.map(({ phone, receipt: stored }) => {
      const receipt = decodeReceipt(stored);
      return {
        phone,
        state: receipt ? receipt.state : (FROM_CHUNK[chunk.state] ?? 'queued'),
        code: receipt ? receipt.code : chunk.code || undefined,
        bizId: chunk.bizId || undefined,
        ...attemptCounts(Number(chunk.attempt || 0), Number(chunk.undone || 0)),
        sentAt: compactSentAt(chunk.sentAt),
        receivedAt: receipt?.receivedAt,
        ...(receipt?.receivedAtFromPush ? { receivedAtFromPush: true as const } : {}),
        chunkId: chunkIdOf(sendId, chunk.index),
      };
    }),
  );
}

/** sentAt as compact-send.lua keeps it: base 36 ms, or '=' and as written; '' none. */
function compactSentAt(text: string): number | undefined {
  if (text === '') return undefined;
  const n = text.startsWith('=') ? Number(text.slice(1)) : parseInt(text, 36);
  return n ? n : undefined;
}

/** {@link readRecipientPage} of a compacted send: the same walk over the fields of its send hash. */
async function readCompactPage(store: SendRecipientsDeps, send: SendShape, from: RecipientPosition, limit: number): Promise<RecipientPage> {
  const page: RecipientState[] = [];
  // A compacted send has at most COMPACT_MAX_RECIPIENTS recipients: its hash is read whole.
  const h = await store.redis.hgetall(store.keys.send(send.sendId));
  const createdAt = compactCreatedAt(send.sendId, h);
  let position = from;
  if (position.phase === 'chunks') {
    let { chunk, offset } = position;
    while (page.length < limit && chunk < send.chunks) {
      const span = Math.min(CHUNKS_IN_FLIGHT, send.chunks - chunk);
      const values = range(chunk, chunk + span).map((i) => compactValue(h, `r${i}`));
      for (const value of values) {
        if (value !== undefined) {
          const all = decodeCompactChunk(send.sendId, value, createdAt);
          const to = Math.min(all.length, offset + limit - page.length);
          page.push(...all.slice(offset, to));
          if (to < all.length) return { recipients: page, next: { phase: 'chunks', chunk, offset: to } };
        }
        chunk++;
        offset = 0;
        if (page.length >= limit) break;
      }
    }
    if (page.length >= limit) {
      const rest = chunk < send.chunks || send.unchunked > 0;
      return { recipients: page, next: rest ? { phase: 'chunks', chunk, offset: 0 } : undefined };
    }
    position = { phase: 'unchunked', skip: 0 };
  }
  if (send.unchunked === 0) return { recipients: page, next: undefined };
  const want = limit - page.length;
  const text = compactValue(h, 'u') ?? '';
  const found = text
    .split('\n')
    .map(splitCompactLine)
    .flatMap(({ phone, receipt }) => (receipt ? [{ phone, receipt }] : []));
  const listed = listUnchunked(found, position.skip, want + 1);
  page.push(...listed.slice(0, want));
  return { recipients: page, next: listed.length > want ? { phase: 'unchunked', skip: position.skip + want } : undefined };
}

/**
 * At most `limit` recipients of a send from `from` on: the chunks in order (each chunk's numbers
 * in its order), then the numbers recorded without a chunk. Positions name places in that order,
 * never counts of what was listed before them, so states changing between pages (a chunk sent,
 * split, a receipt applied) skip and repeat nobody. While the send is still enqueuing the walk
 * stops at the first chunk not written yet and `next` points there: more may come.
 */
export async function readRecipientPage(store: SendRecipientsDeps, send: SendShape, from: RecipientPosition, limit: number): Promise<RecipientPage> {
  // A finished send may have been compacted (send-store.ts `compact`): its chunks and receipts are
  // then in its send hash. Compaction is one script and is never undone, so a page read from the
  // live records that finds the send still not compacted afterwards read none of them gone; one
  // that finds it compacted is read again from the compacted records.
  if (send.enqueuing) return readLivePage(store, send, from, limit);
  const compacted = async () => (await store.redis.hexists(store.keys.send(send.sendId), COMPACT_FIELD)) === 1;
  if (await compacted()) return readCompactPage(store, send, from, limit);
  const page = await readLivePage(store, send, from, limit);
  return (await compacted()) ? readCompactPage(store, send, from, limit) : page;
}

async function readLivePage(store: SendRecipientsDeps, send: SendShape, from: RecipientPosition, limit: number): Promise<RecipientPage> {
  const page: RecipientState[] = [];
  let position = from;
  if (position.phase === 'chunks') {
    let { chunk, offset } = position;
    while (page.length < limit && (send.enqueuing || chunk < send.chunks)) {
      const span = Math.min(CHUNKS_IN_FLIGHT, limit - page.length, send.enqueuing ? CHUNKS_IN_FLIGHT : send.chunks - chunk);
      const records = await Promise.all(range(chunk, chunk + span).map((i) => store.chunks.get(chunkIdOf(send.sendId, String(i)))));
      for (const record of records) {
        // Not written yet: the enqueue is still under way; come back from here.
        if (!record && send.enqueuing) return { recipients: page, next: { phase: 'chunks', chunk, offset } };
        if (record) {
          const count = recipientsIn(record);
          const to = Math.min(count, offset + limit - page.length);
          page.push(...(await recipientsOfChunk(store, record, offset, to)));
          if (to < count) return { recipients: page, next: { phase: 'chunks', chunk, offset: to } };
        }
        chunk++;
        offset = 0;
        if (page.length >= limit) break;
      }
    }
    if (page.length >= limit) {
      const rest = send.enqueuing || chunk < send.chunks || send.unchunked > 0;
      return { recipients: page, next: rest ? { phase: 'chunks', chunk, offset: 0 } : undefined };
    }
    position = { phase: 'unchunked', skip: 0 };
  }
  if (send.unchunked === 0) return { recipients: page, next: undefined };
  const want = limit - page.length;
  // One more than fits, to know whether another page follows.
  const listed = await unchunkedRecipients(store, send.sendId, position.skip, want + 1);
  page.push(...listed.slice(0, want));
  return { recipients: page, next: listed.length > want ? { phase: 'unchunked', skip: position.skip + want } : undefined };
}

/** Recipients read per page while streaming a whole send. */
const STREAM_PAGE = 1000;

/**
 * Every recipient of a send, page by page (bounded memory); see {@link readRecipientPage}. A send
 * still enqueuing is listed as far as it has been written.
 */
export async function* sendRecipients(store: SendRecipientsDeps, send: SendShape): AsyncGenerator<RecipientState> {
  let position: RecipientPosition | undefined = FIRST_RECIPIENT;
  while (position) {
    const page = await readRecipientPage(store, send, position, STREAM_PAGE);
    yield* page.recipients;
    // An empty page with a next position: the rest is not enqueued yet.
    position = page.recipients.length > 0 ? page.next : undefined;
  }
}
