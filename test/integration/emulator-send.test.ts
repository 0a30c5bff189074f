import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURE_NAMES as N,
  type DysmsapiClient,
  type Emulator,
} from '../../src/emulator/index.js';

const numbers = (n: number, base = 13800000000) => Array.from({ length: n }, (_, i) => String(base + i));

describe('emulator SendSms / SendBatchSms through the real SDK', () => {
  let emulator: Emulator;
  let client: DysmsapiClient;

  beforeAll(async () => {
    emulator = createEmulator({ flowControl: false });
    const { endpoint } = await emulator.listen();
    client = createEmulatorSdkClient(endpoint);
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  const sendSms = async (p: Partial<$Dysmsapi.SendSmsRequest>) => {
    const res = await client.sendSms(
      new $Dysmsapi.SendSmsRequest({
        phoneNumbers: '13800138000',
        signName: N.sign,
        templateCode: N.notificationTemplate,
        templateParam: JSON.stringify({ name: 'Ada', order: 'A1' }),
        ...p,
      }),
    );
    expect(res.statusCode).toBe(200);
    return res.body as $Dysmsapi.SendSmsResponseBody;
  };

  const sendBatch = async (p: { phones?: unknown[]; signs?: unknown[]; params?: unknown[] | string; templateCode?: string; outId?: string; raw?: Partial<$Dysmsapi.SendBatchSmsRequest> }) => {
    const phones = p.phones ?? ['13800138000', '85291234567'];
    const res = await client.sendBatchSms(
      new $Dysmsapi.SendBatchSmsRequest({
        phoneNumberJson: JSON.stringify(phones),
        signNameJson: JSON.stringify(p.signs ?? phones.map(() => N.sign)),
        templateCode: p.templateCode ?? N.notificationTemplate,
        templateParamJson: typeof p.params === 'string' ? p.params : JSON.stringify(p.params ?? phones.map((_, i) => ({ name: `n${i}`, order: `o${i}` }))),
        outId: p.outId,
        ...p.raw,
      }),
    );
    expect(res.statusCode).toBe(200);
    return res.body as $Dysmsapi.SendBatchSmsResponseBody;
  };

  it('accepts a SendSms and records the send, every recipient and the call', async () => {
    const body = await sendSms({ phoneNumbers: '13800138000,+8613900139000', outId: 'attempt-1' });
    expect(body).toMatchObject({ code: 'OK', message: 'OK' });
    expect(body.bizId).toMatch(/^\d{18}\^0$/);
    expect(body.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(emulator.accepted()).toEqual([
      expect.objectContaining({
        bizId: body.bizId,
        action: 'SendSms',
        outId: 'attempt-1',
        phoneNumbers: ['13800138000', '+8613900139000'],
        signNames: [N.sign],
        templateCode: N.notificationTemplate,
        templateParams: [{ name: 'Ada', order: 'A1' }],
      }),
    ]);
    expect(emulator.recipients().map((r) => [r.phone, r.bizId, r.outId, r.sendStatus])).toEqual([
      ['13800138000', body.bizId, 'attempt-1', 1],
      ['13900139000', body.bizId, 'attempt-1', 1],
    ]);
    expect(emulator.recipients()[0]?.content).toBe('【smsq沙箱】尊敬的Ada，您的订单A1已发货，请注意查收。');
    expect(emulator.calls()).toEqual([
      expect.objectContaining({ action: 'SendSms', code: 'OK', httpStatus: 200, phones: ['13800138000', '+8613900139000'] }),
    ]);
  });

  it('accepts a SendBatchSms with one BizId, per-number signatures and parameters', async () => {
    const body = await sendBatch({ signs: [N.sign, N.aliyunTestSign], outId: 'b-1' });
    expect(body.code).toBe('OK');
    expect(emulator.accepted()[0]).toMatchObject({
      action: 'SendBatchSms',
      bizId: body.bizId,
      outId: 'b-1',
      phoneNumbers: ['13800138000', '85291234567'],
      signNames: [N.sign, N.aliyunTestSign],
      templateParams: [
        { name: 'n0', order: 'o0' },
        { name: 'n1', order: 'o1' },
      ],
    });
    expect(emulator.recipients().map((r) => r.content)).toEqual([
      '【smsq沙箱】尊敬的n0，您的订单o0已发货，请注意查收。',
      '【阿里云短信测试】尊敬的n1，您的订单o1已发货，请注意查收。',
    ]);
  });

  it('takes exactly 1000 numbers in one SendSms and 100 in one SendBatchSms', async () => {
    expect((await sendSms({ phoneNumbers: numbers(1000).join(',') })).code).toBe('OK');
    expect((await sendBatch({ phones: numbers(100, 13900000000) })).code).toBe('OK');
    expect(emulator.recipients()).toHaveLength(1100);
  });

  it('refuses with the documented code, HTTP 200, and records nothing', async () => {
    const cases: [string, Promise<{ code?: string }>][] = [
      ['isv.MOBILE_COUNT_OVER_LIMIT', sendSms({ phoneNumbers: numbers(1001).join(',') })],
      ['isv.MOBILE_COUNT_OVER_LIMIT', sendBatch({ phones: numbers(101) })],
      ['isv.INVALID_PARAMETERS', sendBatch({ phones: numbers(2), signs: [N.sign] })],
      ['isv.INVALID_PARAMETERS', sendBatch({ phones: numbers(2), params: [{ name: 'a', order: 'b' }] })],
      ['isv.INVALID_PARAMETERS', sendSms({ outId: 'x'.repeat(256) })],
      ['isv.INVALID_JSON_PARAM', sendSms({ templateParam: '{"name":"Ada",' })],
      ['isv.INVALID_JSON_PARAM', sendSms({ templateParam: '{"name":"Ada","order":42}' })],
      ['isv.INVALID_JSON_PARAM', sendBatch({ params: '[{"name":"a","order":1},{"name":"b","order":"2"}]' })],
      ['isv.INVALID_JSON_PARAM', sendBatch({ raw: { phoneNumberJson: '13800138000' } })],
      ['isv.MOBILE_NUMBER_ILLEGAL', sendSms({ phoneNumbers: '13800138000,138001380' })],
      ['isv.MOBILE_NUMBER_ILLEGAL', sendSms({ phoneNumbers: '+85291234567' })],
      ['isv.MOBILE_NUMBER_ILLEGAL', sendBatch({ phones: ['13800138000', 'abc'] })],
      ['SignatureNotFound', sendSms({ signName: 'no such sign' })],
      ['isv.SMS_SIGNATURE_ILLEGAL', sendSms({ signName: N.reviewingSign })],
      ['isv.SMS_SIGNATURE_ILLEGAL', sendBatch({ signs: [N.sign, N.rejectedSign] })],
      ['TemplateNotFound', sendSms({ templateCode: 'SMS_000000000' })],
      ['isv.SMS_TEMPLATE_ILLEGAL', sendSms({ templateCode: N.reviewingTemplate, templateParam: '{"time":"9:00"}' })],
      ['isv.SMS_TEMPLATE_ILLEGAL', sendSms({ templateCode: N.rejectedTemplate, templateParam: '{"name":"a"}' })],
      ['isv.TEMPLATE_MISSING_PARAMETERS', sendSms({ templateParam: '{"name":"Ada"}' })],
      ['isv.TEMPLATE_MISSING_PARAMETERS', sendSms({ templateParam: undefined })],
      ['isv.TEMPLATE_MISSING_PARAMETERS', sendBatch({ params: [{ name: 'a', order: 'b' }, { name: 'c' }] })],
      ['isv.PARAM_NOT_SUPPORT_URL', sendSms({ templateParam: '{"name":"http://x.cn","order":"1"}' })],
      ['isv.DOMESTIC_NUMBER_NOT_SUPPORTED', sendSms({ templateCode: N.internationalTemplate, templateParam: '{"code":"1"}' })],
    ];
    for (const [code, pending] of cases) expect((await pending).code).toBe(code);
    expect(emulator.accepted()).toEqual([]);
    expect(emulator.recipients()).toEqual([]);
    expect(emulator.calls().map((c) => c.code)).toEqual(cases.map(([code]) => code));
  });

  it('a missing required parameter is a gateway error the SDK throws (HTTP 400)', async () => {
    await expect(
      client.sendSms(new $Dysmsapi.SendSmsRequest({ phoneNumbers: '13800138000', templateCode: N.plainTemplate })),
    ).rejects.toMatchObject({ code: 'MissingSignName', statusCode: 400 });
  });
});
