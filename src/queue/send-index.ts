/**
 * The list of sends, newest first, filtered by kind and state, a page at a time: what
 * `GET /v1/sends` and the campaigns page show. It reads the index of sends (a stream per kind,
 * entries `i <sendId>` with ids from createdAt, written by create-send-5.lua with the send itself)
 * and each listed send's status. The kinds' streams are merged by entry id; a kind filter reads its
 * kind's stream alone. The sorted set of ids written before the streams (`<prefix>:sends`, scored
 * by createdAt) is merged in too while it holds ids, so that sends created before an upgrade are
 * still listed. Sends expire (the retention); their ids are trimmed from the index when a newer
 * send is created, and an id whose send is gone sooner (deleted, lost) is skipped here and removed.
 *
 * The cursor names a place in the index (an entry's id, its source and send id), not a count, so
 * sends created between two pages are not listed twice and none is skipped. A filtered page reads
 * at most {@link MAX_SCANNED_PER_PAGE} ids: a page may hold fewer sends than asked for while `next`
 * is not null.
 */
import type { RedisConnection } from './connection.js';
import { ValidationError } from '../errors.js';
import type { Keys } from './keys.js';
import { MESSAGE_KINDS, type MessageKind } from './kinds.js';
import { SEND_STATES } from './lifecycle.js';
import type { SendStatus, SendStore } from './send-store.js';

/** Largest page of sends. */
export const MAX_SEND_PAGE = 200;
/** Page of sends when none is asked for. */
export const DEFAULT_SEND_PAGE = 50;
/** Index entries read per page at most, matching or not: bounds the cost of a filter that matches little. */
export const MAX_SCANNED_PER_PAGE = 2000;
/** Index entries read per round trip. */
const BATCH = 100;

export interface SendListRequest {
  kind?: MessageKind;
  /** A send state (status.send.state). */
  state?: string;
  /** The `next` of the previous page; absent: the newest send. */
  cursor?: string;
  /** Sends per page, 1..{@link MAX_SEND_PAGE}. Default {@link DEFAULT_SEND_PAGE}. */
  limit?: number;
}

export interface SendListPage {
  sends: SendStatus[];
  /** The cursor of the next page; null when there is none. */
  next: string | null;
}

/**
 * A place in the index: the last send a page looked at. `at` and `seq` are its entry's id in its
 * kind's stream (`<at>-<seq>`; an id of the sorted set written before the streams: createdAt and
 * 0); `source` the index it is in: {@link MESSAGE_KINDS}' order, then {@link LEGACY_SOURCE}. The
 * list is in descending order of (at, seq, source, sendId).
 */
export interface SendPosition {
  at: number;
  seq: number;
  source: number;
  sendId: string;
}

/** The source number of the sorted set of ids written before the per-kind streams. */
export const LEGACY_SOURCE = MESSAGE_KINDS.length;

const VERSION = 2;

/** The cursor of the page after `position`. */
export function encodeSendCursor(position: SendPosition): string {
  return Buffer.from(JSON.stringify([VERSION, position.at, position.seq, position.source, position.sendId]), 'utf8').toString('base64url');
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isSendId = (id: unknown): id is string => typeof id === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(id);

/**
 * The place a cursor names; throws a {@link ValidationError} on `field` for anything else. A cursor
 * of the version before the streams (`[1, createdAt, sendId]`, from a page read before an upgrade)
 * names its place in the sorted set it was read from.
 */
export function decodeSendCursor(cursor: string, field = 'cursor'): SendPosition {
  const refuse = () =>
    new ValidationError([{ field, message: `is not a cursor of the list of sends. Fix: pass the \`next\` value of the previous page unchanged, or leave ${field} out to start at the newest send` }]);
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw refuse();
  let tuple: unknown;
  try {
    tuple = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(tuple)) throw refuse();
  if (tuple[0] === 1 && tuple.length === 3) {
    const [, createdAt, sendId] = tuple as unknown[];
    if (!isCount(createdAt) || !isSendId(sendId)) throw refuse();
    return { at: createdAt, seq: 0, source: LEGACY_SOURCE, sendId };
  }
  if (tuple[0] !== VERSION || tuple.length !== 5) throw refuse();
  const [, at, seq, source, sendId] = tuple as unknown[];
  if (!isCount(at) || !isCount(seq) || !isCount(source) || source > LEGACY_SOURCE || !isSendId(sendId)) throw refuse();
  return { at, seq, source, sendId };
}

/** Whether a send is in `state` (see {@link SendListRequest.state}). */
export function sendMatchesState(status: SendStatus, state: string): boolean {
  return status.send.state === state;
}

/** Whether `a` comes before `b` in the list (newest first: descending (at, seq, source, sendId)). */
function isBefore(a: SendPosition, b: SendPosition): boolean {
  if (a.at !== b.at) return a.at > b.at;
  if (a.seq !== b.seq) return a.seq > b.seq;
  if (a.source !== b.source) return a.source > b.source;
  return a.sendId > b.sendId;
}

/** Whether entry `e` comes after `position` in the list. */
const isAfter = (e: SendPosition, position: SendPosition | undefined) => position === undefined || isBefore(position, e);

/** One index read newest first from a place: the next batch of its entries after that place. */
interface Source {
  source: number;
  /** Entries read and not yet taken, newest first. */
  buffer: SendPosition[];
  done: boolean;
  fetch(): Promise<void>;
  /** Removes the entries of sends that are gone. */
  remove(gone: SendPosition[]): Promise<unknown>;
}

/** A kind's stream from `from` (exclusive), a batch a round trip. */
function streamSource(redis: RedisConnection, key: string, source: number, from: SendPosition | undefined): Source {
  // The first batch reads up to `from` inclusive (an entry of another stream may share its id) and
  // drops what is not after it; later batches read before the last id read.
  let end = from === undefined ? '+' : `${from.at}-${from.seq}`;
  const s: Source = {
    source,
    buffer: [],
    done: false,
    async fetch() {
      const entries = await redis.xrevrange(key, end, '-', 'COUNT', BATCH);
      if (entries.length < BATCH) s.done = true;
      for (const [id, fields] of entries) {
        end = `(${id}`;
        const dash = id.indexOf('-');
        const i = fields.indexOf('i');
        const sendId = i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
        const entry = { at: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)), source, sendId: sendId ?? '' };
        if (isAfter(entry, from)) s.buffer.push(entry);
      }
    },
    remove: (gone) => redis.xdel(key, ...gone.map((e) => `${e.at}-${e.seq}`)),
  };
  return s;
}

/** The sorted set written before the streams, from `from` (exclusive), a batch a round trip. */
function legacySource(redis: RedisConnection, key: string, from: SendPosition | undefined): Source {
  const max = from === undefined ? '+inf' : String(from.at);
  let offset = 0;
  const s: Source = {
    source: LEGACY_SOURCE,
    buffer: [],
    done: false,
    async fetch() {
      const flat = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, BATCH);
      offset += flat.length / 2;
      if (flat.length / 2 < BATCH) s.done = true;
      for (let i = 0; i < flat.length; i += 2) {
        // Same createdAt: ids in reverse order, as ZREVRANGEBYSCORE gives them.
        const entry = { at: Number(flat[i + 1]), seq: 0, source: LEGACY_SOURCE, sendId: flat[i] as string };
        if (isAfter(entry, from)) s.buffer.push(entry);
      }
    },
    remove: (gone) => redis.zrem(key, ...gone.map((e) => e.sendId)),
  };
  return s;
}

/** Up to `n` entries of the merged sources, newest first; fewer only when every source is read to its end. */
async function take(sources: Source[], n: number): Promise<SendPosition[]> {
  const out: SendPosition[] = [];
  while (out.length < n) {
    await Promise.all(sources.filter((s) => s.buffer.length === 0 && !s.done).map((s) => s.fetch()));
    let best: Source | undefined;
    for (const s of sources) if (s.buffer[0] && (!best || isBefore(s.buffer[0], best.buffer[0] as SendPosition))) best = s;
    if (!best) break;
    out.push(best.buffer.shift() as SendPosition);
  }
  return out;
}

export interface SendIndexOptions {
  redis: RedisConnection;
  keys: Keys;
  sends: Pick<SendStore, 'status'>;
}

export interface SendIndex {
  /** A page of sends, newest first. A bad cursor or limit throws ValidationError (`cursor`, `limit`). */
  list(request?: SendListRequest): Promise<SendListPage>;
}

export function createSendIndex({ redis, keys, sends }: SendIndexOptions): SendIndex {
  return {
    async list(request = {}) {
      const limit = request.limit ?? DEFAULT_SEND_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEND_PAGE) {
        throw new ValidationError([{ field: 'limit', message: `must be a whole number from 1 to ${MAX_SEND_PAGE}` }]);
      }
      if (request.state !== undefined && !(SEND_STATES as readonly string[]).includes(request.state)) {
        throw new ValidationError([{ field: 'state', message: `must be one of ${SEND_STATES.join(', ')}` }]);
      }
      const from = request.cursor === undefined ? undefined : decodeSendCursor(request.cursor);
      const kinds = request.kind === undefined ? MESSAGE_KINDS : [request.kind];
      const sources = [
        ...kinds.map((kind) => streamSource(redis, keys.sendIndex(kind), MESSAGE_KINDS.indexOf(kind), from)),
        legacySource(redis, keys.sends(), from),
      ];
      const found: SendStatus[] = [];
      const gone: SendPosition[] = [];
      let last = from;
      let scanned = 0;
      let exhausted = false;
      while (!exhausted && found.length < limit && scanned < MAX_SCANNED_PER_PAGE) {
        const entries = await take(sources, BATCH);
        const statuses = await Promise.all(entries.map((e) => sends.status(e.sendId)));
        let read = 0;
        for (const [i, entry] of entries.entries()) {
          if (found.length === limit || scanned >= MAX_SCANNED_PER_PAGE) break;
          read++;
          scanned++;
          last = entry;
          const status = statuses[i];
          if (status === undefined) gone.push(entry);
          else if ((request.kind === undefined || status.send.kind === request.kind) && (request.state === undefined || sendMatchesState(status, request.state))) found.push(status);
        }
        // The index ends here when the batch came back short and every entry of it was read.
        exhausted = entries.length < BATCH && read === entries.length;
      }
      // Ids whose send is gone before the index was trimmed (deleted, or lost by Redis).
      await Promise.all(sources.map((s) => {
        const mine = gone.filter((e) => e.source === s.source);
        return mine.length > 0 ? s.remove(mine) : undefined;
      }));
      const next = exhausted || last === undefined ? null : encodeSendCursor(last);
      return { sends: found, next };
    },
  };
}
