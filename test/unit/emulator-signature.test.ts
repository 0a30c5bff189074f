import { createHash } from 'node:crypto';
import { stringify } from 'node:querystring';
import { OpenApiUtil } from '@alicloud/openapi-core';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  parseAuthorization,
  parseUrlEncoded,
  rfc3986Encode,
  verifySignature,
  type SignedRequest,
} from '../../src/emulator/signature.js';

const KEY = { accessKeyId: 'test-key', accessKeySecret: 'test-secret' };
const KEYS = new Map([[KEY.accessKeyId, KEY]]);

/**
 * Builds a request the way the SDK's transport sends it: the query written by node:querystring (which
 * leaves !'()* raw), signed by the SDK's own `getAuthorization`.
 */
function sdkSignedRequest(opts: { query: Record<string, string>; body?: string; secret?: string; accessKeyId?: string }): SignedRequest {
  const body = Buffer.from(opts.body ?? '', 'utf8');
  const payload = createHash('sha256').update(body).digest('hex');
  const headers: Record<string, string> = {
    host: '127.0.0.1:1234',
    'x-acs-version': '2017-05-25',
    'x-acs-action': 'SendSms',
    'user-agent': 'test',
    'x-acs-date': '2026-01-01T00:00:00Z',
    'x-acs-signature-nonce': 'abc123',
    accept: 'application/json',
    'x-acs-content-sha256': payload,
  };
  if (opts.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const authorization = OpenApiUtil.getAuthorization(
    { method: 'POST', pathname: '/', query: opts.query, headers } as never,
    'ACS3-HMAC-SHA256',
    payload,
    opts.accessKeyId ?? KEY.accessKeyId,
    opts.secret ?? KEY.accessKeySecret,
  );
  const rawQuery = stringify(opts.query);
  return {
    method: 'POST',
    path: '/',
    query: parseUrlEncoded(rawQuery),
    headers: { ...headers, authorization },
    body,
  };
}

const QUERY = {
  PhoneNumbers: '13800138000,+8613900139000',
  SignName: '阿里云短信测试',
  TemplateCode: 'SMS_1',
  TemplateParam: JSON.stringify({ name: "O'Brien (vip)!*", note: 'a b+c&d=e/f~g' }),
  OutId: '',
};

describe('emulator V3 signature verification', () => {
  it('accepts what the SDK signs, re-encoding the characters querystring leaves raw', () => {
    const req = sdkSignedRequest({ query: QUERY });
    expect(verifySignature(req, KEYS)).toEqual({ ok: true, accessKeyId: KEY.accessKeyId });
  });

  it('accepts a signed form body', () => {
    const body = stringify({ PhoneNumberJson: '["13800138000"]', SignNameJson: "[\"it's\"]" });
    const req = sdkSignedRequest({ query: { TemplateCode: 'SMS_1' }, body });
    expect(verifySignature(req, KEYS).ok).toBe(true);
  });

  it('answers SignatureDoesNotMatch (400) for a wrong secret', () => {
    const result = verifySignature(sdkSignedRequest({ query: QUERY, secret: 'wrong' }), KEYS);
    expect(result).toMatchObject({ ok: false, error: { code: 'SignatureDoesNotMatch', httpStatus: 400 } });
  });

  it('answers InvalidAccessKeyId.NotFound (404) for an unknown key', () => {
    const result = verifySignature(sdkSignedRequest({ query: QUERY, accessKeyId: 'someone-else' }), KEYS);
    expect(result).toMatchObject({ ok: false, error: { code: 'InvalidAccessKeyId.NotFound', httpStatus: 404 } });
  });

  it('detects a query parameter changed after signing', () => {
    const req = sdkSignedRequest({ query: QUERY });
    req.query.PhoneNumbers = '13800138001';
    expect(verifySignature(req, KEYS)).toMatchObject({ ok: false, error: { code: 'SignatureDoesNotMatch' } });
  });

  it('detects a body that does not match x-acs-content-sha256', () => {
    const req = sdkSignedRequest({ query: { TemplateCode: 'SMS_1' }, body: 'PhoneNumberJson=%5B%5D' });
    req.body = Buffer.from('PhoneNumberJson=%5B%221%22%5D');
    expect(verifySignature(req, KEYS)).toMatchObject({ ok: false, error: { code: 'SignatureDoesNotMatch' } });
  });

  it('answers IncompleteSignature (400) without or with a malformed Authorization', () => {
    const req = sdkSignedRequest({ query: QUERY });
    delete req.headers.authorization;
    expect(verifySignature(req, KEYS)).toMatchObject({ ok: false, error: { code: 'IncompleteSignature', httpStatus: 400 } });
    req.headers.authorization = 'ACS3-HMAC-SHA256 nonsense';
    expect(verifySignature(req, KEYS)).toMatchObject({ ok: false, error: { code: 'IncompleteSignature' } });
    req.headers.authorization = 'ACS3-HMAC-SM3 Credential=test-key,SignedHeaders=host,Signature=00';
    expect(verifySignature(req, KEYS)).toMatchObject({ ok: false, error: { code: 'IncompleteSignature' } });
  });

  it('requires host and the x-acs-* headers to be signed', () => {
    const req = sdkSignedRequest({ query: QUERY });
    req.headers.authorization = (req.headers.authorization as string).replace('host;', '');
    expect(verifySignature(req, KEYS)).toMatchObject({ ok: false, error: { code: 'IncompleteSignature' } });
  });
});

describe('emulator URL encoding helpers', () => {
  it('rfc3986Encode escapes what encodeURIComponent leaves', () => {
    expect(rfc3986Encode("a!'()*~ b")).toBe('a%21%27%28%29%2A~%20b');
    expect(rfc3986Encode('签名')).toBe(encodeURIComponent('签名'));
  });

  it('parseUrlEncoded decodes + and percent escapes, keeps the last duplicate, tolerates bad escapes', () => {
    const p = parseUrlEncoded('a=1+2&b=%E7%AD%BE&c&d=&a=3&e=%ZZ&');
    expect({ ...p }).toEqual({ a: '3', b: '签', c: '', d: '', e: '%ZZ' });
  });

  it('canonicalQuery sorts by name and encodes names and values', () => {
    expect(canonicalQuery({ b: "it's", a: 'x y', C: '' })).toBe('C=&a=x%20y&b=it%27s');
  });

  it('parseAuthorization reads the three fields', () => {
    expect(parseAuthorization('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=ff')).toEqual({
      algorithm: 'ACS3-HMAC-SHA256',
      accessKeyId: 'AK',
      signedHeaders: ['host', 'x-acs-date'],
      signature: 'ff',
    });
  });
});
