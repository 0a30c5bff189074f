/**
 * The `charset` parameter of a request's Content-Type. fastify reads every text body as UTF-8 and
 * never looks at it, so a GBK body labelled `charset=gbk` was misread into mojibake and refused
 * for what the mojibake said. JSON is UTF-8 (RFC 8259): another charset is refused. A CSV upload
 * is read in the encoding the charset names (its reader takes one).
 */
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ENCODING_CHOICES, FILE_ENCODING_NAMES, type FileEncoding } from '../producers/encoding-names.js';
import { HTTP_ERROR_CODES, HttpError, NOTHING_ENQUEUED, untouchedBy } from './errors.js';
import { quoteForError } from '../src/sms/phone-list.js';
import { explainedJsonParser } from './json-body.js';

const quoted = (charset: string) => quoteForError(charset, { maxChars: 40 });

/**
 * The charset a Content-Type names, lower-cased and unquoted; undefined without one. Two that
 * differ are refused (415): the first was taken, and `charset=utf-8; charset=gbk` read a GBK body
 * as UTF-8.
 */
function charsetOf(contentType: string | undefined, untouched: string): string | undefined {
  const named = new Set<string>();
  for (const param of (contentType ?? '').split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    named.add(param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').trim().toLowerCase());
  }
  const [first, second] = [...named];
  if (second !== undefined) {
    throw new HttpError(415, HTTP_ERROR_CODES[415], `Content-Type names two charsets, ${quoted(first as string)} and ${quoted(second)}: which the body is in cannot be told; ${untouched}. Fix: one charset (charset=utf-8), or none`);
  }
  return first;
}

/** 415 unless the Content-Type's charset, if any, is UTF-8; `untouched`: what the refusal left as it was ({@link untouchedBy}). */
function utf8CharsetError(contentType: string | undefined, untouched: string): HttpError | undefined {
  const charset = charsetOf(contentType, untouched);
  // US-ASCII is UTF-8's first half: a body in it reads the same.
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii' || charset === 'ascii') return undefined;
  return new HttpError(415, HTTP_ERROR_CODES[415], `Content-Type charset ${quoted(charset)} is not accepted: JSON is read as UTF-8; ${untouched}. Fix: send the body in UTF-8, with charset=utf-8 or no charset`);
}

/** fastify's JSON parser (its refusals explained, its depth limited), behind the charset check; a key given twice in an object is refused. */
export function utf8JsonParser(app: FastifyInstance) {
  const parse = explainedJsonParser(app, { refuseRepeatedKeys: true });
  return (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void => {
    const refused = utf8CharsetError(request.headers['content-type'], untouchedBy(request.method, request.url));
    if (refused) return done(refused);
    parse(request, body, done);
  };
}

/** The encoding a CSV upload's charset names; undefined without one; 415 for one no CSV is read in (nothing enqueued: it is an upload's). */
export function csvEncodingOf(contentType: string | undefined): FileEncoding | undefined {
  const charset = charsetOf(contentType, NOTHING_ENQUEUED);
  if (charset === undefined) return undefined;
  const encoding = FILE_ENCODING_NAMES[charset];
  if (encoding !== undefined) return encoding;
  throw new HttpError(
    415,
    HTTP_ERROR_CODES[415],
    `Content-Type charset ${quoted(charset)} is not one a CSV upload can be read in; ${NOTHING_ENQUEUED}. Fix: one of ${ENCODING_CHOICES}, ?encoding= instead, or no charset to have it recognised from the bytes`,
  );
}

/**
 * The encoding a CSV upload is read in, and how the caller named it: `?encoding=` wins over the
 * Content-Type's charset; with neither it is recognised from the bytes. A fix about a wrong one
 * names what was sent: it told a caller who sent only `charset=utf-16le` that `?encoding=utf-16le`
 * was likely wrong.
 */
export function uploadEncoding(query: FileEncoding | undefined, contentType: string | undefined): { encoding?: FileEncoding; encodingNamedBy?: 'charset' } {
  if (query !== undefined) return { encoding: query };
  const charset = csvEncodingOf(contentType);
  return charset === undefined ? {} : { encoding: charset, encodingNamedBy: 'charset' };
}

/**
 * The text/plain parser of the routes that read JSON without a parser of their own: an empty body
 * is no body (a client that labels nothing `text/plain` sent none), anything else is the 415 of a
 * type no route takes, which names application/json. fastify's own read the text as a body, and
 * a send control told `{}` labelled text/plain to send `{}`.
 */
export function emptyTextParser(_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  if (body === '') return done(null, undefined);
  done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/plain'));
}
