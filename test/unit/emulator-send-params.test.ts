import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/emulator/catalog.js';
import { DEFAULT_FIXTURES, DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/fixtures.js';
import { namedPhones, planSendBatchSms, planSendSms, type PlanResult } from '../../src/emulator/send-params.js';

const catalog = buildCatalog(DEFAULT_FIXTURES);

function sendSms(params: Record<string, string>): PlanResult {
  return planSendSms(params, namedPhones('SendSms', params), catalog);
}

function batch(params: Record<string, string>): PlanResult {
  return planSendBatchSms(params, namedPhones('SendBatchSms', params), catalog);
}

const codeOf = (r: PlanResult) => (r.ok ? 'OK' : r.error.code);
const NOTE = { SignName: N.sign, TemplateCode: N.notificationTemplate, TemplateParam: '{"name":"Ada","order":"A1"}' };

describe('emulator SendSms validation', () => {
  it('plans every number with normalized numbers and the rendered content', () => {
    const r = sendSms({ ...NOTE, PhoneNumbers: '13800138000,+8613900139000,008613700137000,8613600136000,85291234567', OutId: 'o1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.recipients.map((x) => [x.phone, x.mainland])).toEqual([
      ['13800138000', true],
      ['13900139000', true],
      ['13700137000', true],
      ['13600136000', true],
      ['85291234567', false],
    ]);
    expect(r.plan.recipients[0]?.content).toBe('【smsq沙箱】尊敬的Ada，您的订单A1已发货，请注意查收。');
    expect(r.plan.recipients[0]?.smsSize).toBe(1);
    expect(r.plan).toMatchObject({ outId: 'o1', signNames: [N.sign], templateParams: [{ name: 'Ada', order: 'A1' }] });
  });

  it('answers the documented code for each problem', () => {
    const many = Array.from({ length: 1001 }, (_, i) => String(13800000000 + i)).join(',');
    const cases: [Record<string, string>, string][] = [
      [{ ...NOTE, PhoneNumbers: '' }, 'MissingPhoneNumbers'],
      [{ ...NOTE, PhoneNumbers: '13800138000', SignName: '' }, 'MissingSignName'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateCode: '' }, 'MissingTemplateCode'],
      [{ ...NOTE, PhoneNumbers: many }, 'isv.MOBILE_COUNT_OVER_LIMIT'],
      [{ ...NOTE, PhoneNumbers: '1380013800' }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000,+85291234567' }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000,' }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000', OutId: 'x'.repeat(256) }, 'isv.INVALID_PARAMETERS'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: '{bad' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: '{"name":"a","order":5}' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: '["a"]' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...NOTE, PhoneNumbers: '13800138000', SignName: 'nobody' }, 'SignatureNotFound'],
      [{ ...NOTE, PhoneNumbers: '13800138000', SignName: N.reviewingSign }, 'isv.SMS_SIGNATURE_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000', SignName: N.rejectedSign }, 'isv.SMS_SIGNATURE_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateCode: 'SMS_0' }, 'TemplateNotFound'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateCode: N.reviewingTemplate }, 'isv.SMS_TEMPLATE_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateCode: N.rejectedTemplate }, 'isv.SMS_TEMPLATE_ILLEGAL'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: '{"name":"Ada"}' }, 'isv.TEMPLATE_MISSING_PARAMETERS'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: '' }, 'isv.TEMPLATE_MISSING_PARAMETERS'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: '{"name":"see https://x.cn","order":"1"}' }, 'isv.PARAM_NOT_SUPPORT_URL'],
      [{ ...NOTE, PhoneNumbers: '13800138000', TemplateParam: JSON.stringify({ name: '长'.repeat(500), order: '1' }) }, 'isv.PARAM_LENGTH_LIMIT'],
      [{ ...NOTE, PhoneNumbers: '13800138000', SmsUpExtendCode: '12a' }, 'isv.EXTEND_CODE_ERROR'],
      // Not documented by Dysmsapi: refused as smsq's door refuses it, not taken as no code.
      [{ ...NOTE, PhoneNumbers: '13800138000', SmsUpExtendCode: '' }, 'isv.EXTEND_CODE_ERROR'],
      [{ ...NOTE, PhoneNumbers: '13800138000', SmsUpExtendCode: ' 12' }, 'isv.EXTEND_CODE_ERROR'],
      [{ SignName: N.sign, TemplateCode: N.internationalTemplate, TemplateParam: '{"code":"1"}', PhoneNumbers: '13800138000' }, 'isv.DOMESTIC_NUMBER_NOT_SUPPORTED'],
    ];
    for (const [params, code] of cases) expect([params, codeOf(sendSms(params))]).toEqual([params, code]);
  });

  it('accepts exactly 1000 numbers, a 255-character OutId and a template without variables', () => {
    const thousand = Array.from({ length: 1000 }, (_, i) => String(13800000000 + i)).join(',');
    expect(codeOf(sendSms({ ...NOTE, PhoneNumbers: thousand, OutId: 'x'.repeat(255) }))).toBe('OK');
    expect(codeOf(sendSms({ PhoneNumbers: '13800138000', SignName: N.sign, TemplateCode: N.plainTemplate }))).toBe('OK');
  });
});

describe('emulator SendBatchSms validation', () => {
  const base = {
    PhoneNumberJson: '["13800138000","85291234567"]',
    SignNameJson: JSON.stringify([N.sign, N.aliyunTestSign]),
    TemplateCode: N.notificationTemplate,
    TemplateParamJson: '[{"name":"A","order":"1"},{"name":"B","order":"2"}]',
  };

  it('plans one recipient per position with its own signature and parameters', () => {
    const r = batch(base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.recipients.map((x) => x.content)).toEqual([
      '【smsq沙箱】尊敬的A，您的订单1已发货，请注意查收。',
      '【阿里云短信测试】尊敬的B，您的订单2已发货，请注意查收。',
    ]);
    expect(r.plan.signNames).toEqual([N.sign, N.aliyunTestSign]);
  });

  it('answers the documented code for each problem', () => {
    const hundredOne = JSON.stringify(Array.from({ length: 101 }, (_, i) => String(13800000000 + i)));
    const cases: [Record<string, string>, string][] = [
      [{ ...base, PhoneNumberJson: '' }, 'MissingPhoneNumberJson'],
      [{ ...base, SignNameJson: '' }, 'MissingSignNameJson'],
      [{ ...base, PhoneNumberJson: '13800138000' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...base, PhoneNumberJson: '[{"a":1}]' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...base, SignNameJson: '[1,2]' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...base, TemplateParamJson: '[{"name":1,"order":"1"},{"name":"B","order":"2"}]' }, 'isv.INVALID_JSON_PARAM'],
      [{ ...base, PhoneNumberJson: hundredOne }, 'isv.MOBILE_COUNT_OVER_LIMIT'],
      [{ ...base, SignNameJson: JSON.stringify([N.sign]) }, 'isv.INVALID_PARAMETERS'],
      [{ ...base, TemplateParamJson: '[{"name":"A","order":"1"}]' }, 'isv.INVALID_PARAMETERS'],
      [{ ...base, SignNameJson: JSON.stringify([N.sign, N.rejectedSign]) }, 'isv.SMS_SIGNATURE_ILLEGAL'],
      [{ ...base, TemplateParamJson: '[{"name":"A","order":"1"},{"name":"B"}]' }, 'isv.TEMPLATE_MISSING_PARAMETERS'],
      [{ ...base, PhoneNumberJson: '["13800138000","+85291234567"]' }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [{ ...base, SmsUpExtendCodeJson: '["1","x"]' }, 'isv.EXTEND_CODE_ERROR'],
      [{ ...base, SmsUpExtendCodeJson: '["1",""]' }, 'isv.EXTEND_CODE_ERROR'],
    ];
    for (const [params, code] of cases) expect([params, codeOf(batch(params))]).toEqual([params, code]);
  });
});

describe('emulator namedPhones', () => {
  it('reads the numbers each action names, undefined when unreadable', () => {
    expect(namedPhones('SendSms', { PhoneNumbers: '1, 2' })).toEqual(['1', '2']);
    expect(namedPhones('SendBatchSms', { PhoneNumberJson: '["1",2]' })).toEqual(['1', '2']);
    expect(namedPhones('SendBatchSms', { PhoneNumberJson: '{' })).toBeUndefined();
    expect(namedPhones('QuerySendDetails', { PhoneNumber: '3' })).toEqual(['3']);
    expect(namedPhones('GetSmsSign', {})).toEqual([]);
  });
});
