/**
 * The typed surface of the Dysmsapi boundary. The client (`client.ts`) implements {@link SmsClient}
 * over the official SDK; everything else in smsq (workers, CLI, receipts) depends only on this file.
 */

import type { SmsError, SmsErrorOptions } from './errors.js';

/** What the worker must do with an outcome (defined with the code table in error-codes.ts). */
export type { ErrorClass } from './error-codes.js';

export interface SendSmsRequest {
  /** Normalised numbers, 1..1000. Sent comma-joined as `PhoneNumbers`. */
  phoneNumbers: string[];
  signName: string;
  templateCode: string;
  /** Template variables; values must be strings. Sent as JSON `TemplateParam`. */
  templateParam?: Record<string, string>;
  smsUpExtendCode?: string;
  /** Our attempt id, < 256 characters; QuerySendDetails returns it, which is how reconcile matches. */
  outId?: string;
}

export interface SendBatchSmsRequest {
  /** 1..100 numbers; each index matches `signNames[i]` and `templateParams[i]`. */
  phoneNumbers: string[];
  signNames: string[];
  templateCode: string;
  templateParams?: Record<string, string>[];
  smsUpExtendCodes?: string[];
  outId?: string;
}

export interface SendResponse {
  /** e.g. `402617584525830937^0`. */
  bizId: string;
}

export interface QuerySendDetailsRequest {
  phoneNumber: string;
  /** `yyyyMMdd` in China Standard Time (UTC+8), within the last 30 days. */
  sendDate: string;
  bizId?: string;
  /** 1..50. */
  pageSize: number;
  /** From 1. */
  currentPage: number;
}

/** 1 waiting for a receipt, 2 failed, 3 delivered. */
export type SendStatus = 1 | 2 | 3;

export interface SendDetail {
  phoneNum: string;
  sendStatus: SendStatus;
  /** `DELIVERED` on success, the carrier's code otherwise. */
  errCode: string;
  templateCode: string;
  content: string;
  /** `yyyy-MM-dd HH:mm:ss`, UTC+8. */
  sendDate: string;
  /** `yyyy-MM-dd HH:mm:ss`, UTC+8; empty while waiting. */
  receiveDate: string;
  outId: string;
}

export interface QuerySendDetailsResponse {
  totalCount: number;
  details: SendDetail[];
}

export interface QuerySendStatisticsRequest {
  /** 1 domestic, 2 international / HK-Macao-Taiwan. */
  isGlobe: 1 | 2;
  /** `yyyyMMdd`. */
  startDate: string;
  endDate: string;
  pageIndex: number;
  /** 1..50. */
  pageSize: number;
  signName?: string;
  /** 0 verification, 1 notification, 2 marketing, 3 international, 7 digital. */
  templateType?: 0 | 1 | 2 | 3 | 7;
}

export interface SendStatisticsRow {
  sendDate: string;
  totalCount: number;
  respondedSuccessCount: number;
  respondedFailCount: number;
  noRespondedCount: number;
}

export interface QuerySendStatisticsResponse {
  totalSize: number;
  rows: SendStatisticsRow[];
}

export interface PageRequest {
  pageIndex: number;
  /** 1..50. */
  pageSize: number;
}

/** `AUDIT_STATE_INIT` reviewing, `AUDIT_STATE_PASS` approved, `AUDIT_STATE_NOT_PASS` rejected, `AUDIT_SATE_CANCEL`/`AUDIT_STATE_CANCEL` cancelled. */
export type AuditStatus = string;

export interface SignSummary {
  signName: string;
  auditStatus: AuditStatus;
  businessType: string;
  createDate: string;
  reason: string;
}

export interface TemplateSummary {
  templateCode: string;
  templateName: string;
  templateContent: string;
  /** 0 verification, 1 notification, 2 marketing, 3 international, 7 digital. */
  templateType: number;
  auditStatus: AuditStatus;
  createDate: string;
  reason: string;
}

export interface ListResponse<T> {
  totalCount: number;
  items: T[];
}

/** 0 reviewing, 1 approved, 2 rejected, 10 cancelled. */
export type ApprovalStatus = 0 | 1 | 2 | 10;

export interface SignDetail {
  signName: string;
  signStatus: ApprovalStatus;
  reason: string;
  createDate: string;
}

export interface TemplateDetail {
  templateCode: string;
  templateName: string;
  templateContent: string;
  templateType: number;
  templateStatus: ApprovalStatus;
  reason: string;
  createDate: string;
  /** Variable name → attribute (`numberCaptcha`, `phone_number2`, ...) from `VariableAttribute`; empty when the account does not say. */
  variableAttributes: Record<string, string>;
}

export interface QualificationQuery {
  pageNo: number;
  pageSize: number;
  qualificationGroupName?: string;
  companyName?: string;
  legalPersonName?: string;
  state?: string;
  useBySelf?: boolean;
  workOrderId?: number;
}

/** Qualification records keep the SDK's field names (camelCase), they vary by account type. */
export type QualificationRecord = Record<string, unknown>;

/** What an SmsError is made of (its `meaning` and `action` default from the code table). */
export type SmsErrorInit = Omit<SmsErrorOptions, 'meaning' | 'action'>;

/** A successful call. */
export interface SmsOk<T> {
  ok: true;
  requestId: string;
  data: T;
}

/** A failed call: `error` is an `SmsError` (see errors.ts) with the class that says what to do next. */
export interface SmsFailed {
  ok: false;
  error: SmsError;
}

/** Every call's outcome, in one shape. Calls never throw for API or transport problems. */
export type SmsOutcome<T> = SmsOk<T> | SmsFailed;

export interface SmsClient {
  sendSms(req: SendSmsRequest): Promise<SmsOutcome<SendResponse>>;
  sendBatchSms(req: SendBatchSmsRequest): Promise<SmsOutcome<SendResponse>>;
  querySendDetails(req: QuerySendDetailsRequest): Promise<SmsOutcome<QuerySendDetailsResponse>>;
  querySendStatistics(req: QuerySendStatisticsRequest): Promise<SmsOutcome<QuerySendStatisticsResponse>>;
  querySmsSignList(req: PageRequest): Promise<SmsOutcome<ListResponse<SignSummary>>>;
  querySmsTemplateList(req: PageRequest): Promise<SmsOutcome<ListResponse<TemplateSummary>>>;
  getSmsSign(signName: string): Promise<SmsOutcome<SignDetail>>;
  getSmsTemplate(templateCode: string): Promise<SmsOutcome<TemplateDetail>>;
  querySmsQualificationRecord(req: QualificationQuery): Promise<SmsOutcome<ListResponse<QualificationRecord>>>;
  /** `orderId`: the review's work order (OrderId), to narrow the record to it. */
  querySingleSmsQualification(qualificationGroupId: number, orderId?: number): Promise<SmsOutcome<QualificationRecord>>;
}
