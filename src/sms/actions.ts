import type { SmsClient } from './types.js';

/**
 * Every SmsClient method and the Dysmsapi action it calls. Exhaustive by type, so a wrapper that
 * walks it (the pacer, the call metrics) cannot miss a method added later.
 */
export const SMS_CLIENT_ACTIONS = Object.freeze({
  sendSms: 'SendSms',
  sendBatchSms: 'SendBatchSms',
  querySendDetails: 'QuerySendDetails',
  querySendStatistics: 'QuerySendStatistics',
  querySmsSignList: 'QuerySmsSignList',
  querySmsTemplateList: 'QuerySmsTemplateList',
  getSmsSign: 'GetSmsSign',
  getSmsTemplate: 'GetSmsTemplate',
  querySmsQualificationRecord: 'QuerySmsQualificationRecord',
  querySingleSmsQualification: 'QuerySingleSmsQualification',
} as const satisfies Record<keyof SmsClient, string>);

/** The SmsClient methods, in {@link SMS_CLIENT_ACTIONS}' order. */
export const SMS_CLIENT_METHODS = Object.keys(SMS_CLIENT_ACTIONS) as (keyof SmsClient)[];
