/**
 * The cursor of a page of a send's recipients: an opaque string (base64url of a small JSON array)
 * that names a position in the send's recipient order, not a count of recipients already seen. A
 * position is a chunk index and an offset inside that chunk's numbers (chunks keep their numbers
 * and their order for life, split or not), then, past the last chunk, how many of the numbers
 * recorded without a chunk (opted out, refused at the door) were listed, in string order: that set
 * is written while the send is enqueuing and never changes afterwards, and a cursor carries no phone
 * number (cursors travel in URLs, and URLs are logged). Recipients changing state between two pages
 * therefore move nobody: no recipient is skipped or listed twice. The cursor names its send, so a
 * cursor of another send is refused rather than read as a position in this one. The sizes a page
 * may have are here too, for the producer, the API's schema and the CLI's flags alike.
 */
import { ValidationError } from '../errors.js';

/** Where a page of recipients starts. */
export type RecipientPosition =
  /** In the chunk walk: `offset` numbers into chunk `chunk`. */
  | { phase: 'chunks'; chunk: number; offset: number }
  /** In the numbers without a chunk (in string order), after the first `skip` of them. */
  | { phase: 'unchunked'; skip: number };

/** The first recipient of every send. */
export const FIRST_RECIPIENT: RecipientPosition = Object.freeze({ phase: 'chunks', chunk: 0, offset: 0 });

/** Largest page of recipients. */
export const MAX_RECIPIENT_PAGE = 10_000;
/** Page of recipients when none is asked for. */
export const DEFAULT_RECIPIENT_PAGE = 1000;

const VERSION = 1;
/** Far above any real send (a chunk holds at most 1000 numbers): only a forged cursor goes past. */
const MAX_INDEX = 1_000_000_000;

/** The cursor for `position` in send `sendId`. */
export function encodeRecipientCursor(sendId: string, position: RecipientPosition): string {
  const tuple = position.phase === 'chunks' ? [VERSION, sendId, 'c', position.chunk, position.offset] : [VERSION, sendId, 'u', position.skip];
  return Buffer.from(JSON.stringify(tuple), 'utf8').toString('base64url');
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_INDEX;

/** The tuple a cursor carries, or undefined when it is not one of ours. */
function tupleOf(cursor: string): unknown[] | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The position a cursor names. Throws a {@link ValidationError} on `field` (the name the caller
 * knows it by: `cursor`, `query.cursor`, `--cursor`) for anything that is not a cursor this
 * send's pages handed out.
 */
export function decodeRecipientCursor(sendId: string, cursor: string, field = 'cursor'): RecipientPosition {
  const refuse = (why: string) =>
    new ValidationError([{ field, message: `${why}. Fix: pass the \`next\` value of the previous page unchanged, or leave ${field} out to start at the first recipient` }]);
  const tuple = tupleOf(cursor);
  if (tuple === undefined || tuple[0] !== VERSION) throw refuse('is not a recipient cursor');
  if (tuple[1] !== sendId) throw refuse('belongs to another send');
  const [, , phase, a, b] = tuple;
  if (phase === 'c' && tuple.length === 5 && isIndex(a) && isIndex(b)) return { phase: 'chunks', chunk: a, offset: b };
  if (phase === 'u' && tuple.length === 4 && isIndex(a)) return { phase: 'unchunked', skip: a };
  throw refuse('is not a recipient cursor');
}
