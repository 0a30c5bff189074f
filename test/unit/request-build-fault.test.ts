/**
 * Which failures mean the request was never built (request-build-fault.ts): the kind of error,
 * and where it came from (a value no request can carry, or no request started for the call).
 * The errors are Node's own, raised by the calls that raise them in the SDK's path.
 */
import http from 'node:http';
import { stringify } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import { requestBuildFault, type CallFacts } from '../../src/sms/request-build-fault.js';
import { decideSend } from '../../workers/send-decision.js';

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

// What the SDK's signing and URL building raise for half a surrogate pair, and ClientRequest for a bad header.
const uriError = () => thrownBy(() => encodeURIComponent('\udc00'));
const querystringUri = () => thrownBy(() => stringify({ SignName: 'a\ud800' }));
const headerChar = () => thrownBy(() => http.request({ host: '127.0.0.1', port: 9, headers: { Authorization: 'ACS3-HMAC-SHA256 Credential=key\n,SignedHeaders=host' } }));
const argType = () => thrownBy(() => http.request({ host: 42 as unknown as string, port: 9 }));
const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });

const send = (over: Partial<CallFacts> = {}): CallFacts => ({ op: 'SendSms', encoded: [['signName', '阿里云'], ['templateCode', 'SMS_1'], ['outId', 's.0.1']], started: false, ...over });

describe('requestBuildFault', () => {
  it('a value that is not well-formed UTF-16, met by a URIError (encodeURIComponent or querystring): RequestNotBuilt, permanent, naming the field and where', () => {
    for (const e of [uriError(), querystringUri()]) {
      const fault = requestBuildFault(e, send({ encoded: [['signName', '阿里云'], ['templateCode', 'SMS_\ud83d1']] }));
      expect(fault).toMatchObject({ code: 'RequestNotBuilt', errorClass: 'permanent', cause: e });
      expect(fault?.message).toMatch(/^SendSms not sent: templateCode holds half of a UTF-16 surrogate pair \(U\+D83D at index 4\)/);
    }
    // A whole pair is a character like any other.
    expect(requestBuildFault(uriError(), send({ encoded: [['signName', '云😀']], started: undefined }))).toBeUndefined();
  });

  it('a header Node refused as it was set: RequestNotBuilt.Setup, account, naming the setting it is built from, never its value; with or without the channel', () => {
    for (const started of [false, undefined]) {
      const fault = requestBuildFault(headerChar(), send({ started }));
      expect(fault).toMatchObject({ code: 'RequestNotBuilt.Setup', errorClass: 'account' });
      expect(fault?.message).toMatch(/^SendSms not sent: the AccessKey ID \(ALIBABA_CLOUD_ACCESS_KEY_ID.*Node refused the "Authorization" header \(ERR_INVALID_CHAR\).*Fix: set the AccessKey ID/);
      expect(fault?.message).not.toContain('Credential=');
    }
    const token = Object.assign(new TypeError('Invalid character in header content ["x-acs-security-token"]'), { code: 'ERR_INVALID_CHAR' });
    expect(requestBuildFault(token, send())?.message).toMatch(/the STS security token \(ALIBABA_CLOUD_SECURITY_TOKEN/);
    const unnamed = Object.assign(new TypeError('Invalid value "secret-value" for header "x-odd"'), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' });
    const odd = requestBuildFault(unnamed, send());
    expect(odd?.message).toMatch(/a value of the "x-odd" header holds/);
    expect(odd?.message).not.toContain('secret-value');
  });

  it('a request-building error with no value to blame: the worker\'s setup when no request started for the call; its transport class when that cannot be told (a query)', () => {
    for (const e of [uriError(), argType()]) {
      // Not a header the worker's own credential or options made: it blocks the account (a person ends it), not one worker's back-off, which put the job back uncounted forever.
      const fault = requestBuildFault(e, send({ started: false }));
      expect(fault).toMatchObject({ code: 'RequestNotBuilt.Unexplained', errorClass: 'account' });
      expect(decideSend({ ok: false, error: fault! })).toMatchObject({ type: 'block-account', code: 'RequestNotBuilt.Unexplained' });
      expect(requestBuildFault(e, send({ started: undefined }))).toBeUndefined();
    }
    // Node's argument errors quote what they got: not in the message.
    const quoted = requestBuildFault(argType(), send())?.message;
    expect(quoted).toMatch(/\(TypeError ERR_INVALID_ARG_TYPE: The "options\.host" property must be of type string[^)]*\), and no value of the send is the cause/);
    expect(quoted).not.toMatch(/Received|42/);
  });

  it('never when the request started, whatever was thrown; never for what a written request can meet', () => {
    for (const e of [uriError(), headerChar(), argType()]) expect(requestBuildFault(e, send({ started: true, encoded: [['signName', '\udc00']] }))).toBeUndefined();
    for (const e of [reset(), new SyntaxError('Unexpected token <'), Object.assign(new Error('ReadTimeout(1000)'), { name: 'RequestTimeoutError' }), new TypeError('x is undefined')]) {
      expect(requestBuildFault(e, send({ started: false, encoded: [['signName', '\udc00']] }))).toBeUndefined();
    }
  });

  it('the worker fails the chunk on a value of the send, and backs off by itself on its own setup (no account block)', () => {
    const value = requestBuildFault(uriError(), send({ encoded: [['signName', '\udc00']] }))!;
    expect(decideSend({ ok: false, error: value })).toEqual({ type: 'not-built', code: 'RequestNotBuilt', message: value.message });
    expect(decideSend({ ok: false, error: requestBuildFault(headerChar(), send())! })).toMatchObject({ type: 'back-off', code: 'RequestNotBuilt.Setup' });
  });
});
