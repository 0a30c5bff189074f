/**
 * The SMS client through the real SDK against the emulator: every operation, every fault, every
 * error class. No Redis involved.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createSmsClient, SmsClientOptionsError, type SmsClientOptions } from '../../src/sms/client.js';
import { cstDate } from '../../src/sms/dates.js';
import type { SmsClient, SmsOutcome } from '../../src/sms/types.js';
import { emptyCredentialChain } from '../support/empty-credential-chain.js';

let emulator: Emulator;
let clock: ManualClock;
let endpoint: string;
let client: SmsClient;

function clientWith(over: Partial<SmsClientOptions> = {}): SmsClient {
  return createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 2000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY }, ...over });
}

function failure<T>(r: SmsOutcome<T>) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.data)}`);
  return r.error;
}

function success<T>(r: SmsOutcome<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.data;
}

// Distinct numbers per test so flow control never links two tests.
let nextPhone = 13_700_000_000;
const phone = () => String(nextPhone++);

const verification = (p: string, outId = `o-${p}`) => ({ phoneNumbers: [p], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, outId });

beforeAll(async () => {
  clock = createManualClock(Date.now());
  emulator = createEmulator({ clock });
  ({ endpoint } = await emulator.listen());
  client = clientWith();
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
});

describe('every operation answers through the real SDK', () => {
  it('SendSms is accepted and the emulator records the OutId', async () => {
    const p = phone();
    const r = await client.sendSms(verification(p, 'attempt-1'));
    const data = success(r);
    expect(data.bizId).toMatch(/\^0$/);
    expect(r.ok && r.requestId).toBeTruthy();
    expect(emulator.accepted()).toEqual([expect.objectContaining({ bizId: data.bizId, outId: 'attempt-1', phoneNumbers: [p], action: 'SendSms' })]);
  });

  it('SendBatchSms sends per-number signatures and params in one call', async () => {
    const [a, b] = [phone(), phone()];
    const data = success(
      await client.sendBatchSms({
        phoneNumbers: [a, b],
        signNames: [N.sign, N.sign],
        templateCode: N.notificationTemplate,
        templateParams: [
          { name: '张三', order: 'A1' },
          { name: '李四', order: 'B2' },
        ],
        outId: 'batch-1',
      }),
    );
    const [send] = emulator.accepted();
    expect(send).toMatchObject({ bizId: data.bizId, action: 'SendBatchSms', outId: 'batch-1', phoneNumbers: [a, b] });
    expect(send?.templateParams).toEqual([
      { name: '张三', order: 'A1' },
      { name: '李四', order: 'B2' },
    ]);
  });

  it('QuerySendDetails finds the send by number, CST date and BizId, with numbers as numbers', async () => {
    const p = phone();
    // The day it was sent: five seconds later may be the next day in China (a run at 16:00 UTC).
    const sendDate = cstDate(clock.now());
    const { bizId } = success(await client.sendSms(verification(p, 'find-me')));
    clock.advance(5_000); // past the emulator's delivery delay
    const data = success(await client.querySendDetails({ phoneNumber: p, sendDate, bizId, pageSize: 10, currentPage: 1 }));
    expect(data.totalCount).toBe(1);
    expect(data.details).toEqual([
      expect.objectContaining({ phoneNum: p, outId: 'find-me', templateCode: N.verificationTemplate, sendStatus: 3, errCode: 'DELIVERED' }),
    ]);
    expect(data.details[0]?.content).toContain('123456');
    expect(data.details[0]?.sendDate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('QuerySendStatistics counts the day', async () => {
    const day = cstDate(clock.now()); // the day it is sent, not five seconds later (see above)
    success(await client.sendSms(verification(phone())));
    clock.advance(5_000);
    const data = success(await client.querySendStatistics({ isGlobe: 1, startDate: day, endDate: day, pageIndex: 1, pageSize: 10 }));
    expect(data.totalSize).toBeGreaterThanOrEqual(1);
    const row = data.rows.find((r) => r.sendDate.replace(/-/g, '') === day);
    expect(row).toBeDefined();
    expect(typeof row?.totalCount).toBe('number');
    expect(row?.totalCount).toBeGreaterThanOrEqual(1);
  });

  it('QuerySmsSignList and GetSmsSign show approval states', async () => {
    const list = success(await client.querySmsSignList({ pageIndex: 1, pageSize: 50 }));
    expect(list.totalCount).toBeGreaterThanOrEqual(4);
    expect(list.items).toContainEqual(expect.objectContaining({ signName: N.sign, auditStatus: 'AUDIT_STATE_PASS' }));
    expect(success(await client.getSmsSign(N.sign))).toMatchObject({ signName: N.sign, signStatus: 1 });
    const rejected = success(await client.getSmsSign(N.rejectedSign));
    expect(rejected.signStatus).toBe(2);
    expect(rejected.reason).not.toBe('');
  });

  it('QuerySmsTemplateList and GetSmsTemplate show content, type and state', async () => {
    const list = success(await client.querySmsTemplateList({ pageIndex: 1, pageSize: 50 }));
    expect(list.items).toContainEqual(expect.objectContaining({ templateCode: N.verificationTemplate, templateType: 0, auditStatus: 'AUDIT_STATE_PASS' }));
    const t = success(await client.getSmsTemplate(N.notificationTemplate));
    expect(t).toMatchObject({ templateCode: N.notificationTemplate, templateStatus: 1, templateType: 1 });
    expect(t.templateContent).toContain('${name}');
    expect(success(await client.getSmsTemplate(N.reviewingTemplate)).templateStatus).toBe(0);
  });

  it('QuerySmsQualificationRecord and QuerySingleSmsQualification keep the SDK field names', async () => {
    const list = success(await client.querySmsQualificationRecord({ pageNo: 1, pageSize: 20 }));
    expect(list.totalCount).toBeGreaterThanOrEqual(2);
    expect(list.items).toContainEqual(expect.objectContaining({ groupId: N.approvedQualification }));
    const one = success(await client.querySingleSmsQualification(N.approvedQualification));
    expect(one).toMatchObject({ qualificationGroupId: N.approvedQualification });
  });

  it('sends a User-Agent naming smsq', async () => {
    // A pass-through proxy in front of the emulator records what the SDK really sends.
    const agents: string[] = [];
    const proxy = http.createServer((req, res) => {
      agents.push(String(req.headers['user-agent']));
      const upstream = http.request({ host: '127.0.0.1', port: Number(endpoint.split(':')[1]), method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const viaProxy = clientWith({ endpoint: `127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      success(await viaProxy.getSmsSign(N.sign));
      expect(agents).toHaveLength(1);
      expect(agents[0]).toMatch(/ smsq\/\d+\.\d+\.\d+$/);
      expect(agents[0]).toMatch(/^AlibabaCloud /);
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('faults', () => {
  it('a lost answer is unknown (RequestTimeout), yet the emulator accepted the send', async () => {
    emulator.setFaults([{ kind: 'lost-answer', delayMs: 3_000 }]);
    const fast = clientWith({ readTimeoutMs: 300 });
    const e = failure(await fast.sendSms(verification(phone(), 'lost-1')));
    expect(e).toMatchObject({ code: 'RequestTimeout', errorClass: 'unknown' });
    expect(emulator.accepted().map((s) => s.outId)).toEqual(['lost-1']);
  });

  it('a 500 is unknown and the SDK does not retry it', async () => {
    emulator.setFaults([{ kind: 'server-error' }]);
    const e = failure(await client.sendSms(verification(phone())));
    expect(e).toMatchObject({ code: 'isp.SYSTEM_ERROR', errorClass: 'unknown', httpStatus: 500 });
    expect(e.requestId).toBeTruthy();
    expect(emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(1);
    expect(emulator.accepted()).toEqual([]);
  });

  it('a 503 is unknown', async () => {
    emulator.setFaults([{ kind: 'server-error', httpStatus: 503 }]);
    expect(failure(await client.sendSms(verification(phone())))).toMatchObject({ code: 'ServiceUnavailable', errorClass: 'unknown', httpStatus: 503 });
  });

  it('a reset after the request was read is unknown (ConnectionReset), and the next call works', async () => {
    emulator.setFaults([{ kind: 'reset' }]);
    expect(failure(await client.sendSms(verification(phone())))).toMatchObject({ code: 'ConnectionReset', errorClass: 'unknown' });
    success(await client.sendSms(verification(phone())));
  });

  it('a throttle is throttled, with the retry-after in seconds', async () => {
    emulator.setFaults([{ kind: 'throttle' }]);
    const e = failure(await client.sendSms(verification(phone())));
    expect(e).toMatchObject({ code: 'Throttling.User', errorClass: 'throttled', httpStatus: 400, retryAfterSeconds: 1 });
    expect(emulator.accepted()).toEqual([]);
  });

  it('a refused connection is a setup fault (class account: the workers stop and keep every job), naming SMS_ENDPOINT: nothing was written', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const e = failure(await clientWith({ endpoint: `127.0.0.1:${port}` }).sendSms(verification(phone())));
    expect(e).toMatchObject({ code: 'ConnectionRefused', errorClass: 'account', message: expect.stringContaining(`SMS_ENDPOINT=127.0.0.1:${port}`) });
  });
});

describe('error classes', () => {
  it('permanent: a bad number, missing template params', async () => {
    expect(failure(await client.sendSms({ ...verification(phone()), phoneNumbers: ['12345'] }))).toMatchObject({
      code: 'isv.MOBILE_NUMBER_ILLEGAL',
      errorClass: 'permanent',
      httpStatus: 200,
    });
    const e = failure(await client.sendSms({ phoneNumbers: [phone()], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'x' } }));
    expect(e).toMatchObject({ code: 'isv.TEMPLATE_MISSING_PARAMETERS', errorClass: 'permanent' });
    expect(e.requestId).toBeTruthy();
    expect(e.action).not.toBe('');
    expect(emulator.accepted()).toEqual([]);
  });

  it('sign_template: unknown or unapproved signature or template', async () => {
    expect(failure(await client.sendSms({ ...verification(phone()), signName: '没有这个签名' }))).toMatchObject({ code: 'SignatureNotFound', errorClass: 'sign_template' });
    expect(failure(await client.sendSms({ ...verification(phone()), templateCode: 'SMS_0' }))).toMatchObject({ code: 'TemplateNotFound', errorClass: 'sign_template' });
    expect(failure(await client.sendSms({ ...verification(phone()), signName: N.rejectedSign }))).toMatchObject({ errorClass: 'sign_template' });
    expect(failure(await client.getSmsTemplate('SMS_0'))).toMatchObject({ code: 'TemplateNotFound', errorClass: 'sign_template' });
  });

  it('account: a wrong secret, an unknown key', async () => {
    const wrongSecret = clientWith({ credential: { kind: 'access-key', accessKeyId: SANDBOX_ACCESS_KEY.accessKeyId, accessKeySecret: 'nope' } });
    expect(failure(await wrongSecret.sendSms(verification(phone())))).toMatchObject({ code: 'SignatureDoesNotMatch', errorClass: 'account', httpStatus: 400 });
    const unknownKey = clientWith({ credential: { kind: 'access-key', accessKeyId: 'who', accessKeySecret: 'x' } });
    expect(failure(await unknownKey.querySmsSignList({ pageIndex: 1, pageSize: 10 }))).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', errorClass: 'account' });
    expect(emulator.accepted()).toEqual([]);
  });

  it('flow_control: a second verification code to one number within a minute', async () => {
    const p = phone();
    success(await client.sendSms(verification(p, 'first')));
    const e = failure(await client.sendSms(verification(p, 'second')));
    expect(e).toMatchObject({ code: 'isv.BUSINESS_LIMIT_CONTROL', errorClass: 'flow_control', httpStatus: 200 });
    clock.advance(61_000);
    success(await client.sendSms(verification(p, 'third')));
    expect(emulator.accepted().map((s) => s.outId)).toEqual(['first', 'third']);
  });

  it('throttled: over the account QPS cap', async () => {
    emulator.configure({ qps: 3 });
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => client.querySmsSignList({ pageIndex: 1, pageSize: 1 })));
      const throttled = results.filter((r) => !r.ok).map((r) => failure(r));
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(throttled).toHaveLength(3);
      for (const e of throttled) {
        expect(e).toMatchObject({ code: 'Throttling.User', errorClass: 'throttled' });
        expect(e.retryAfterSeconds).toBeGreaterThan(0);
      }
    } finally {
      emulator.configure({ qps: 5000 });
    }
  });
});

describe('credentials', () => {
  const saved = { ...process.env };
  let home: string | undefined;
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    if (home) rmSync(home, { recursive: true, force: true });
    home = undefined;
  });

  it('the default chain signs with the environment AccessKey', async () => {
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = SANDBOX_ACCESS_KEY.accessKeyId;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SANDBOX_ACCESS_KEY.accessKeySecret;
    const viaChain = clientWith({ credential: { kind: 'default-chain' } });
    success(await viaChain.getSmsSign(N.sign));
  });

  it('a default chain that finds nothing is an account problem, and nothing is sent', async () => {
    home = emptyCredentialChain();
    const before = emulator.calls().length;
    const e = failure(await clientWith({ credential: { kind: 'default-chain' } }).sendSms(verification(phone())));
    expect(e).toMatchObject({ code: 'InvalidCredentials', errorClass: 'account' });
    expect(emulator.calls().length).toBe(before);
  });
});

describe('a request that cannot be built fails before a byte is written, and says what to fix', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('half a surrogate pair in a value the SDK percent-encodes (SendSms signName, SendBatchSms templateCode, GetSmsSign): RequestNotBuilt, permanent, naming the field; nothing reaches Dysmsapi', async () => {
    const send = failure(await client.sendSms({ ...verification(phone(), 'nb-1'), signName: `${N.sign}\ud800` }));
    expect(send).toMatchObject({ code: 'RequestNotBuilt', errorClass: 'permanent', mayFollowRequest: false });
    expect(send.message).toBe(
      `SendSms not sent: signName holds half of a UTF-16 surrogate pair (U+D800 at index ${N.sign.length}) with no other half, which no request can carry (percent-encoding it throws URIError); ` +
        'nothing was written, and sending it again fails the same way. Fix: correct signName (a damaged UTF-16 text, or a JSON "\\ud800" escape, makes one) and send these recipients again',
    );
    expect(send.cause).toBeInstanceOf(URIError);
    const batch = failure(await client.sendBatchSms({ phoneNumbers: [phone()], signNames: [N.sign], templateCode: `${N.notificationTemplate}\udfff`, templateParams: [{ name: 'a', order: 'b' }], outId: 'nb-2' }));
    expect(batch).toMatchObject({ code: 'RequestNotBuilt', errorClass: 'permanent', message: expect.stringMatching(/^SendBatchSms not sent: templateCode holds half/) });
    const query = failure(await client.getSmsSign('\udc00'));
    expect(query).toMatchObject({ code: 'RequestNotBuilt', message: expect.stringMatching(/^GetSmsSign not sent: signName holds half .*calling again fails the same way\. Fix: correct signName \(.*\)$/) });
    expect(emulator.calls()).toEqual([]);
  });

  it('half a surrogate pair in a SendSms templateParam or a SendBatchSms signature is no fault of the client: JSON.stringify escapes it (the door refuses it)', async () => {
    const p = phone();
    success(await client.sendSms({ phoneNumbers: [p], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'a\udc00', order: 'b' }, outId: 'nb-3' }));
    expect(emulator.accepted().map((s) => s.outId)).toEqual(['nb-3']);
  });

  it('an AccessKey ID holding a line break, read by the default chain (createSmsClient refuses one given to it): RequestNotBuilt.Setup, account, naming the AccessKey and the fix, never quoting it; every operation alike', async () => {
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = `${SANDBOX_ACCESS_KEY.accessKeyId}\r\n`;
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SANDBOX_ACCESS_KEY.accessKeySecret;
    const broken = clientWith({ credential: { kind: 'default-chain' } });
    const send = failure(await broken.sendSms(verification(phone(), 'nb-4')));
    expect(send).toMatchObject({ code: 'RequestNotBuilt.Setup', errorClass: 'account', mayFollowRequest: false });
    expect(send.message).toBe(
      "SendSms not sent: the AccessKey ID (ALIBABA_CLOUD_ACCESS_KEY_ID, a credentials profile, or the client's credential.accessKeyId) holds a character an HTTP header cannot carry " +
        '(a line break, a control character, a character beyond Latin-1): Node refused the "Authorization" header (ERR_INVALID_CHAR) while building the request, so nothing was written and nothing was sent, ' +
        'and every call fails the same way. Fix: set the AccessKey ID exactly as the RAM console shows it, with no line break or space (a secret file written with echo ends in a line break)',
    );
    expect(JSON.stringify(send)).not.toContain(SANDBOX_ACCESS_KEY.accessKeyId);
    expect(failure(await broken.querySendDetails({ phoneNumber: phone(), sendDate: cstDate(clock.now()), pageSize: 10, currentPage: 1 }))).toMatchObject({ code: 'RequestNotBuilt.Setup', errorClass: 'account' });
    expect(emulator.calls()).toEqual([]);
  });
});

/**
 * Options that the SDK takes without a word and fails on only at the first call: a line break in the
 * AccessKey ID (ERR_INVALID_CHAR, RequestNotBuilt.Setup: the worker backs off, sending nothing), quotes or a
 * space (InvalidAccessKeyId, SignatureDoesNotMatch), a port no socket has (ERR_SOCKET_BAD_PORT, a
 * send of unknown outcome that never left), a timeout Node's timers cannot hold (every call timed
 * out after 1 ms, its outcome unknown). createSmsClient refuses them, naming the field and the fix.
 */
describe('createSmsClient refuses at once what would fail only at the first call', () => {
  const key = SANDBOX_ACCESS_KEY;
  const withId = (accessKeyId: string) => ({ credential: { kind: 'access-key' as const, accessKeyId, accessKeySecret: key.accessKeySecret } });
  const withSecret = (accessKeySecret: string) => ({ credential: { kind: 'access-key' as const, accessKeyId: key.accessKeyId, accessKeySecret } });
  const withToken = (securityToken: string) => ({ credential: { kind: 'access-key' as const, ...key, securityToken } });

  /** The refusal, or (today's behaviour before the fix) what the client built anyway did at its first call. */
  async function refusal(over: Partial<SmsClientOptions>): Promise<SmsClientOptionsError> {
    let built: SmsClient;
    try {
      built = clientWith(over);
    } catch (e) {
      return e as SmsClientOptionsError;
    }
    const r = await built.sendSms(verification(phone()));
    throw new Error(`createSmsClient took it; its first SendSms: ${r.ok ? 'sent' : `${r.error.code} (${r.error.errorClass}): ${r.error.message.slice(0, 120)}`}`);
  }

  it.each([
    ['a line break (a secret file written with echo)', 'credential.accessKeyId', withId(`${key.accessKeyId}\n`), /holds a line break.*Fix: .*AccessKey ID.*no line break/],
    ['a CRLF', 'credential.accessKeyId', withId(`${key.accessKeyId}\r\n`), /holds a line break/],
    ['a trailing space', 'credential.accessKeyId', withId(`${key.accessKeyId} `), /holds a space or a control character.*Fix: /],
    ['a tab', 'credential.accessKeyId', withId(`\t${key.accessKeyId}`), /holds a space or a control character/],
    ['a NUL', 'credential.accessKeyId', withId(`${key.accessKeyId}\u0000`), /holds a space or a control character/],
    ['double quotes (pasted with them)', 'credential.accessKeyId', withId(`"${key.accessKeyId}"`), /is wrapped in quotes.*Fix: .*without the quotes/],
    ['typographic quotes', 'credential.accessKeyId', withId(`“${key.accessKeyId}”`), /outside printable ASCII.*Fix: /],
    ['not a string', 'credential.accessKeyId', withId(12345 as never), /must be a string.*Fix: /],
    ['a line break in the secret', 'credential.accessKeySecret', withSecret(`${key.accessKeySecret}\n`), /holds a line break.*Fix: .*AccessKey secret/],
    ['single quotes round the secret', 'credential.accessKeySecret', withSecret(`'${key.accessKeySecret}'`), /is wrapped in quotes/],
    ['a space in the secret', 'credential.accessKeySecret', withSecret(`${key.accessKeySecret.slice(0, 4)} ${key.accessKeySecret.slice(4)}`), /holds a space/],
    ['a line break in the STS token', 'credential.securityToken', withToken('CAIS0123456789abcdef\n'), /holds a line break.*Fix: .*STS token/],
  ])('an AccessKey part with %s: SMSQ_SMS_CLIENT_OPTIONS naming %s and the fix, the value not shown', async (_, field, over, said) => {
    const e = await refusal(over);
    expect(e).toBeInstanceOf(SmsClientOptionsError);
    expect(e.code).toBe('SMSQ_SMS_CLIENT_OPTIONS');
    expect(e.message.startsWith(`${field} `), e.message).toBe(true);
    expect(e.message).toMatch(said);
    for (const secret of [key.accessKeyId, key.accessKeySecret, 'CAIS0123456789abcdef']) expect(e.message).not.toContain(secret);
    expect(emulator.calls()).toEqual([]);
  });

  it.each([
    ['userAgent', { userAgent: 'smsq\nx' }, /userAgent holds a character an HTTP header cannot carry.*Fix: /],
    ['userAgent', { userAgent: '短信' }, /userAgent holds a character an HTTP header cannot carry/],
    ['endpoint', { endpoint: '127.0.0.1:99999' }, /endpoint has port 99999, which no socket has \(1 to 65535\)\. Fix: /],
    ['endpoint', { endpoint: '127.0.0.1:0' }, /endpoint has port 0, which no socket has/],
    ['endpoint', { endpoint: 'dysmsapi..aliyuncs.com' }, /endpoint has a host no DNS name can be.*Fix: /],
    ['endpoint', { endpoint: '-dysmsapi.aliyuncs.com' }, /endpoint has a host no DNS name can be/],
    ['readTimeoutMs', { readTimeoutMs: 2 ** 31 }, /readTimeoutMs must be at most 2147483647.*Fix: /],
    ['connectTimeoutMs', { connectTimeoutMs: 2 ** 31 }, /connectTimeoutMs must be at most 2147483647/],
  ])('%s that fails only at call time: %j is refused', async (field, over, said) => {
    const e = await refusal(over as Partial<SmsClientOptions>);
    expect(e).toBeInstanceOf(SmsClientOptionsError);
    expect(e.code).toBe('SMSQ_SMS_CLIENT_OPTIONS');
    expect(e.message.startsWith(`${field} `), e.message).toBe(true);
    expect(e.message).toMatch(said);
  });

  it('takes what works: a bracketed IPv6 endpoint, a host with a trailing dot, the longest timer', () => {
    expect(() => clientWith({ endpoint: '[::1]:8081' })).not.toThrow();
    expect(() => clientWith({ endpoint: 'dysmsapi.aliyuncs.com.' })).not.toThrow();
    expect(() => clientWith({ readTimeoutMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
