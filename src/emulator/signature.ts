/**
 * Verification of Alibaba Cloud's V3 request signature (`ACS3-HMAC-SHA256`), as the official SDK
 * computes it (openapi-core `getAuthorization`):
 *
 *   CanonicalRequest = METHOD \n path \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
 *   Signature        = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(sha256(CanonicalRequest))))
 *
 * The SDK writes the query with Node's `querystring`, which leaves `!'()*` unescaped, but signs the
 * RFC 3986 form (those escaped too): the query is decoded and re-encoded before comparing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { gatewayErrors, type ApiError } from './errors.js';
import type { EmulatorAccessKey } from './types.js';

export const SIGNATURE_ALGORITHM = 'ACS3-HMAC-SHA256';

/** Headers the SDK always signs; a request that leaves one out is not a V3 request. */
const REQUIRED_SIGNED_HEADERS = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'];

const RFC3986_EXTRA = /[!'()*]/g;
const RFC3986_EXTRA_TEST = /[!'()*]/;
const PLUS = /\+/g;

const escapeExtra = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;

/** `encodeURIComponent` plus `! ' ( ) *`: the encoding Alibaba signs. */
export function rfc3986Encode(value: string): string {
  const e = encodeURIComponent(value);
  return RFC3986_EXTRA_TEST.test(e) ? e.replace(RFC3986_EXTRA, escapeExtra) : e;
}

function decodeComponent(raw: string): string {
  const spaced = raw.includes('+') ? raw.replace(PLUS, ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * Parses `a=1&b=2` (a raw query string or an `application/x-www-form-urlencoded` body). A name that
 * appears twice keeps its last value.
 */
export function parseUrlEncoded(raw: string, into: Record<string, string> = Object.create(null)): Record<string, string> {
  if (raw.length === 0) return into;
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    if (end > start) {
      const eq = raw.indexOf('=', start);
      if (eq === -1 || eq > end) into[decodeComponent(raw.slice(start, end))] = '';
      else into[decodeComponent(raw.slice(start, eq))] = decodeComponent(raw.slice(eq + 1, end));
    }
    start = end + 1;
  }
  return into;
}

/** Sorted, RFC 3986-encoded `name=value` pairs joined by `&`. */
export function canonicalQuery(params: Record<string, string>): string {
  const names = Object.keys(params).sort();
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (i > 0) out += '&';
    out += `${rfc3986Encode(name)}=${rfc3986Encode(params[name] as string)}`;
  }
  return out;
}

export interface ParsedAuthorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const space = header.indexOf(' ');
  if (space <= 0) return undefined;
  const algorithm = header.slice(0, space);
  let accessKeyId: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'Credential') accessKeyId = value;
    else if (key === 'SignedHeaders') signedHeaders = value;
    else if (key === 'Signature') signature = value;
  }
  if (!accessKeyId || signedHeaders === undefined || !signature) return undefined;
  return { algorithm, accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

export interface SignedRequest {
  method: string;
  /** Path without the query, e.g. `/`. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  /** Lower-cased names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const EMPTY_BODY_SHA256 = sha256Hex(Buffer.alloc(0));

/** The string the signature covers, from the request's own `SignedHeaders` list. */
export function canonicalRequest(req: SignedRequest, signedHeaders: string[], payloadHash: string): string {
  let headers = '';
  for (const name of signedHeaders) {
    const value = req.headers[name];
    headers += `${name}:${(Array.isArray(value) ? value.join(',') : (value ?? '')).trim()}\n`;
  }
  return `${req.method}\n${req.path}\n${canonicalQuery(req.query)}\n${headers}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

/** Signs a canonical request with a secret; the hex value of `Signature=`. */
export function signCanonicalRequest(canonical: string, secret: string): string {
  const stringToSign = `${SIGNATURE_ALGORITHM}\n${sha256Hex(canonical)}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

export type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; error: ApiError };

/**
 * Checks a request's V3 signature against the known AccessKey pairs. Unknown key:
 * `InvalidAccessKeyId.NotFound` (404); wrong secret, altered query, headers or body:
 * `SignatureDoesNotMatch` (400); missing or malformed `Authorization`: `IncompleteSignature` (400).
 */
export function verifySignature(req: SignedRequest, keys: ReadonlyMap<string, EmulatorAccessKey>): VerifyResult {
  const header = req.headers.authorization;
  if (!header) return { ok: false, error: gatewayErrors.incompleteSignature('The Authorization header is missing.') };
  const auth = parseAuthorization(header);
  if (!auth) return { ok: false, error: gatewayErrors.incompleteSignature('The Authorization header is malformed.') };
  if (auth.algorithm !== SIGNATURE_ALGORITHM) {
    return { ok: false, error: gatewayErrors.incompleteSignature(`Unsupported signature algorithm ${auth.algorithm}.`) };
  }
  const key = keys.get(auth.accessKeyId);
  if (!key) return { ok: false, error: gatewayErrors.accessKeyNotFound() };
  for (const required of REQUIRED_SIGNED_HEADERS) {
    if (!auth.signedHeaders.includes(required)) {
      return { ok: false, error: gatewayErrors.incompleteSignature(`Header ${required} must be signed.`) };
    }
  }
  const payloadHash = req.body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(req.body);
  if (req.headers['x-acs-content-sha256'] !== payloadHash) {
    return { ok: false, error: gatewayErrors.signatureMismatch('x-acs-content-sha256 is not the SHA-256 of the body.') };
  }
  const expected = signCanonicalRequest(canonicalRequest(req, auth.signedHeaders, payloadHash), key.accessKeySecret);
  const given = Buffer.from(auth.signature, 'utf8');
  const want = Buffer.from(expected, 'utf8');
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return { ok: false, error: gatewayErrors.signatureMismatch('Check your AccessKey secret and the signing method.') };
  }
  return { ok: true, accessKeyId: auth.accessKeyId };
}
