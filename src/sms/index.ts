/** The Dysmsapi boundary: the client, its errors and codes, and the pure rules (phones, templates, segments, dates). */
export * from './types.js';
export { SmsError, isSmsError, smsErrorFromCode, smsErrorFromThrown, CredentialResolutionError, type SmsErrorOptions } from './errors.js';
export {
  ERROR_CODES,
  CLASSIFICATION_DEFAULTS,
  classifyCode,
  lookupCode,
  type Classification,
  type CodeSource,
  type ErrorCodeInfo,
} from './error-codes.js';
export {
  createSmsClient,
  resolveClientOptions,
  SMS_CLIENT_DEFAULTS,
  SmsClientOptionsError,
  type SmsClientOptions,
  type SmsCredential,
  type ResolvedSmsClientOptions,
} from './client.js';
export { normalizePhone, normalizePhones, type NormalizedPhone, type NormalizedPhoneList, type PhoneRegion } from './phone.js';
export { extractTemplateVars, checkTemplateParams, type TemplateIssue } from './template.js';
export { countSegments, renderContent, SINGLE_SEGMENT_CHARS, MULTI_SEGMENT_CHARS, MAX_CHARS, type SegmentCount } from './segments.js';
export { cstDate, cstDateTime, parseCstDateTime, parseCstDate, sendDatesAround, sendDatesBetween, sendDatesOwnFirst, CST_OFFSET_MS, DAY_MS } from './dates.js';
export { maskPhone, maskPhonesInText, maskPhoneValue } from './phone-mask.js';
export { LIVE_ENDPOINT, SANDBOX_ACCESS_KEY } from './defaults.js';
