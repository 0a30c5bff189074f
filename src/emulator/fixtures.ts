/**
 * The built-in console state of the emulator: signatures, templates and qualifications in every
 * approval state, so sandbox mode and tests can exercise each outcome without configuration.
 */
import type { EmulatorFixtures } from './types.js';

/** Names in {@link DEFAULT_FIXTURES}, for tests and sandbox examples. */
export const DEFAULT_FIXTURE_NAMES = Object.freeze({
  /** Approved signature. */
  sign: 'smsq沙箱',
  /** Alibaba's own test signature, approved (pairs with `aliyunTestTemplate`). */
  aliyunTestSign: '阿里云短信测试',
  reviewingSign: 'smsq审核中',
  rejectedSign: 'smsq已驳回',
  /** Verification (type 0), one variable `${code}`. */
  verificationTemplate: 'SMS_900000001',
  /** Notification (type 1), variables `${name}` and `${order}`. */
  notificationTemplate: 'SMS_900000002',
  /** Marketing (type 2), variable `${name}`. */
  marketingTemplate: 'SMS_900000003',
  /** Notification without variables. */
  plainTemplate: 'SMS_900000004',
  /** International (type 3), variable `${code}`. */
  internationalTemplate: 'SMS_900000005',
  reviewingTemplate: 'SMS_900000006',
  rejectedTemplate: 'SMS_900000007',
  /** Alibaba's test template: verification, `${code}`. */
  aliyunTestTemplate: 'SMS_154950909',
  /** Qualification group ids. */
  approvedQualification: 10000001,
  reviewingQualification: 10000002,
});

const N = DEFAULT_FIXTURE_NAMES;

const fixtures: EmulatorFixtures = {
  signs: [
    { signName: N.sign, status: 1, businessType: '通用类型', createDate: '2025-01-02 10:00:00' },
    { signName: N.aliyunTestSign, status: 1, businessType: '验证码类型', createDate: '2025-01-01 09:00:00' },
    { signName: N.reviewingSign, status: 0, businessType: '通用类型', createDate: '2025-03-01 12:00:00' },
    {
      signName: N.rejectedSign,
      status: 2,
      businessType: '通用类型',
      createDate: '2025-02-01 15:30:00',
      reason: '签名来源证明材料不完整',
    },
  ],
  templates: [
    {
      templateCode: N.verificationTemplate,
      templateName: '登录验证码',
      templateContent: '您的验证码为${code}，5分钟内有效，请勿泄露于他人。',
      templateType: 0,
      status: 1,
      signName: N.sign,
      createDate: '2025-01-03 10:00:00',
    },
    {
      templateCode: N.notificationTemplate,
      templateName: '发货通知',
      templateContent: '尊敬的${name}，您的订单${order}已发货，请注意查收。',
      templateType: 1,
      status: 1,
      signName: N.sign,
      createDate: '2025-01-03 10:05:00',
    },
    {
      templateCode: N.marketingTemplate,
      templateName: '会员活动',
      templateContent: '${name}您好，会员日全场满100减20，详询门店。拒收请回复R',
      templateType: 2,
      status: 1,
      signName: N.sign,
      createDate: '2025-01-03 10:10:00',
    },
    {
      templateCode: N.plainTemplate,
      templateName: '开通通知',
      templateContent: '您的账户已开通，欢迎使用。',
      templateType: 1,
      status: 1,
      signName: N.sign,
      createDate: '2025-01-03 10:15:00',
    },
    {
      templateCode: N.internationalTemplate,
      templateName: 'International code',
      templateContent: 'Your verification code is ${code}. It expires in 5 minutes.',
      templateType: 3,
      status: 1,
      signName: N.sign,
      createDate: '2025-01-03 10:20:00',
    },
    {
      templateCode: N.reviewingTemplate,
      templateName: '审核中模板',
      templateContent: '您的预约${time}已确认。',
      templateType: 1,
      status: 0,
      signName: N.sign,
      createDate: '2025-03-02 09:00:00',
    },
    {
      templateCode: N.rejectedTemplate,
      templateName: '被驳回模板',
      templateContent: '恭喜${name}获得大奖，点击领取。',
      templateType: 2,
      status: 2,
      signName: N.sign,
      createDate: '2025-02-02 09:00:00',
      reason: '模板内容涉嫌诱导，不符合规范',
    },
    {
      templateCode: N.aliyunTestTemplate,
      templateName: '阿里云短信测试',
      templateContent: '您正在使用阿里云短信测试服务，体验验证码是：${code}，如非本人操作，请忽略本短信！',
      templateType: 0,
      status: 1,
      signName: N.aliyunTestSign,
      createDate: '2025-01-01 09:00:00',
    },
  ],
  qualifications: [
    {
      groupId: N.approvedQualification,
      qualificationGroupName: 'smsq沙箱科技有限公司张三',
      companyName: 'smsq沙箱科技有限公司',
      legalPersonName: '张三',
      state: 'PASS',
      useBySelf: true,
      workOrderId: 20010001,
      createDate: '2025-01-01 08:00:00',
      auditTime: '2025-01-01 18:00:00',
      auditRemark: '审核通过',
      companyType: 'COMPANY',
      organizationCode: '91330100MA2*****0X',
      adminName: '李四',
      adminPhoneNo: '138****0000',
    },
    {
      groupId: N.reviewingQualification,
      qualificationGroupName: 'smsq合作伙伴有限公司王五',
      companyName: 'smsq合作伙伴有限公司',
      legalPersonName: '王五',
      state: 'INIT',
      useBySelf: false,
      workOrderId: 20010002,
      createDate: '2025-03-01 08:00:00',
      companyType: 'COMPANY',
      organizationCode: '91310000MA1*****7Q',
      adminName: '赵六',
      adminPhoneNo: '139****0000',
    },
  ],
};

/** Approved, reviewing and rejected signatures and templates; two qualifications. */
export const DEFAULT_FIXTURES: Readonly<EmulatorFixtures> = Object.freeze(fixtures);
