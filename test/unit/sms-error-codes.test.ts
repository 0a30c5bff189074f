import { ClientError, ServerError, ThrottlingError } from '@alicloud/openapi-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { exitCodeOfSmsError } from '../../cli/errors.js';
import { EXIT } from '../../src/errors.js';
import { CLASSIFICATION_DEFAULTS, ERROR_CODES, classifyCode, endpointFaultLine, lookupCode, queryAction, queryMeaning, toldInOneLine, type ErrorClass as TableErrorClass } from '../../src/sms/error-codes.js';
import { CredentialResolutionError, notDysmsapiAnswer, SmsError, smsErrorFromCode, smsErrorFromThrown, type SmsErrorOptions } from '../../src/sms/errors.js';
import type { ErrorClass, SmsErrorInit } from '../../src/sms/types.js';

// Every code in docs/dysmsapi.md's table and the seed's tables (with the seed's own spellings).
const EXPECTED: Record<string, ErrorClass> = {
  OK: 'accepted',
  'isv.MOBILE_NUMBER_ILLEGAL': 'permanent',
  'isv.MOBILE_COUNT_OVER_LIMIT': 'permanent',
  'isv.TEMPLATE_MISSING_PARAMETERS': 'permanent',
  'isv.INVALID_JSON_PARAM': 'permanent',
  'isv.INVALID_PARAMETERS': 'permanent',
  'isv.PARAM_LENGTH_LIMIT': 'permanent',
  'isv.PARAM_NOT_SUPPORT_URL': 'permanent',
  'isv.SMS_CONTENT_ILLEGAL': 'permanent',
  'isv.BLACK_KEY_CONTROL_LIMIT': 'permanent',
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED': 'permanent',
  'isv.EXTEND_CODE_ERROR': 'permanent',
  'isv.SMS_SIGNATURE_ILLEGAL': 'sign_template',
  'isv.SMS_SIGN_ILLEGAL': 'sign_template',
  'isv.SIGN_STATE_ILLEGAL': 'sign_template',
  'isv.SMS_TEMPLATE_ILLEGAL': 'sign_template',
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL': 'sign_template',
  'isv.SMS_SIGN_NAME_ILLEGAL': 'sign_template',
  SignatureNotFound: 'sign_template',
  TemplateNotFound: 'sign_template',
  'InvalidAccessKeyId.NotFound': 'account',
  SignatureDoesNotMatch: 'account',
  'Forbidden.RAM': 'account',
  'isp.RAM_PERMISSION_DENY': 'account',
  'isv.PRODUCT_UN_SUBSCRIPT': 'account',
  'isv.ACCOUNT_NOT_EXISTS': 'account',
  'isv.ACCOUNT_ABNORMAL': 'account',
  'isv.OUT_OF_SERVICE': 'account',
  'isv.AMOUNT_NOT_ENOUGH': 'account',
  'isv.DAY_LIMIT_CONTROL': 'account',
  'isv.MONTH_LIMIT_CONTROL': 'account',
  InvalidCredentials: 'account',
  'isv.BUSINESS_LIMIT_CONTROL': 'flow_control',
  'Throttling.User': 'throttled',
  'isp.SYSTEM_ERROR': 'unknown',
  // The seed's spellings.
  'isv.SMSSIGNATURESCENE_ILLEGAL': 'sign_template',
  'isv.SMSTEMPLATEILLEGAL': 'sign_template',
  'isv.SMSSIGNNAME_ILLEGAL': 'sign_template',
  'isv.MOBILENUMBERILLEGAL': 'permanent',
  'isv.AMOUNTNOTENOUGH': 'account',
  'isv.BUSINESSLIMITCONTROL': 'flow_control',
};

describe('ERROR_CODES / classifyCode', () => {
  it.each(Object.entries(EXPECTED))('%s is %s and in the table', (code, cls) => {
    const c = classifyCode(code, 200);
    expect(c.errorClass).toBe(cls);
    expect(c.known).toBe(true);
    expect(c.meaning.length).toBeGreaterThan(0);
    expect(c.action.length).toBeGreaterThan(0);
  });

  it('maps aliases to their canonical code', () => {
    expect(lookupCode('isv.MOBILENUMBERILLEGAL')?.code).toBe('isv.MOBILE_NUMBER_ILLEGAL');
    expect(lookupCode('isv.SMSSIGNNAME_ILLEGAL')?.code).toBe('isv.SMS_SIGN_NAME_ILLEGAL');
    expect(lookupCode('isv.business_limit_control')?.code).toBe('isv.BUSINESS_LIMIT_CONTROL');
    expect(lookupCode('isv.NOT_A_CODE')).toBeUndefined();
  });

  it('has no two entries that collide once case, "_" and "." are ignored', () => {
    const seen = new Map<string, string>();
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      for (const s of [code, ...(info.aliases ?? [])]) {
        const key = s.replace(/[._]/g, '').toUpperCase();
        const prev = seen.get(key);
        expect(prev === undefined || prev === code, `${s} collides with ${prev}`).toBe(true);
        seen.set(key, code);
      }
    }
  });

  it('applies the documented defaults to codes not in the table', () => {
    expect(classifyCode('Throttling.Tenant', 400)).toMatchObject({ errorClass: 'throttled', known: false });
    expect(classifyCode('Throttling.User', 503).errorClass).toBe('throttled');
    expect(classifyCode('isv.SMS_SIGN_ILLEGAL', 500).errorClass).toBe('unknown');
    expect(classifyCode('InternalError', 500)).toMatchObject({ errorClass: 'unknown' });
    expect(classifyCode('isp.SOMETHING_NEW', 200)).toMatchObject({ errorClass: 'unknown', known: false });
    expect(classifyCode('isv.SOMETHING_NEW', 200)).toMatchObject({ errorClass: 'permanent', known: false });
    expect(classifyCode('InvalidAccessKeyId.Whatever', 400).errorClass).toBe('account');
    expect(classifyCode('Forbidden.NoPermission', 403).errorClass).toBe('account');
    expect(classifyCode('HttpError', 429).errorClass).toBe('throttled');
    expect(classifyCode('HttpError', 401).errorClass).toBe('account');
    expect(classifyCode('InvalidAction.NotFound', 404).errorClass).toBe('account');
    expect(classifyCode('MissingPhoneNumbers', 400).errorClass).toBe('permanent');
    expect(classifyCode('SomethingNew', 200).errorClass).toBe('permanent');
    expect(classifyCode('SomethingNew').errorClass).toBe('permanent');
  });

  it('describes its defaults for the CLI and README', () => {
    expect(CLASSIFICATION_DEFAULTS.length).toBeGreaterThan(5);
  });

  it('keeps its ErrorClass and SmsErrorOptions in step with types.ts', () => {
    expectTypeOf<TableErrorClass>().toEqualTypeOf<ErrorClass>();
    expectTypeOf<SmsErrorInit>().toExtend<SmsErrorOptions>();
    for (const info of Object.values(ERROR_CODES)) {
      expect(['accepted', 'permanent', 'sign_template', 'account', 'flow_control', 'throttled', 'unknown']).toContain(info.errorClass);
    }
  });
});

describe('smsErrorFromCode', () => {
  it('builds a classified SmsError with meaning and action', () => {
    const e = smsErrorFromCode('isv.BUSINESS_LIMIT_CONTROL', { message: 'limit', requestId: 'r1', httpStatus: 200 });
    expect(e).toBeInstanceOf(SmsError);
    expect(e).toMatchObject({ code: 'isv.BUSINESS_LIMIT_CONTROL', errorClass: 'flow_control', requestId: 'r1', httpStatus: 200 });
    expect(e.action).toMatch(/window/);
    expect(e.toJSON()).toMatchObject({ code: 'isv.BUSINESS_LIMIT_CONTROL', errorClass: 'flow_control' });
    expect(e.toJSON()).not.toHaveProperty('cause');
  });
});

function errnoError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('smsErrorFromThrown', () => {
  it('classifies ClientError by code, keeping status, request id and cause', () => {
    const sdkErr = new ClientError({
      statusCode: 400,
      code: 'SignatureDoesNotMatch',
      message: 'code: 400, Specified signature is not matched request id: R1',
      data: { Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched', RequestId: 'R1' },
      requestId: 'R1',
    });
    const e = smsErrorFromThrown(sdkErr);
    expect(e).toMatchObject({ code: 'SignatureDoesNotMatch', errorClass: 'account', httpStatus: 400, requestId: 'R1' });
    expect(e.cause).toBe(sdkErr);
  });

  it('reads ThrottlingError.retryAfter as milliseconds', () => {
    const e = smsErrorFromThrown(new ThrottlingError({ statusCode: 400, code: 'Throttling.User', retryAfter: 1500, requestId: 'R2', data: {} }));
    expect(e).toMatchObject({ code: 'Throttling.User', errorClass: 'throttled', retryAfterSeconds: 1.5 });
  });

  it('makes every 5xx unknown, and names a missing code HttpError', () => {
    expect(smsErrorFromThrown(new ServerError({ statusCode: 503, code: 'ServiceUnavailable', requestId: 'R3', data: {} }))).toMatchObject({
      code: 'ServiceUnavailable',
      errorClass: 'unknown',
      httpStatus: 503,
    });
    // The SDK writes `${undefined}` when the body has no Code.
    expect(smsErrorFromThrown(new ServerError({ statusCode: 502, code: 'undefined', requestId: 'undefined', data: {} }))).toMatchObject({
      code: 'HttpError',
      errorClass: 'unknown',
      requestId: undefined,
    });
  });

  it('makes timeouts, resets and hang-ups unknown', () => {
    const timeout = Object.assign(new Error('ReadTimeout(3000). POST http://h/?PhoneNumbers=13800138000 failed.'), { name: 'RequestTimeoutError' });
    expect(smsErrorFromThrown(timeout, { readTimeoutMs: 3000 })).toMatchObject({ code: 'RequestTimeout', errorClass: 'unknown' });
    const idle = Object.assign(new Error('ConnectTimeout: Connect http://h/ failed.'), { name: 'RequestTimeoutError' });
    expect(smsErrorFromThrown(idle)).toMatchObject({ code: 'RequestTimeout', errorClass: 'unknown' });
    expect(smsErrorFromThrown(errnoError('ECONNRESET', 'socket hang up'))).toMatchObject({ code: 'ConnectionReset', errorClass: 'unknown' });
    expect(smsErrorFromThrown(errnoError('EPIPE', 'write EPIPE'))).toMatchObject({ code: 'ConnectionReset', errorClass: 'unknown' });
    expect(smsErrorFromThrown(errnoError('ETIMEDOUT', 'read ETIMEDOUT'))).toMatchObject({ code: 'RequestTimeout', errorClass: 'unknown' });
    expect(smsErrorFromThrown(errnoError('EHOSTUNREACH', 'x'))).toMatchObject({ code: 'NetworkError', errorClass: 'unknown' });
    expect(smsErrorFromThrown(new Error('aborted'))).toMatchObject({ code: 'ConnectionReset', errorClass: 'unknown' });
  });

  it('treats failures before any byte was written as safe', () => {
    expect(smsErrorFromThrown(errnoError('CERT_HAS_EXPIRED', 'certificate has expired'))).toMatchObject({ code: 'TlsError', errorClass: 'account' });
    expect(smsErrorFromThrown(new CredentialResolutionError(new Error('unable to get credentials')))).toMatchObject({
      code: 'InvalidCredentials',
      errorClass: 'account',
    });
    expect(smsErrorFromThrown(new ClientError({ code: 'InvalidCredentials', message: 'Please set up the credentials' }))).toMatchObject({
      code: 'InvalidCredentials',
      errorClass: 'account',
    });
  });

  it('an endpoint that cannot be reached (refused, a name that does not exist) is a setup fault: class account, naming SMS_ENDPOINT (it was throttled: "run it again in a moment")', () => {
    const at = { endpoint: '127.0.0.1:8399', protocol: 'http' as const };
    const refused = smsErrorFromThrown(errnoError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8399'), at);
    expect(refused).toMatchObject({ code: 'ConnectionRefused', errorClass: 'account' });
    expect(refused.message).toContain('SMS_ENDPOINT=127.0.0.1:8399');
    expect(refused.action).toMatch(/correct SMS_ENDPOINT/i);
    expect(refused.action).not.toMatch(/back off like throttling/);
    for (const errno of ['ENOTFOUND', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']) {
      const e = smsErrorFromThrown(errnoError(errno, `getaddrinfo ${errno} nonexistent.invalid`), { endpoint: 'nonexistent.invalid:8391' });
      expect(e, errno).toMatchObject({ code: 'HostNotFound', errorClass: 'account' });
      expect(e.message).toContain('SMS_ENDPOINT=nonexistent.invalid:8391');
    }
    // Without the endpoint (a caller of smsErrorFromThrown alone), the words still name the setting.
    expect(smsErrorFromThrown(errnoError('ECONNREFUSED', 'connect ECONNREFUSED')).message).toMatch(/SMS_ENDPOINT/);
  });

  it('a DNS server that did not answer (EAI_AGAIN) is transient, like a timeout: retried, told as DNS, not as the call cap', () => {
    const e = smsErrorFromThrown(errnoError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN dysmsapi.aliyuncs.com'), { endpoint: 'dysmsapi.aliyuncs.com' });
    expect(e).toMatchObject({ code: 'DnsTemporaryFailure', errorClass: 'throttled' });
    expect(e.message).toContain('SMS_ENDPOINT=dysmsapi.aliyuncs.com');
    expect(queryAction(e)).toMatch(/DNS/);
    expect(queryAction(e)).not.toMatch(/call cap/);
  });

  it('https answered by a plain-http server (EPROTO, wrong version number) is TlsError, giving SMS_PROTOCOL=http; other EPROTO stays unknown', () => {
    const plain = smsErrorFromThrown(
      errnoError('EPROTO', 'write EPROTO 804CA536677F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:'),
      { endpoint: '127.0.0.1:8391', protocol: 'https' },
    );
    expect(plain).toMatchObject({ code: 'TlsError', errorClass: 'account' });
    expect(plain.message).toMatch(/SMS_ENDPOINT=127\.0\.0\.1:8391.*plain http/);
    expect(plain.action).toMatch(/SMS_PROTOCOL=http/);
    expect(smsErrorFromThrown(errnoError('EPROTO', 'read EPROTO decryption failed or bad record mac'))).toMatchObject({ code: 'NetworkError', errorClass: 'unknown' });
  });

  it('a query failing on an unreachable endpoint is told the endpoint fix, not the call cap', () => {
    for (const errno of ['ECONNREFUSED', 'ENOTFOUND']) {
      const action = queryAction(smsErrorFromThrown(errnoError(errno, errno), { endpoint: '127.0.0.1:8399' }));
      expect(action).toMatch(/correct SMS_ENDPOINT/i);
      expect(action).toMatch(/Nothing was changed: run it again after the fix\.$/);
      expect(action).not.toMatch(/call cap/);
    }
  });

  it('a query has meanings of its own where a send\'s speak of a message accepted or a request processed', () => {
    for (const code of ['isp.SYSTEM_ERROR', 'RequestTimeout', 'ConnectionReset', 'NetworkError', 'InvalidResponse', 'UnexpectedError']) {
      const e = code === 'isp.SYSTEM_ERROR' ? smsErrorFromCode(code, { httpStatus: 500 }) : new SmsError({ code, message: 'x', errorClass: 'unknown' });
      expect(e.meaning, code).toMatch(/accept|processed|written/);
      expect(queryMeaning(e), code).not.toMatch(/message|accepted|processed|written/);
    }
    expect(queryMeaning(smsErrorFromCode('isp.SYSTEM_ERROR', { httpStatus: 500 }))).toMatch(/\(HTTP 500\)$/);
    // Meanings that speak of no message are the send's.
    const bad = smsErrorFromCode('isv.MOBILE_NUMBER_ILLEGAL', { httpStatus: 200 });
    expect(queryMeaning(bad)).toBe(bad.meaning);
  });

  it('makes unreadable answers and unrecognised failures unknown', () => {
    expect(smsErrorFromThrown(new SyntaxError('Unexpected token <'))).toMatchObject({ code: 'InvalidResponse', errorClass: 'unknown' });
    expect(smsErrorFromThrown(new TypeError('boom'))).toMatchObject({ code: 'UnexpectedError', errorClass: 'unknown' });
    expect(smsErrorFromThrown('a string')).toMatchObject({ code: 'UnexpectedError', errorClass: 'unknown' });
  });

  it('an answer without a Dysmsapi code, or not in JSON, names SMS_ENDPOINT, its value and the status, never "undefined" (it printed "undefined: code: 404, undefined request id: undefined", and InvalidResponse with no status)', () => {
    const at = { endpoint: '127.0.0.1:8196', protocol: 'http' as const };
    // What the SDK throws for a 404 whose JSON body has no Code (the emulator's control port).
    const codeless = smsErrorFromThrown(new ClientError({ statusCode: 404, code: 'undefined', message: 'code: 404, undefined request id: undefined', requestId: 'undefined', data: { error: 'no route' } }), at);
    expect(codeless).toMatchObject({ code: 'NotDysmsapi', errorClass: 'account', httpStatus: 404, requestId: undefined, endpoint: '127.0.0.1:8196' });
    expect(codeless.message).toBe('SMS_ENDPOINT=127.0.0.1:8196 answered HTTP 404 without a Dysmsapi code (not a Dysmsapi endpoint?)');
    // An HTML page: JSON.parse's SyntaxError, with the status the client saw (answer-seen.ts).
    const html = smsErrorFromThrown(new SyntaxError('Unexpected token \'<\', "<!DOCTYPE "... is not valid JSON'), { ...at, answered: { status: 501, contentType: 'text/html' } });
    expect(html).toMatchObject({ code: 'InvalidResponse', errorClass: 'unknown', httpStatus: 501, endpoint: '127.0.0.1:8196' });
    expect(html.message).toBe("SMS_ENDPOINT=127.0.0.1:8196 answered HTTP 501 (text/html), not Dysmsapi's JSON (not a Dysmsapi endpoint? or a proxy failing in front of it)");
    const unknownStatus = smsErrorFromThrown(new SyntaxError('Unexpected token'), at);
    expect(unknownStatus).toMatchObject({ code: 'InvalidResponse', httpStatus: undefined });
    expect(unknownStatus.message).toMatch(/^SMS_ENDPOINT=127\.0\.0\.1:8196 answered something, not Dysmsapi's JSON/);
    for (const e of [codeless, html, unknownStatus]) expect(JSON.stringify(e.toJSON())).not.toContain('undefined');
  });

  it('a redirect or client error forwarded nothing: NotDysmsapi, an endpoint fault (exit 3, as a refused connection); a 429 is throttled; a 2xx or 5xx may follow the request: unknown, looked up', () => {
    const at = { endpoint: 'proxy.example:8080' };
    for (const status of [301, 400, 401, 403, 404, 405]) {
      for (const codeless of [true, false]) {
        const e = notDysmsapiAnswer(at, { status, codeless });
        expect(e, `${status} ${codeless}`).toMatchObject({ code: 'NotDysmsapi', errorClass: 'account', httpStatus: status });
        expect(exitCodeOfSmsError(e)).toBe(EXIT.dependency);
        expect(e.action).toMatch(/Correct SMS_ENDPOINT/);
      }
    }
    expect(notDysmsapiAnswer(at, { status: 429, codeless: true })).toMatchObject({ code: 'HttpError', errorClass: 'throttled' });
    for (const status of [200, 500, 501, 502, 503]) {
      expect(notDysmsapiAnswer(at, { status, codeless: false }), String(status)).toMatchObject({ code: 'InvalidResponse', errorClass: 'unknown', httpStatus: status });
      expect(notDysmsapiAnswer(at, { status, codeless: true }), String(status)).toMatchObject({ errorClass: 'unknown', httpStatus: status });
    }
    for (const e of [notDysmsapiAnswer(at, { status: 404, codeless: true }), notDysmsapiAnswer(at, { status: 502, codeless: false })]) expect(exitCodeOfSmsError(e)).toBe(EXIT.dependency);
  });

  it('a timeout names SMS_ENDPOINT and SMS_READ_TIMEOUT_MS with their values, not the SDK\'s options (it said "read timeout (readTimeoutMs 3000)", and the meaning named connectTimeoutMs)', () => {
    const read = smsErrorFromThrown(Object.assign(new Error('ReadTimeout(3000). POST http://h/ failed.'), { name: 'RequestTimeoutError' }), { endpoint: '127.0.0.1:8197', readTimeoutMs: 3000 });
    expect(read).toMatchObject({ code: 'RequestTimeout', errorClass: 'unknown', endpoint: '127.0.0.1:8197' });
    expect(read.message).toBe('no answer from SMS_ENDPOINT=127.0.0.1:8197 within SMS_READ_TIMEOUT_MS=3000');
    const idle = smsErrorFromThrown(Object.assign(new Error('ConnectTimeout: Connect http://h/ failed.'), { name: 'RequestTimeoutError' }), { endpoint: '127.0.0.1:8197', readTimeoutMs: 3000 });
    expect(idle.message).toBe('no answer from SMS_ENDPOINT=127.0.0.1:8197 within SMS_READ_TIMEOUT_MS=3000 (no connection made, or it went quiet)');
    // A library caller's own connect timeout is its option's name: the environment has no such setting.
    const own = smsErrorFromThrown(Object.assign(new Error('ConnectTimeout: x'), { name: 'RequestTimeoutError' }), { endpoint: 'h:1', readTimeoutMs: 3000, connectTimeoutMs: 500 });
    expect(own.message).toContain('within connectTimeoutMs=500');
    for (const words of [read.meaning, queryMeaning(read), read.message, idle.message]) expect(words).not.toMatch(/readTimeoutMs|connectTimeoutMs/);
  });

  it('one line for a failure of the endpoint or the credentials, with a query\'s fix to a read; a send keeps its setup fix', () => {
    const timeout = smsErrorFromThrown(Object.assign(new Error('ReadTimeout(1000)'), { name: 'RequestTimeoutError' }), { endpoint: '127.0.0.1:8197', readTimeoutMs: 1000 });
    expect(toldInOneLine(timeout, true)).toBe(true);
    expect(toldInOneLine(timeout, false)).toBe(false);
    expect(endpointFaultLine(timeout, 'nothing was changed', true)).toBe(
      'no answer from SMS_ENDPOINT=127.0.0.1:8197 within SMS_READ_TIMEOUT_MS=1000; nothing was changed. Fix: run it again; if it keeps failing, check that SMS_ENDPOINT is Dysmsapi (or the emulator) and reachable from here, or raise SMS_READ_TIMEOUT_MS for slow answers',
    );
    const notDysmsapi = notDysmsapiAnswer({ endpoint: '127.0.0.1:8196' }, { status: 404, codeless: true });
    expect(toldInOneLine(notDysmsapi, false)).toBe(true);
    expect(endpointFaultLine(notDysmsapi, 'nothing was enqueued')).toMatch(/^SMS_ENDPOINT=127\.0\.0\.1:8196 answered HTTP 404 without a Dysmsapi code \(not a Dysmsapi endpoint\?\); nothing was enqueued\. Fix: correct SMS_ENDPOINT to Dysmsapi's host\[:port\]/);
    const noCredentials = smsErrorFromThrown(new CredentialResolutionError(new Error('unable to get credentials from any of the providers in the chain: unable to get credentials from enviroment variables, Access key ID must be specified via environment variable (ALIBABA_CLOUD_ACCESS_KEY_ID)')));
    expect(toldInOneLine(noCredentials, false)).toBe(true);
    const read = endpointFaultLine(noCredentials, 'nothing was changed', true);
    expect(read).toBe(
      'no credentials: the default credential chain found none (ALIBABA_CLOUD_ACCESS_KEY_ID is not set); nothing was changed. Fix: give this command a credential (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_PROFILE naming a profile, or an ECS RAM role), then run it again',
    );
    for (const words of [read, noCredentials.meaning, queryAction(noCredentials)]) expect(words).not.toMatch(/worker|back-off/);
    expect(endpointFaultLine(noCredentials, 'nothing was enqueued')).toMatch(/; nothing was enqueued\. Fix: give the process that met it a credential: ALIBABA_CLOUD_ACCESS_KEY_ID/);
    // Dysmsapi's own answers are told with their meaning and advice.
    expect(toldInOneLine(smsErrorFromCode('isv.SMS_SIGNATURE_ILLEGAL', { httpStatus: 200 }), true)).toBe(false);
  });

  it('keeps phone numbers of the request URL out of the cause', () => {
    const raw = errnoError('ECONNRESET', 'socket hang upPOST http://127.0.0.1:9/?PhoneNumbers=13800138000&SignName=x failed.');
    const e = smsErrorFromThrown(raw);
    expect(String((e.cause as Error).message)).not.toContain('13800138000');
    expect(String((e.cause as Error).stack)).not.toContain('13800138000');
    expect(e.message).not.toContain('13800138000');
  });
});
