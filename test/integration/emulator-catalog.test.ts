import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURES,
  DEFAULT_FIXTURE_NAMES as N,
  type DysmsapiClient,
  type Emulator,
  type EmulatorFixtures,
} from '../../src/emulator/index.js';

describe('emulator signatures, templates and qualifications through the real SDK', () => {
  let emulator: Emulator;
  let client: DysmsapiClient;

  beforeAll(async () => {
    emulator = createEmulator();
    const { endpoint } = await emulator.listen();
    client = createEmulatorSdkClient(endpoint);
  });
  afterAll(() => emulator.close());

  it('QuerySmsSignList pages the fixture signatures with their audit states', async () => {
    const all = (await client.querySmsSignList(new $Dysmsapi.QuerySmsSignListRequest({ pageIndex: 1, pageSize: 50 }))).body;
    expect(all?.code).toBe('OK');
    expect(all?.totalCount).toBe(DEFAULT_FIXTURES.signs.length);
    expect(all?.smsSignList?.map((s) => [s.signName, s.auditStatus])).toEqual([
      [N.sign, 'AUDIT_STATE_PASS'],
      [N.aliyunTestSign, 'AUDIT_STATE_PASS'],
      [N.reviewingSign, 'AUDIT_STATE_INIT'],
      [N.rejectedSign, 'AUDIT_STATE_NOT_PASS'],
    ]);
    expect(all?.smsSignList?.[3]?.reason?.rejectInfo).toBeTruthy();
    const page2 = (await client.querySmsSignList(new $Dysmsapi.QuerySmsSignListRequest({ pageIndex: 2, pageSize: 3 }))).body;
    expect(page2?.smsSignList?.map((s) => s.signName)).toEqual([N.rejectedSign]);
    const bad = (await client.querySmsSignList(new $Dysmsapi.QuerySmsSignListRequest({ pageIndex: 1, pageSize: 51 }))).body;
    expect(bad?.code).toBe('isv.INVALID_PARAMETERS');
  });

  it('QuerySmsTemplateList lists templates with type and content', async () => {
    const b = (await client.querySmsTemplateList(new $Dysmsapi.QuerySmsTemplateListRequest({ pageIndex: 1, pageSize: 50 }))).body;
    expect(b?.totalCount).toBe(DEFAULT_FIXTURES.templates.length);
    const v = b?.smsTemplateList?.find((t) => t.templateCode === N.verificationTemplate);
    expect(v).toMatchObject({ templateType: 0, auditStatus: 'AUDIT_STATE_PASS' });
    expect(v?.templateContent).toContain('${code}');
    expect(b?.smsTemplateList?.find((t) => t.templateCode === N.marketingTemplate)?.templateType).toBe(2);
  });

  it('GetSmsSign / GetSmsTemplate give the approval status, or SignatureNotFound / TemplateNotFound', async () => {
    const sign = async (signName: string) => (await client.getSmsSign(new $Dysmsapi.GetSmsSignRequest({ signName }))).body;
    expect(await sign(N.sign)).toMatchObject({ code: 'OK', signName: N.sign, signStatus: 1 });
    expect((await sign(N.reviewingSign))?.signStatus).toBe(0);
    expect((await sign(N.rejectedSign))?.signStatus).toBe(2);
    expect((await sign('missing'))?.code).toBe('SignatureNotFound');

    const template = async (templateCode: string) => (await client.getSmsTemplate(new $Dysmsapi.GetSmsTemplateRequest({ templateCode }))).body;
    expect(await template(N.notificationTemplate)).toMatchObject({
      code: 'OK',
      templateStatus: '1',
      templateType: '1',
      templateContent: '尊敬的${name}，您的订单${order}已发货，请注意查收。',
    });
    expect((await template(N.reviewingTemplate))?.templateStatus).toBe('0');
    expect((await template(N.rejectedTemplate))?.templateStatus).toBe('2');
    expect((await template('SMS_404'))?.code).toBe('TemplateNotFound');
  });

  it('QuerySmsQualificationRecord filters and pages; QuerySingleSmsQualification finds one', async () => {
    const list = async (q: Partial<$Dysmsapi.QuerySmsQualificationRecordRequest>) =>
      (await client.querySmsQualificationRecord(new $Dysmsapi.QuerySmsQualificationRecordRequest({ pageNo: 1, pageSize: 10, ...q }))).body;
    const all = await list({});
    expect(all).toMatchObject({ code: 'OK', success: true, data: { total: 2, pageNo: 1 } });
    expect(all?.data?.list?.map((r) => [r.groupId, r.stateName])).toEqual([
      [N.approvedQualification, '审核通过'],
      [N.reviewingQualification, '审核中'],
    ]);
    expect((await list({ state: 'INIT' }))?.data?.list?.map((r) => r.groupId)).toEqual([N.reviewingQualification]);
    expect((await list({ useBySelf: true }))?.data?.list?.map((r) => r.groupId)).toEqual([N.approvedQualification]);
    expect((await list({ companyName: '合作伙伴' }))?.data?.total).toBe(1);

    const one = (
      await client.querySingleSmsQualification(new $Dysmsapi.QuerySingleSmsQualificationRequest({ qualificationGroupId: N.approvedQualification }))
    ).body;
    expect(one).toMatchObject({ code: 'OK', data: { qualificationGroupId: N.approvedQualification, state: 'PASS', useBySelf: true } });
    const none = (await client.querySingleSmsQualification(new $Dysmsapi.QuerySingleSmsQualificationRequest({ qualificationGroupId: 1 }))).body;
    expect(none?.code).toBe('isv.INVALID_PARAMETERS');
  });

  it('serves custom fixtures', async () => {
    const fixtures: EmulatorFixtures = {
      signs: [{ signName: 'Acme', status: 1 }],
      templates: [{ templateCode: 'SMS_1', templateName: 'hi', templateContent: 'Hi ${who}', templateType: 1, status: 1 }],
      qualifications: [],
    };
    const custom = createEmulator({ fixtures });
    try {
      const { endpoint } = await custom.listen();
      const c = createEmulatorSdkClient(endpoint);
      const sent = await c.sendSms(new $Dysmsapi.SendSmsRequest({ phoneNumbers: '13800138000', signName: 'Acme', templateCode: 'SMS_1', templateParam: '{"who":"you"}' }));
      expect(sent.body?.code).toBe('OK');
      expect(custom.recipients()[0]?.content).toBe('【Acme】Hi you');
      const missing = await c.sendSms(new $Dysmsapi.SendSmsRequest({ phoneNumbers: '13800138000', signName: N.sign, templateCode: 'SMS_1', templateParam: '{"who":"you"}' }));
      expect(missing.body?.code).toBe('SignatureNotFound');
    } finally {
      await custom.close();
    }
  });
});
