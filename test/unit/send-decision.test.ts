import { describe, expect, it } from 'vitest';
import { smsErrorFromCode, smsErrorFromThrown } from '../../src/sms/errors.js';
import { decideSend } from '../../workers/send-decision.js';

const failed = (code: string, extra: { httpStatus?: number; retryAfterSeconds?: number } = {}) =>
  decideSend({ ok: false, error: smsErrorFromCode(code, extra) });

describe('decideSend: the error class decides what the worker does', () => {
  it('records the BizId of an accepted send', () => {
    expect(decideSend({ ok: true, requestId: 'r', data: { bizId: '1^0' } })).toEqual({ type: 'accepted', bizId: '1^0', requestId: 'r' });
  });

  it.each([
    ['isv.MOBILE_NUMBER_ILLEGAL', 'fail-recipients'],
    ['isv.TEMPLATE_MISSING_PARAMETERS', 'fail-recipients'],
    ['isv.SMS_TEMPLATE_ILLEGAL', 'fail-send'],
    ['SignatureNotFound', 'fail-send'],
    ['isv.AMOUNT_NOT_ENOUGH', 'block-account'],
    ['SignatureDoesNotMatch', 'block-account'],
    ['isv.BUSINESS_LIMIT_CONTROL', 'flow-control'],
    ['isp.SYSTEM_ERROR', 'unknown'],
    // The door refuses these; a worker backs off by itself (its host's blip must not stop or slow every worker).
    ['ConnectionRefused', 'back-off'],
    ['HostNotFound', 'back-off'],
    ['TlsError', 'block-account'],
    // Failed before a byte was written: a value of the send fails its chunk (no look-up owed); on the
    // worker's own setup that worker backs off by itself (the others' credentials are fine).
    ['RequestNotBuilt', 'not-built'],
    ['RequestNotBuilt.Setup', 'back-off'],
  ])('%s → %s', (code, type) => {
    expect(failed(code).type).toBe(type);
  });

  it('throttling slows down for the time the server asked, within bounds', () => {
    expect(failed('Throttling.User', { retryAfterSeconds: 2 })).toMatchObject({ type: 'throttle', retryAfterMs: 2000 });
    expect(failed('Throttling.User')).toMatchObject({ type: 'throttle', retryAfterMs: 1000 });
    expect(failed('Throttling.User', { retryAfterSeconds: 3600 })).toMatchObject({ retryAfterMs: 60_000 });
  });

  it('a TLS failure that may follow the request is looked up, not blocked and resent: plain bytes after the request read as a wrong version number, and the chunk went out twice', () => {
    const thrown = (code: string, message: string) => decideSend({ ok: false, error: smsErrorFromThrown(Object.assign(new Error(message), { code })) });
    expect(thrown('EPROTO', 'read EPROTO 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number')).toMatchObject({ type: 'unknown', code: 'TlsError' });
    expect(thrown('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number')).toMatchObject({ type: 'unknown', code: 'TlsError' });
    // A certificate is checked in the handshake, before any request: the account is blocked.
    expect(thrown('CERT_HAS_EXPIRED', 'certificate has expired')).toMatchObject({ type: 'block-account', code: 'TlsError' });
  });
});
