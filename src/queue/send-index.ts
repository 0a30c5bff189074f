/**
 * The list of sends, newest first, filtered by kind and state, a page at a time: what
 * `GET /v1/sends` and the campaigns page show. It reads the index of sends (a sorted set of send
 * ids scored by createdAt, written by create-send-3.lua with the send itself) and each listed
 * send's status. Sends expire (the retention); their ids are trimmed from the index when a newer
 * send is created, and an id whose send is gone sooner (deleted, lost) is skipped here and removed.
 *
 * The cursor names a place in the index (createdAt and send id), not a count, so sends created
 * between two pages are not listed twice and none is skipped. A filtered page reads at most
 * {@link MAX_SCANNED_PER_PAGE} ids: a page may hold fewer sends than asked for while `next` is
 * not null.
 */
import type { RedisConnection } from './connection.js';
import { ValidationError } from '../errors.js';
import type { Keys } from './keys.js';
import type { MessageKind } from './kinds.js';
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

/** A place in the index: the last send a page looked at. */
export interface SendPosition {
  createdAt: number;
  sendId: string;
}

const VERSION = 1;

/** The cursor of the page after `position`. */
export function encodeSendCursor(position: SendPosition): string {
  return Buffer.from(JSON.stringify([VERSION, position.createdAt, position.sendId]), 'utf8').toString('base64url');
}

/** The place a cursor names; throws a {@link ValidationError} on `field` for anything else. */
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
  if (!Array.isArray(tuple) || tuple.length !== 3 || tuple[0] !== VERSION) throw refuse();
  const [, createdAt, sendId] = tuple as unknown[];
  if (!Number.isSafeInteger(createdAt) || (createdAt as number) < 0 || typeof sendId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(sendId)) throw refuse();
  return { createdAt: createdAt as number, sendId };
}

/** Whether a send is in `state` (see {@link SendListRequest.state}). */
export function sendMatchesState(status: SendStatus, state: string): boolean {
  return status.send.state === state;
}

/** Whether index entry (score, id) comes after `position` in the list (newest first; same createdAt: ids in reverse order, as ZREVRANGEBYSCORE gives them). */
function isAfter(createdAt: number, sendId: string, position: SendPosition | undefined): boolean {
  if (position === undefined) return true;
  return createdAt < position.createdAt || (createdAt === position.createdAt && sendId < position.sendId);
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
      const found: SendStatus[] = [];
      const gone: string[] = [];
      let last = from;
      let scanned = 0;
      let offset = 0;
      let exhausted = false;
      const max = from === undefined ? '+inf' : String(from.createdAt);
      while (!exhausted && found.length < limit && scanned < MAX_SCANNED_PER_PAGE) {
        const flat = await redis.zrevrangebyscore(keys.sends(), max, '-inf', 'WITHSCORES', 'LIMIT', offset, BATCH);
        offset += flat.length / 2;
        const entries: SendPosition[] = [];
        for (let i = 0; i < flat.length; i += 2) {
          const entry = { sendId: flat[i] as string, createdAt: Number(flat[i + 1]) };
          if (isAfter(entry.createdAt, entry.sendId, from)) entries.push(entry);
        }
        const statuses = await Promise.all(entries.map((e) => sends.status(e.sendId)));
        let read = 0;
        for (const [i, entry] of entries.entries()) {
          if (found.length === limit || scanned >= MAX_SCANNED_PER_PAGE) break;
          read++;
          scanned++;
          last = entry;
          const status = statuses[i];
          if (status === undefined) gone.push(entry.sendId);
          else if ((request.kind === undefined || status.send.kind === request.kind) && (request.state === undefined || sendMatchesState(status, request.state))) found.push(status);
        }
        // The index ends here when the batch came back short and every entry of it was read.
        exhausted = flat.length / 2 < BATCH && read === entries.length;
      }
      // Ids whose send is gone before the index was trimmed (deleted, or lost by Redis).
      if (gone.length > 0) await redis.zrem(keys.sends(), ...gone);
      const next = exhausted || last === undefined ? null : encodeSendCursor(last);
      return { sends: found, next };
    },
  };
}
