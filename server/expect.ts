/**
 * The `Expect` header (RFC 9110 §10.1.1). Node answers it before fastify sees the request: 100
 * Continue for 100-continue, and 417 for any other expectation, which is right, but with an empty
 * body (not the API's error shape) and no request log line. Its `checkExpectation` event is that
 * 417: answered here in the error shape, with the connection closed (the client may be sending
 * the body anyway). Node takes a value that holds "100-continue" among others (`foo,
 * 100-continue`) for 100-continue; the RFC lets a server ignore an expectation it does not know
 * ("MAY respond with a 417"), so that is left as it is.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { quoteForError } from '../src/sms/phone-list.js';
import { errorBody, HTTP_ERROR_CODES, untouchedBy } from './errors.js';
import { redactUrl } from './redact-url.js';

/** Answers Node's `checkExpectation` event on `server` (the one fastify listens on). */
export function handleExpect(server: Server, log: FastifyBaseLogger): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(
      errorBody(HTTP_ERROR_CODES[400], `the request is invalid; ${untouchedBy(req.method, req.url ?? '')}`, [
        {
          field: 'Expect',
          message: `asks for ${quoteForError(req.headers.expect ?? '', { maxChars: 60 })}, an expectation this server does not meet (only 100-continue is defined). Fix: drop the Expect header, or send Expect: 100-continue`,
        },
      ]),
    );
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
    // fastify never saw the request: its line in the request log is written here.
    log.info({ method: req.method, path: redactUrl(req.url ?? ''), status: 417 }, 'request');
  });
}
