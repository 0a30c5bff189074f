/**
 * Validation of SendSms and SendBatchSms parameters, in the order Dysmsapi applies them, into a
 * plan of recipients (numbers normalized, content rendered) or the refusal Dysmsapi would answer.
 * Pure: the catalog is an argument; flow control and acceptance happen elsewhere.
 */
import type { CatalogTemplate, Catalog } from './catalog.js';
import { businessError, gatewayErrors, type ApiError } from './errors.js';
import { EXTEND_CODE } from '../sms/extend-code.js';
import { parsePhone } from './phone.js';
import { MAX_CONTENT_LENGTH, missingVariables, renderContent, segmentCount } from './template.js';

export const MAX_SEND_SMS_NUMBERS = 1000;
export const MAX_BATCH_NUMBERS = 100;
export const MAX_OUT_ID_LENGTH = 255;

export interface PlannedRecipient {
  /** As written by the caller. */
  raw: string;
  /** Normalized number. */
  phone: string;
  mainland: boolean;
  signName: string;
  content: string;
  smsSize: number;
}

export interface SendPlan {
  action: 'SendSms' | 'SendBatchSms';
  template: CatalogTemplate;
  outId: string;
  phoneNumbers: string[];
  signNames: string[];
  templateParams: Record<string, string>[];
  /** SmsUpExtendCode: SendSms one element shared by every number, or none; SendBatchSms one per number, or none. */
  extendCodes: string[];
  recipients: PlannedRecipient[];
}

export interface Refusal {
  ok: false;
  error: ApiError;
}

export type PlanResult = { ok: true; plan: SendPlan } | Refusal;

const URL_LIKE = /https?:\/\/|www\./i;
/**
 * SmsUpExtendCode, and each element of SmsUpExtendCodeJson, are tested with {@link EXTEND_CODE}.
 * What Dysmsapi does with an empty code (or one of spaces) is not documented (dysmsapi.md), so the
 * emulator refuses what smsq's door refuses, rather than accept a request the real API might not:
 * an empty code was taken as none here, and an empty element of SmsUpExtendCodeJson went through as a code.
 */
const EXTEND_CODE_REFUSED = '扩展码使用错误: 1-12 digits only';

const refuse = (code: string, message: string): Refusal => ({ ok: false, error: businessError(code, message) });
const missing = (name: string): Refusal => ({ ok: false, error: gatewayErrors.missingParameter(name) });

/**
 * The numbers a SendSms/SendBatchSms/QuerySendDetails call names, as written; `undefined` when the
 * phone parameter is not readable (SendBatchSms with bad JSON). Used for fault matching, call
 * records and the send plan, so the JSON is parsed once.
 */
export function namedPhones(action: string, params: Record<string, string>): string[] | undefined {
  switch (action) {
    case 'SendSms': {
      const v = params.PhoneNumbers;
      return v ? v.split(',').map((p) => p.trim()) : [];
    }
    case 'SendBatchSms': {
      const v = params.PhoneNumberJson;
      if (!v) return [];
      const parsed = parseJson(v);
      if (!Array.isArray(parsed)) return undefined;
      const out: string[] = [];
      for (const p of parsed) {
        if (typeof p === 'string') out.push(p.trim());
        else if (typeof p === 'number' && Number.isSafeInteger(p)) out.push(String(p));
        else return undefined;
      }
      return out;
    }
    case 'QuerySendDetails':
      return params.PhoneNumber ? [params.PhoneNumber] : [];
    default:
      return [];
  }
}

export function planSendSms(params: Record<string, string>, phones: string[] | undefined, catalog: Catalog): PlanResult {
  if (!params.PhoneNumbers) return missing('PhoneNumbers');
  if (!params.SignName) return missing('SignName');
  if (!params.TemplateCode) return missing('TemplateCode');
  const numbers = phones ?? [];
  if (numbers.length > MAX_SEND_SMS_NUMBERS) {
    return refuse('isv.MOBILE_COUNT_OVER_LIMIT', `手机号码数量超过限制: ${numbers.length} > ${MAX_SEND_SMS_NUMBERS}`);
  }
  const common = checkCommon(params);
  if (common) return common;
  let templateParam: Record<string, string> | undefined;
  if (params.TemplateParam !== undefined && params.TemplateParam !== '') {
    templateParam = parseParamObject(params.TemplateParam);
    if (!templateParam) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法，只接受字符串值: TemplateParam');
  }
  const sign = checkSign(params.SignName, catalog);
  if (sign) return sign;
  const found = resolveTemplate(params.TemplateCode, catalog);
  if (!found.ok) return found;
  const t = found.template;
  const bad = checkParams(t, templateParam);
  if (bad) return bad;
  const content = renderContent(params.SignName, t.compiled, templateParam);
  if (content.length > MAX_CONTENT_LENGTH) return refuse('isv.PARAM_LENGTH_LIMIT', `短信内容超过${MAX_CONTENT_LENGTH}字`);
  const smsSize = segmentCount(content);
  const recipients: PlannedRecipient[] = [];
  for (const raw of numbers) {
    const p = parsePhone(raw);
    if (!p) return refuse('isv.MOBILE_NUMBER_ILLEGAL', `非法手机号: ${raw}`);
    if (p.mainland && t.templateType === 3) {
      return refuse('isv.DOMESTIC_NUMBER_NOT_SUPPORTED', '国际/港澳台消息模板不支持发送境内号码');
    }
    recipients.push({ raw, phone: p.normalized, mainland: p.mainland, signName: params.SignName, content, smsSize });
  }
  return {
    ok: true,
    plan: {
      action: 'SendSms',
      template: t,
      outId: params.OutId ?? '',
      phoneNumbers: numbers,
      signNames: [params.SignName],
      templateParams: templateParam ? [templateParam] : [],
      extendCodes: params.SmsUpExtendCode !== undefined ? [params.SmsUpExtendCode] : [],
      recipients,
    },
  };
}

export function planSendBatchSms(params: Record<string, string>, phones: string[] | undefined, catalog: Catalog): PlanResult {
  if (!params.PhoneNumberJson) return missing('PhoneNumberJson');
  if (!params.SignNameJson) return missing('SignNameJson');
  if (!params.TemplateCode) return missing('TemplateCode');
  if (!phones) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法: PhoneNumberJson must be an array of strings');
  const signNames = parseStringArray(params.SignNameJson);
  if (!signNames) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法: SignNameJson must be an array of strings');
  let templateParams: Record<string, string>[] | undefined;
  if (params.TemplateParamJson) {
    const parsed = parseJson(params.TemplateParamJson);
    if (!Array.isArray(parsed)) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法: TemplateParamJson must be an array of objects');
    templateParams = [];
    for (const item of parsed) {
      const obj = toParamObject(item);
      if (!obj) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法，只接受字符串值: TemplateParamJson');
      templateParams.push(obj);
    }
  }
  let extendCodes: string[] | undefined;
  if (params.SmsUpExtendCodeJson) {
    extendCodes = parseStringArray(params.SmsUpExtendCodeJson);
    if (!extendCodes) return refuse('isv.INVALID_JSON_PARAM', 'JSON参数不合法: SmsUpExtendCodeJson must be an array of strings');
  }
  if (phones.length > MAX_BATCH_NUMBERS) {
    return refuse('isv.MOBILE_COUNT_OVER_LIMIT', `手机号码数量超过限制: ${phones.length} > ${MAX_BATCH_NUMBERS}`);
  }
  if (
    signNames.length !== phones.length ||
    (templateParams && templateParams.length !== phones.length) ||
    (extendCodes && extendCodes.length !== phones.length)
  ) {
    return refuse('isv.INVALID_PARAMETERS', '参数异常: PhoneNumberJson, SignNameJson, TemplateParamJson and SmsUpExtendCodeJson must have equal lengths');
  }
  const common = checkCommon(params);
  if (common) return common;
  if (extendCodes?.some((c) => !EXTEND_CODE.test(c))) return refuse('isv.EXTEND_CODE_ERROR', EXTEND_CODE_REFUSED);
  for (const signName of new Set(signNames)) {
    const sign = checkSign(signName, catalog);
    if (sign) return sign;
  }
  const found = resolveTemplate(params.TemplateCode, catalog);
  if (!found.ok) return found;
  const t = found.template;
  const recipients: PlannedRecipient[] = [];
  for (let i = 0; i < phones.length; i++) {
    const signName = signNames[i] as string;
    const tp = templateParams?.[i];
    const bad = checkParams(t, tp);
    if (bad) return bad;
    const raw = phones[i] as string;
    const p = parsePhone(raw);
    if (!p) return refuse('isv.MOBILE_NUMBER_ILLEGAL', `非法手机号: ${raw}`);
    if (p.mainland && t.templateType === 3) {
      return refuse('isv.DOMESTIC_NUMBER_NOT_SUPPORTED', '国际/港澳台消息模板不支持发送境内号码');
    }
    const content = renderContent(signName, t.compiled, tp);
    if (content.length > MAX_CONTENT_LENGTH) return refuse('isv.PARAM_LENGTH_LIMIT', `短信内容超过${MAX_CONTENT_LENGTH}字`);
    recipients.push({ raw, phone: p.normalized, mainland: p.mainland, signName, content, smsSize: segmentCount(content) });
  }
  return {
    ok: true,
    plan: {
      action: 'SendBatchSms',
      template: t,
      outId: params.OutId ?? '',
      phoneNumbers: phones,
      signNames,
      templateParams: templateParams ?? [],
      extendCodes: extendCodes ?? [],
      recipients,
    },
  };
}

/** OutId and SmsUpExtendCode, shared by both sends. */
function checkCommon(params: Record<string, string>): Refusal | undefined {
  if (params.OutId !== undefined && params.OutId.length > MAX_OUT_ID_LENGTH) {
    return refuse('isv.INVALID_PARAMETERS', `参数异常: OutId must be shorter than ${MAX_OUT_ID_LENGTH + 1} characters`);
  }
  if (params.SmsUpExtendCode !== undefined && !EXTEND_CODE.test(params.SmsUpExtendCode)) {
    return refuse('isv.EXTEND_CODE_ERROR', EXTEND_CODE_REFUSED);
  }
  return undefined;
}

function checkSign(signName: string, catalog: Catalog): Refusal | undefined {
  const sign = catalog.signs.get(signName);
  if (!sign) return refuse('SignatureNotFound', `该账号下找不到对应签名: ${signName}`);
  if (sign.status !== 1) return refuse('isv.SMS_SIGNATURE_ILLEGAL', `签名不可用（审核状态 ${sign.status}）: ${signName}`);
  return undefined;
}

function resolveTemplate(code: string, catalog: Catalog): { ok: true; template: CatalogTemplate } | Refusal {
  const t = catalog.templates.get(code);
  if (!t) return refuse('TemplateNotFound', `该账号下找不到对应模板: ${code}`);
  if (t.status !== 1) return refuse('isv.SMS_TEMPLATE_ILLEGAL', `模板不可用（审核状态 ${t.status}）: ${code}`);
  return { ok: true, template: t };
}

function checkParams(t: CatalogTemplate, params: Record<string, string> | undefined): Refusal | undefined {
  const absent = missingVariables(t.compiled, params);
  if (absent.length > 0) return refuse('isv.TEMPLATE_MISSING_PARAMETERS', `模板缺少变量: ${absent.join(', ')}`);
  if (params) {
    for (const v of t.compiled.variables) {
      if (URL_LIKE.test(params[v] as string)) return refuse('isv.PARAM_NOT_SUPPORT_URL', `变量不支持传入URL: ${v}`);
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toParamObject(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const v of Object.values(value)) if (typeof v !== 'string') return undefined;
  return value as Record<string, string>;
}

/** TemplateParam: a JSON object whose values are all strings. */
export function parseParamObject(text: string): Record<string, string> | undefined {
  return toParamObject(parseJson(text));
}

function parseStringArray(text: string): string[] | undefined {
  const parsed = parseJson(text);
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) return undefined;
  return parsed as string[];
}
