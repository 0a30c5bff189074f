/**
 * The public surface of the Dysmsapi emulator (re-exported by `index.ts`). Everything else in
 * `src/emulator/` is an implementation detail.
 */
import type { QualificationState } from '../sms/qualification-states.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ApprovalStatus } from '../sms/types.js';

/** An AccessKey pair the emulator accepts. */
export interface EmulatorAccessKey {
  accessKeyId: string;
  accessKeySecret: string;
}

/** A signature as the console shows it. */
export interface FixtureSign {
  signName: string;
  /** 0 reviewing, 1 approved, 2 rejected, 10 cancelled. Only 1 can send. */
  status: ApprovalStatus;
  /** e.g. `验证码类型`, `通用类型`. Default `通用类型`. */
  businessType?: string;
  /** `yyyy-MM-dd HH:mm:ss`. Default `2025-01-01 10:00:00`. */
  createDate?: string;
  /** Why it was rejected. Default empty. */
  reason?: string;
}

/** A template as the console shows it. */
export interface FixtureTemplate {
  templateCode: string;
  templateName: string;
  /** Text with `${var}` placeholders; every variable must be given as a string on send. */
  templateContent: string;
  /** 0 verification, 1 notification, 2 marketing, 3 international, 7 digital. */
  templateType: 0 | 1 | 2 | 3 | 7;
  /** 0 reviewing, 1 approved, 2 rejected, 10 cancelled. Only 1 can send. */
  status: ApprovalStatus;
  /** `yyyy-MM-dd HH:mm:ss`. Default `2025-01-01 10:00:00`. */
  createDate?: string;
  reason?: string;
  /** The signature the template was filed with (informational). */
  signName?: string;
}

/** A qualification record (QuerySmsQualificationRecord / QuerySingleSmsQualification). */
export interface FixtureQualification {
  groupId: number;
  qualificationGroupName: string;
  companyName: string;
  legalPersonName: string;
  /** Review state: INIT, PASS, NOT_PASS, NOT_FINISH or CANCEL (the `State` filter's values). */
  state: QualificationState;
  useBySelf: boolean;
  workOrderId: number;
  /** `yyyy-MM-dd HH:mm:ss`. */
  createDate: string;
  auditTime?: string;
  auditRemark?: string;
  /** `COMPANY`, `INDIVIDUAL`, ... Default `COMPANY`. */
  companyType?: string;
  organizationCode?: string;
  adminName?: string;
  adminPhoneNo?: string;
}

/** The account's console state: what the sign/template/qualification operations return. */
export interface EmulatorFixtures {
  signs: FixtureSign[];
  templates: FixtureTemplate[];
  qualifications: FixtureQualification[];
}

/** How receipts come about for accepted recipients. */
export interface DeliveryOptions {
  /** Time from acceptance to the receipt, on the emulator's clock. Default 1000 ms. */
  delayMs?: number;
  /** Share of recipients whose receipt is a failure, 0..1. Default 0. */
  failureRatio?: number;
  /**
   * Carrier codes failed receipts carry, picked by a hash of BizId and number so runs repeat.
   * Default {@link DEFAULT_FAILURE_CODES} (`MK:0001`, `IC:0055`, `SP:0004`, `UNDELIV`, ...).
   */
  failureCodes?: string[];
}

/** How much the emulator remembers; the oldest entries go first. */
export interface RetentionOptions {
  /** `calls()` ring size. Default 100 000. */
  calls?: number;
  /** `accepted()` ring size. Default 100 000. */
  acceptedSends?: number;
  /** Recipient records kept for QuerySendDetails / `recipients()`. Default 500 000. */
  recipients?: number;
  /** Recipient records kept per phone number. Default 200. */
  recipientsPerNumber?: number;
  /** Flow-control counters (number, signature, template) kept; oldest evicted beyond. Default 1 000 000. */
  flowControlKeys?: number;
}

export interface EmulatorOptions {
  /** The one AccessKey pair requests must be signed with. Default `SANDBOX_ACCESS_KEY`. */
  accessKey?: EmulatorAccessKey;
  /** Signatures, templates and qualifications. Default {@link DEFAULT_FIXTURES}. */
  fixtures?: EmulatorFixtures;
  /**
   * Account cap: authenticated requests admitted in any sliding 1000 ms (clock). Beyond it the answer
   * is `Throttling.User`. Default 5000; 0 turns it off.
   */
  qps?: number;
  /** Per-number flow control (`isv.BUSINESS_LIMIT_CONTROL`) for mainland numbers. Default true. */
  flowControl?: boolean;
  delivery?: DeliveryOptions;
  /** How long after acceptance a record shows in QuerySendDetails/QuerySendStatistics. Default 0. */
  detailsLagMs?: number;
  /** Wall-clock delay added to every API answer. Default 0. */
  latencyMs?: number;
  /** Where to POST SmsReport JSON arrays; unset means no push. */
  reportUrl?: string;
  /** Re-push delays after a non-200 answer, on the clock. Default `[60000, 300000, 600000]`. */
  reportRetryDelaysMs?: number[];
  /** Every time decision (windows, receipts, dates, push schedule). Default `systemClock`. */
  clock?: Clock;
  /** Default: a silent pino logger. */
  logger?: Logger;
  /** Memory bounds. */
  retention?: RetentionOptions;
}

/** The run-time adjustable subset of {@link EmulatorOptions}. */
export type EmulatorConfigPatch = Partial<
  Pick<EmulatorOptions, 'qps' | 'flowControl' | 'delivery' | 'detailsLagMs' | 'latencyMs' | 'reportUrl'>
>;

export type FaultKind = 'lost-answer' | 'server-error' | 'reset' | 'throttle';

/**
 * A fault applied to matching authenticated calls (after the signature check and the account cap):
 * - `lost-answer`: the call is processed (a send IS accepted and delivered) and answered only after
 *   `delayMs`, so a client with a shorter read timeout gives up first.
 * - `server-error`: HTTP `httpStatus` (500 `isp.SYSTEM_ERROR`, or 503 `ServiceUnavailable`) before
 *   anything is processed; nothing is recorded as accepted.
 * - `reset`: the socket is destroyed after the request was read; nothing is accepted.
 * - `throttle`: `Throttling.User`, HTTP 400 with `x-acs-retry-after`; nothing is accepted.
 */
export interface FaultRule {
  kind: FaultKind;
  /** Actions it applies to. Default `['SendSms', 'SendBatchSms']`. */
  actions?: string[];
  /** Only calls naming one of these numbers (any accepted spelling of the number). */
  phones?: string[];
  /** Matching calls it applies to. Default 1; `Infinity` for all. */
  times?: number;
  /** `lost-answer`: wall-clock delay before the answer. Default 10 000 ms. */
  delayMs?: number;
  /** `server-error`: 500 (default) or 503. */
  httpStatus?: 500 | 503;
}

/** One accepted SendSms/SendBatchSms. */
export interface AcceptedSend {
  bizId: string;
  action: 'SendSms' | 'SendBatchSms';
  /** Empty when the call had none. */
  outId: string;
  /** As the caller wrote them. */
  phoneNumbers: string[];
  /** SendBatchSms: one per number. SendSms: one element shared by every number. */
  signNames: string[];
  templateCode: string;
  /** SendBatchSms: one per number (empty when none were sent). SendSms: one element, or none. */
  templateParams: Record<string, string>[];
  /** SmsUpExtendCode: SendSms one element shared by every number, or none; SendBatchSms one per number, or none. */
  extendCodes: string[];
  /** Clock ms. */
  acceptedAt: number;
}

/** 1 waiting for a receipt, 2 failed, 3 delivered. */
export type EmulatorSendStatus = 1 | 2 | 3;

/** One accepted number of an accepted send, with its receipt state at the time of reading. */
export interface RecipientRecord {
  /** Normalized: bare 11 digits for mainland numbers. */
  phone: string;
  bizId: string;
  outId: string;
  signName: string;
  templateCode: string;
  /** `【sign】` + rendered template. */
  content: string;
  sendStatus: EmulatorSendStatus;
  /** `DELIVERED`, a carrier failure code, or empty while waiting. */
  errCode: string;
  acceptedAt: number;
  /** Clock ms of the receipt, once there is one. */
  receiveAt?: number;
}

/** One request the emulator answered (or dropped). */
export interface CallRecord {
  /** Clock ms when the request had been read. */
  at: number;
  /** `x-acs-action`, or empty. */
  action: string;
  /** The answer's `Code`; `reset` when the socket was destroyed. */
  code: string;
  /** 0 when the socket was destroyed. */
  httpStatus: number;
  /** Numbers the call named (as written by the caller). */
  phones: string[];
  /** The fault applied, if any. */
  fault?: FaultKind;
}

export interface ListenResult {
  host: string;
  port: number;
  /** `host:port`, what `$OpenApiUtil.Config({ endpoint })` takes. */
  endpoint: string;
}

export interface Emulator {
  /** Starts the Dysmsapi endpoint. Host default 127.0.0.1; port 0 (default) picks a free port. */
  listen(opts?: { port?: number; host?: string }): Promise<ListenResult>;
  /** Starts the control endpoint, always on 127.0.0.1; non-loopback peers get 403. */
  listenControl(opts?: { port?: number }): Promise<{ port: number; url: string }>;
  /** Closes both servers, destroys open sockets, stops timers and pending pushes. */
  close(): Promise<void>;
  setFaults(faults: FaultRule[]): void;
  addFault(fault: FaultRule): void;
  clearFaults(): void;
  configure(patch: EmulatorConfigPatch): void;
  accepted(): AcceptedSend[];
  recipients(): RecipientRecord[];
  calls(): CallRecord[];
  /** Pushes every due report (and due re-push) now; resolves when the receiver has answered. */
  deliverDue(): Promise<void>;
  /** Forgets sends, recipients, calls, faults, flow-control and QPS counters, pending pushes. */
  reset(): void;
}
