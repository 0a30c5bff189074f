/**
 * The `Content-Encoding` of a request body. fastify reads a body as it arrives and never looks at
 * this header, so a gzip body was parsed as if plain (a JSON body refused as "not valid JSON", a
 * CSV upload as "a gzip archive") and a plain body labelled gzip was enqueued as if the label
 * were not there. A body is read as sent: any coding but identity is refused with 415 and
 * `Accept-Encoding: identity` (RFC 9110 §8.4, §12.5.3), before the body is read.
 *
 * Refused rather than decoded: the size limits (SMSQ_SERVER_BODY_LIMIT, SMSQ_SERVER_CSV_LIMIT)
 * would have to count the decoded bytes and bound the CPU a decompression bomb costs, for a
 * feature no client of smsq uses (its CLI enqueues without HTTP; Alibaba pushes plain JSON).
 *
 * Only the API's own routes take this hook (ingestion and the send controls): the pushed-report
 * routes do not, as for their charset (reports.ts). A sender nobody can correct must not have its
 * receipts refused for a label, and Alibaba gives up after three tries.
 */
import type { FastifyRequest, preParsingHookHandler } from 'fastify';
import { quoteForError } from '../src/sms/phone-list.js';
import { HTTP_ERROR_CODES, HttpError, untouchedBy } from './errors.js';

/** 415 unless every coding `header` lists is identity (none at all included); `untouched`: what the refusal left as it was ({@link untouchedBy}). */
export function contentEncodingError(header: string | string[] | undefined, untouched: string): HttpError | undefined {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  const codings = value.split(',').map((coding) => coding.trim());
  if (codings.every((coding) => coding === '' || coding === 'identity')) return undefined;
  return new HttpError(
    415,
    HTTP_ERROR_CODES[415],
    `Content-Encoding ${quoteForError(value, { maxChars: 40 })} is not accepted: request bodies are read as sent, uncompressed; ${untouched}. Fix: send the body without Content-Encoding (or with Content-Encoding: identity)`,
    undefined,
    { 'accept-encoding': 'identity' },
  );
}

/** Whether the request carries a body (Node's own test: a length, or a chunked transfer). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A preParsing hook: the refusal above for a request that carries a body. */
export const refuseContentEncoding: preParsingHookHandler = (request, _reply, payload, done) => {
  const refused = hasBody(request) ? contentEncodingError(request.headers['content-encoding'], untouchedBy(request.method, request.url)) : undefined;
  done(refused ?? null, payload);
};
