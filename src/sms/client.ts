/**
 * The Dysmsapi client: {@link SmsClient} over the official SDK (`@alicloud/dysmsapi20170525`).
 *
 * - Every call resolves to an {@link SmsOutcome}; API and transport failures become an `SmsError` with a
 *   class that says what to do next (errors.ts, error-codes.ts). Only programming errors reject.
 * - The SDK's own retries stay off (no `retryOptions`): SendSms is not idempotent, so retrying belongs
 *   to the worker once the outcome is known.
 * - The hot path builds the SDK client and the `RuntimeOptions` once; a call allocates the SDK request
 *   model, the closure that makes it and the result, nothing else of ours.
 * - The SDK (sdk.ts) is loaded when a client is created, not when this module is: a producer that
 *   imports the package without a catalog never loads it.
 */
import type * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import type * as SdkModule from './sdk.js';
import type { ResolvedSmsClientOptions, SmsCredential } from './resolved-options.js';

export type { ResolvedSmsClientOptions, SmsCredential };
import { LIVE_ENDPOINT } from './defaults.js';
import { credentialTextFault, credentialTextMessage } from './credential-text.js';
import { endpointFault } from './endpoint-shape.js';
import type { Logger } from '../logger.js';
import { answerSince, answersSoFar, countAnswersOf, type SeenAnswer } from './answer-seen.js';
import { notDysmsapiAnswer, SmsError, smsErrorFromCode, smsErrorFromThrown, type CallTarget } from './errors.js';
import { requestBuildFault, type CallFacts } from './request-build-fault.js';
import { watchRequest } from './request-start.js';
import type {
  ApprovalStatus,
  ListResponse,
  PageRequest,
  QualificationQuery,
  QualificationRecord,
  QuerySendDetailsRequest,
  QuerySendDetailsResponse,
  QuerySendStatisticsRequest,
  QuerySendStatisticsResponse,
  SendBatchSmsRequest,
  SendDetail,
  SendResponse,
  SendSmsRequest,
  SendStatisticsRow,
  SendStatus,
  SignDetail,
  SignSummary,
  SmsClient,
  SmsOutcome,
  TemplateDetail,
  TemplateSummary,
} from './types.js';


/** Options of {@link createSmsClient}. Defaults live in {@link SMS_CLIENT_DEFAULTS}. */
export interface SmsClientOptions {
  /** Dysmsapi `host[:port]`, no scheme. Default `dysmsapi.aliyuncs.com`. */
  endpoint?: string;
  /** Default `https`. The sandbox emulator speaks `http`. */
  protocol?: 'https' | 'http';
  /**
   * Milliseconds to wait for the answer after the connection is up. Default 3000. A call that times
   * out has an unknown outcome (`RequestTimeout`): keep it short, but not shorter than Alibaba's answer time.
   * At most 2147483647 (Node's longest timer).
   */
  readTimeoutMs?: number;
  /**
   * Milliseconds for the TCP connect. Default: `readTimeoutMs`. The SDK also uses it as the socket idle
   * timeout for the whole call, so the effective wait for an answer is the smaller of the two. At most 2147483647.
   */
  connectTimeoutMs?: number;
  /** How requests are signed. An access-key's parts are printable ASCII with no spaces or quotes (checked as ALIBABA_CLOUD_ACCESS_KEY_ID is). */
  credential: SmsCredential;
  /** Appended to the SDK's User-Agent so Alibaba (and the emulator) can tell smsq's calls apart; printable ASCII. Default `smsq/0.1.0`. */
  userAgent?: string;
  /** Failed calls are logged at `debug` (codes and request ids only; never numbers or secrets). Default: no logging. */
  logger?: Logger;
}

/** The defaults of {@link SmsClientOptions}, in one place. */
export const SMS_CLIENT_DEFAULTS = Object.freeze({
  endpoint: LIVE_ENDPOINT,
  protocol: 'https' as const,
  readTimeoutMs: 3000,
  userAgent: 'smsq/0.1.0',
});

/** Thrown synchronously for options that cannot work; the message names the option and the fix. */
export class SmsClientOptionsError extends Error {
  readonly code = 'SMSQ_SMS_CLIENT_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'SmsClientOptionsError';
  }
}

/** The longest wait Node's timers hold: a longer one fires after 1 ms, and every call would time out, its outcome unknown. */
const LONGEST_TIMER_MS = 2_147_483_647;

const CREDENTIAL_SENT = 'which would be sent as part of it, and every call would fail';
const CREDENTIAL_PARTS = [
  ['accessKeyId', 'the AccessKey ID'],
  ['accessKeySecret', 'the AccessKey secret'],
  ['securityToken', 'the STS token'],
] as const;

/**
 * The credential's text, by the check the environment's AccessKey passes (credential-text.ts): the SDK
 * takes any string and fails on a bad one only at the first call, where the worker reads it as its
 * setup's fault and backs off, sending nothing until it is fixed. The value is never quoted.
 */
function checkAccessKey(c: Extract<SmsCredential, { kind: 'access-key' }>): void {
  for (const [part, what] of CREDENTIAL_PARTS) {
    const value: unknown = c[part];
    const field = `credential.${part}`;
    if (part === 'securityToken' && value === undefined) continue;
    if (value === undefined || value === '') {
      throw new SmsClientOptionsError(`${field} is missing: an access-key credential needs both accessKeyId and accessKeySecret. Fix: pass ${what}, or { kind: "default-chain" }`);
    }
    if (typeof value !== 'string') throw new SmsClientOptionsError(`${field} must be a string, got a ${typeof value}. Fix: pass ${what} as a string`);
    const fault = credentialTextFault(value);
    if (fault !== undefined) {
      throw new SmsClientOptionsError(
        `${field} ${credentialTextMessage(fault, {
          sent: CREDENTIAL_SENT,
          quotesKept: 'a value pasted or read with its quotes keeps them',
          fix: `pass ${what}`,
          lineBreakHint: 'trim what you read from a file: one written with echo ends in a line break',
        })}`,
      );
    }
  }
}

/** Applies {@link SMS_CLIENT_DEFAULTS} and checks the options. */
export function resolveClientOptions(opts: SmsClientOptions): ResolvedSmsClientOptions {
  const endpoint = opts.endpoint ?? SMS_CLIENT_DEFAULTS.endpoint;
  const fault = typeof endpoint === 'string' ? endpointFault(endpoint) : ({ kind: 'shape' } as const);
  if (fault?.kind === 'shape') throw new SmsClientOptionsError(`endpoint must be host[:port] without scheme or path, got "${String(endpoint)}". Fix: e.g. endpoint: "${LIVE_ENDPOINT}" or "127.0.0.1:8081"`);
  if (fault?.kind === 'port') throw new SmsClientOptionsError(`endpoint has port ${fault.port}, which no socket has (1 to 65535). Fix: the port Dysmsapi or the emulator listens on, or no port for the protocol's`);
  if (fault?.kind === 'host') {
    throw new SmsClientOptionsError(`endpoint has a host no DNS name can be (an empty label, a label that starts or ends with "-", or one over 63 characters), got "${endpoint}". Fix: e.g. endpoint: "${LIVE_ENDPOINT}"`);
  }
  const protocol = opts.protocol ?? SMS_CLIENT_DEFAULTS.protocol;
  if (protocol !== 'https' && protocol !== 'http') throw new SmsClientOptionsError(`protocol must be "https" or "http", got "${String(protocol)}"`);
  const readTimeoutMs = opts.readTimeoutMs ?? SMS_CLIENT_DEFAULTS.readTimeoutMs;
  const connectTimeoutMs = opts.connectTimeoutMs ?? readTimeoutMs;
  for (const [name, v] of [
    ['readTimeoutMs', readTimeoutMs],
    ['connectTimeoutMs', connectTimeoutMs],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new SmsClientOptionsError(`${name} must be a positive whole number of milliseconds, got ${String(v)}. Fix: e.g. ${name}: ${SMS_CLIENT_DEFAULTS.readTimeoutMs}`);
    if (v > LONGEST_TIMER_MS) {
      throw new SmsClientOptionsError(
        `${name} must be at most ${LONGEST_TIMER_MS} (the longest wait Node's timers hold; a longer one fires after 1 ms, so every call would time out with its outcome unknown), got ${v}. Fix: e.g. ${name}: ${SMS_CLIENT_DEFAULTS.readTimeoutMs}`,
      );
    }
  }
  const userAgent: unknown = opts.userAgent ?? SMS_CLIENT_DEFAULTS.userAgent;
  if (typeof userAgent !== 'string') throw new SmsClientOptionsError(`userAgent must be a string, got a ${typeof userAgent}. Fix: e.g. userAgent: "myapp/1.2"`);
  if (!/^[\x20-\x7e]*$/.test(userAgent)) {
    throw new SmsClientOptionsError(
      'userAgent holds a character an HTTP header cannot carry (a line break, a control character, a character beyond printable ASCII), so every call would fail before it left. Fix: give userAgent in printable ASCII, e.g. "myapp/1.2"',
    );
  }
  const c = opts.credential;
  if (c?.kind === 'access-key') {
    checkAccessKey(c);
  } else if (c?.kind !== 'default-chain') {
    throw new SmsClientOptionsError('credential must be { kind: "default-chain" } or { kind: "access-key", accessKeyId, accessKeySecret }');
  }
  return { endpoint, protocol, readTimeoutMs, connectTimeoutMs, credential: c, userAgent };
}

interface Body {
  code?: string;
  message?: string;
  requestId?: string;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** SDK models → plain camelCase objects (qualification records keep the SDK's field names). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) out[k] = plain(x);
    return out;
  }
  return v;
}

// Response mappers: module-level functions, so a call allocates no closures.
const toSend = (b: $Dysmsapi.SendSmsResponseBody | $Dysmsapi.SendBatchSmsResponseBody): SendResponse => ({ bizId: b.bizId ?? '' });

const toDetail = (detail: $Dysmsapi.QuerySendDetailsResponseBodySmsSendDetailDTOsSmsSendDetailDTO): SendDetail => ({
  phoneNum: text(detail.phoneNum),
  sendStatus: num(detail.sendStatus) as SendStatus,
  errCode: text(detail.errCode),
  templateCode: text(detail.templateCode),
  content: text(detail.content),
  sendDate: text(detail.sendDate),
  receiveDate: text(detail.receiveDate),
  outId: text(detail.outId),
});
const toDetails = (b: $Dysmsapi.QuerySendDetailsResponseBody): QuerySendDetailsResponse => ({
  totalCount: num(b.totalCount),
  details: (b.smsSendDetailDTOs?.smsSendDetailDTO ?? []).map(toDetail),
});

const toStatRow = (r: $Dysmsapi.QuerySendStatisticsResponseBodyDataTargetList): SendStatisticsRow => ({
  sendDate: text(r.sendDate),
  totalCount: num(r.totalCount),
  respondedSuccessCount: num(r.respondedSuccessCount),
  respondedFailCount: num(r.respondedFailCount),
  noRespondedCount: num(r.noRespondedCount),
});
const toStats = (b: $Dysmsapi.QuerySendStatisticsResponseBody): QuerySendStatisticsResponse => ({
  totalSize: num(b.data?.totalSize),
  rows: (b.data?.targetList ?? []).map(toStatRow),
});

const toSignSummary = (s: $Dysmsapi.QuerySmsSignListResponseBodySmsSignList): SignSummary => ({
  signName: text(s.signName),
  auditStatus: text(s.auditStatus),
  businessType: text(s.businessType),
  createDate: text(s.createDate),
  reason: text(s.reason?.rejectInfo),
});
const toSignList = (b: $Dysmsapi.QuerySmsSignListResponseBody): ListResponse<SignSummary> => ({
  totalCount: num(b.totalCount),
  items: (b.smsSignList ?? []).map(toSignSummary),
});

const toTemplateSummary = (t: $Dysmsapi.QuerySmsTemplateListResponseBodySmsTemplateList): TemplateSummary => ({
  templateCode: text(t.templateCode),
  templateName: text(t.templateName),
  templateContent: text(t.templateContent),
  templateType: num(t.templateType),
  auditStatus: text(t.auditStatus),
  createDate: text(t.createDate),
  reason: text(t.reason?.rejectInfo),
});
const toTemplateList = (b: $Dysmsapi.QuerySmsTemplateListResponseBody): ListResponse<TemplateSummary> => ({
  totalCount: num(b.totalCount),
  items: (b.smsTemplateList ?? []).map(toTemplateSummary),
});

const toSign = (b: $Dysmsapi.GetSmsSignResponseBody): SignDetail => ({
  signName: text(b.signName),
  signStatus: num(b.signStatus) as ApprovalStatus,
  reason: text(b.auditInfo?.rejectInfo),
  createDate: text(b.createDate),
});

const toTemplate = (b: $Dysmsapi.GetSmsTemplateResponseBody): TemplateDetail => ({
  templateCode: text(b.templateCode),
  templateName: text(b.templateName),
  templateContent: text(b.templateContent),
  templateType: num(b.templateType),
  templateStatus: num(b.templateStatus) as ApprovalStatus,
  reason: text(b.auditInfo?.rejectInfo),
  createDate: text(b.createDate),
  variableAttributes: attributesOf(b.variableAttribute),
});

/** `VariableAttribute` is a JSON object in a string (`{"code":"numberCaptcha"}`); anything else means unknown. */
function attributesOf(v: unknown): Record<string, string> {
  if (typeof v !== 'string' || v === '') return {};
  try {
    const parsed = JSON.parse(v) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, string> = {};
    for (const [name, attribute] of Object.entries(parsed)) if (typeof attribute === 'string') out[name] = attribute;
    return out;
  } catch {
    return {};
  }
}

const toQualificationList = (b: $Dysmsapi.QuerySmsQualificationRecordResponseBody): ListResponse<QualificationRecord> => ({
  totalCount: num(b.data?.total),
  items: (b.data?.list ?? []).map((r) => plain(r) as QualificationRecord),
});
const toQualification = (b: $Dysmsapi.QuerySingleSmsQualificationResponseBody): QualificationRecord =>
  (plain(b.data) as QualificationRecord | undefined) ?? {};

/** Each client createSmsClient made, with its SDK's load (settled either way: a failed load fails each call). */
const loading = new WeakMap<SmsClient, Promise<void>>();

/**
 * Resolves once `client`'s calls no longer wait for the SDK to load (at once for a client that
 * createSmsClient did not make). A worker awaits it before taking jobs: a call made long after its
 * claim's pacer slot could go past the account's cap.
 */
export function whenClientLoaded(client: SmsClient): Promise<void> {
  return loading.get(client) ?? Promise.resolve();
}

let sdkModule: Promise<typeof SdkModule> | undefined;
/** The SDK, loaded once per process at the first need. */
const loadSdk = () => (sdkModule ??= import('./sdk.js'));

/**
 * Loads the Alibaba SDK now, so that a process which will call Dysmsapi fails at start when the SDK
 * cannot be loaded (a broken install), and its first call does not wait for the load after its
 * pacer slot. Rejects with the reason and the fix.
 */
export async function loadSmsSdk(): Promise<void> {
  try {
    await loadSdk();
  } catch (e) {
    throw sdkUnavailable(e);
  }
}

/** A call's failure when the SDK could not be loaded: nothing was sent; the install is what to fix. */
function sdkUnavailable(e: unknown): SmsError {
  return new SmsError({
    code: 'SdkUnavailable',
    message: `the Alibaba SDK (@alicloud/dysmsapi20170525) could not be loaded: ${e instanceof Error ? e.message : String(e)}; nothing was sent. Fix: reinstall smsq's dependencies (npm ci)`,
    errorClass: 'account',
    cause: e,
  });
}

/**
 * Resolves the default credential chain as the client will, without calling Dysmsapi: the
 * environment, OIDC, the CLI and credentials profiles, an ECS RAM role (the instance's metadata
 * service) and a credentials URI. Resolves with the provider that answered (never the key);
 * rejects with a `CredentialResolutionError` (errors.ts) when none does.
 */
export async function resolveDefaultCredentials(): Promise<{ provider: string }> {
  return (await loadSdk()).resolveDefaultCredentials();
}

/**
 * Creates the client. Starts loading the SDK and builds its client once; throws
 * {@link SmsClientOptionsError} for unusable options. The client holds no resources of its own
 * (the SDK shares one keep-alive agent per process).
 */
export function createSmsClient(opts: SmsClientOptions): SmsClient {
  const resolved = resolveClientOptions(opts);
  // Loading starts now, so that the first call rarely waits for it.
  const built = loadSdk().then((sdkParts) => ({ ...sdkParts.createSdk(resolved), models: sdkParts.models }));
  // Where a failure's words say the call went (SMS_ENDPOINT, SMS_READ_TIMEOUT_MS).
  const target: CallTarget = {
    readTimeoutMs: resolved.readTimeoutMs,
    ...(resolved.connectTimeoutMs === resolved.readTimeoutMs ? {} : { connectTimeoutMs: resolved.connectTimeoutMs }),
    endpoint: resolved.endpoint,
    protocol: resolved.protocol,
  };
  countAnswersOf(resolved.endpoint);
  built.catch(() => undefined); // a failed load rejects each call instead
  const logger = opts.logger;

  /** The SDK built for this client, or the failed outcome of `op` when it could not be loaded (nothing was sent). */
  async function sdkFor(op: string): Promise<({ ok: true } & Awaited<typeof built>) | { ok: false; error: SmsError }> {
    try {
      return { ok: true, ...(await built) };
    } catch (e) {
      return failed(op, sdkUnavailable(e));
    }
  }

  function answer<B extends Body, T>(op: string, status: number | undefined, body: B | undefined, map: (b: B) => T): SmsOutcome<T> {
    const code = body?.code;
    if (code === 'OK') return { ok: true, requestId: body?.requestId ?? '', data: map(body as B) };
    const error =
      typeof code === 'string' && code !== ''
        ? smsErrorFromCode(code, { message: body?.message, requestId: body?.requestId, httpStatus: status })
        : notDysmsapiAnswer(target, { status, codeless: true, requestId: body?.requestId });
    return failed(op, error);
  }

  function failed(op: string, error: SmsError): { ok: false; error: SmsError } {
    logger?.debug(
      { op, code: error.code, errorClass: error.errorClass, requestId: error.requestId, httpStatus: error.httpStatus, retryAfterSeconds: error.retryAfterSeconds },
      'dysmsapi call failed',
    );
    return { ok: false, error };
  }

  /**
   * What the SDK threw, classified. A request that could not be built (request-build-fault.ts)
   * was never written: told apart first, or it would read as a transport failure in doubt.
   */
  function thrown(e: unknown, call: CallFacts, answered: SeenAnswer | undefined): { ok: false; error: SmsError } {
    return failed(call.op, requestBuildFault(e, call) ?? smsErrorFromThrown(e, answered === undefined ? target : { ...target, answered }));
  }

  /**
   * One SDK call, `op`: its answer mapped, or what it threw classified. A send (`outId`) is watched
   * for its request's start (request-start.ts); every call for what its endpoint answered, whose
   * status an unreadable body loses (answer-seen.ts).
   */
  async function made<B extends Body, T>(op: string, call: () => Promise<{ statusCode?: number; body?: B }>, map: (b: B) => T, encoded: CallFacts['encoded'], outId?: string): Promise<SmsOutcome<T>> {
    const watch = outId === undefined ? undefined : watchRequest(outId);
    const mark = answersSoFar(resolved.endpoint);
    try {
      const res = await call();
      return answer(op, res.statusCode, res.body, map);
    } catch (e) {
      return thrown(e, { op, encoded, started: watch?.started }, answerSince(resolved.endpoint, mark));
    } finally {
      watch?.end();
    }
  }

  const client: SmsClient = {
    async sendSms(req: SendSmsRequest): Promise<SmsOutcome<SendResponse>> {
      const loaded = await sdkFor('SendSms');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.SendSmsRequest();
      r.phoneNumbers = req.phoneNumbers.join(',');
      r.signName = req.signName;
      r.templateCode = req.templateCode;
      if (req.templateParam !== undefined) r.templateParam = JSON.stringify(req.templateParam);
      if (req.smsUpExtendCode !== undefined) r.smsUpExtendCode = req.smsUpExtendCode;
      if (req.outId !== undefined) r.outId = req.outId;
      // templateParam reaches the SDK as JSON.stringify's text, which is always well-formed.
      const encoded = [['phoneNumbers', r.phoneNumbers], ['signName', req.signName], ['templateCode', req.templateCode], ['smsUpExtendCode', req.smsUpExtendCode], ['outId', req.outId]] as const;
      return made('SendSms', () => sdk.sendSmsWithOptions(r, runtime), toSend, encoded, req.outId);
    },

    async sendBatchSms(req: SendBatchSmsRequest): Promise<SmsOutcome<SendResponse>> {
      const loaded = await sdkFor('SendBatchSms');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.SendBatchSmsRequest();
      r.phoneNumberJson = JSON.stringify(req.phoneNumbers);
      r.signNameJson = JSON.stringify(req.signNames);
      r.templateCode = req.templateCode;
      if (req.templateParams !== undefined) r.templateParamJson = JSON.stringify(req.templateParams);
      if (req.smsUpExtendCodes !== undefined) r.smsUpExtendCodeJson = JSON.stringify(req.smsUpExtendCodes);
      if (req.outId !== undefined) r.outId = req.outId;
      // The numbers, signatures, params and extend codes reach the SDK as JSON.stringify's text, always well-formed.
      return made('SendBatchSms', () => sdk.sendBatchSmsWithOptions(r, runtime), toSend, [['templateCode', req.templateCode], ['outId', req.outId]], req.outId);
    },

    async querySendDetails(req: QuerySendDetailsRequest): Promise<SmsOutcome<QuerySendDetailsResponse>> {
      const loaded = await sdkFor('QuerySendDetails');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.QuerySendDetailsRequest();
      r.phoneNumber = req.phoneNumber;
      r.sendDate = req.sendDate;
      r.pageSize = req.pageSize;
      r.currentPage = req.currentPage;
      if (req.bizId !== undefined) r.bizId = req.bizId;
      return made('QuerySendDetails', () => sdk.querySendDetailsWithOptions(r, runtime), toDetails, [['phoneNumber', req.phoneNumber], ['sendDate', req.sendDate], ['bizId', req.bizId]]);
    },

    async querySendStatistics(req: QuerySendStatisticsRequest): Promise<SmsOutcome<QuerySendStatisticsResponse>> {
      const loaded = await sdkFor('QuerySendStatistics');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.QuerySendStatisticsRequest();
      r.isGlobe = req.isGlobe;
      r.startDate = req.startDate;
      r.endDate = req.endDate;
      r.pageIndex = req.pageIndex;
      r.pageSize = req.pageSize;
      if (req.signName !== undefined) r.signName = req.signName;
      if (req.templateType !== undefined) r.templateType = req.templateType;
      return made('QuerySendStatistics', () => sdk.querySendStatisticsWithOptions(r, runtime), toStats, [['startDate', req.startDate], ['endDate', req.endDate], ['signName', req.signName]]);
    },

    async querySmsSignList(req: PageRequest): Promise<SmsOutcome<ListResponse<SignSummary>>> {
      const loaded = await sdkFor('QuerySmsSignList');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.QuerySmsSignListRequest();
      r.pageIndex = req.pageIndex;
      r.pageSize = req.pageSize;
      return made('QuerySmsSignList', () => sdk.querySmsSignListWithOptions(r, runtime), toSignList, []);
    },

    async querySmsTemplateList(req: PageRequest): Promise<SmsOutcome<ListResponse<TemplateSummary>>> {
      const loaded = await sdkFor('QuerySmsTemplateList');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.QuerySmsTemplateListRequest();
      r.pageIndex = req.pageIndex;
      r.pageSize = req.pageSize;
      return made('QuerySmsTemplateList', () => sdk.querySmsTemplateListWithOptions(r, runtime), toTemplateList, []);
    },

    async getSmsSign(signName: string): Promise<SmsOutcome<SignDetail>> {
      const loaded = await sdkFor('GetSmsSign');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.GetSmsSignRequest();
      r.signName = signName;
      return made('GetSmsSign', () => sdk.getSmsSignWithOptions(r, runtime), toSign, [['signName', signName]]);
    },

    async getSmsTemplate(templateCode: string): Promise<SmsOutcome<TemplateDetail>> {
      const loaded = await sdkFor('GetSmsTemplate');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.GetSmsTemplateRequest();
      r.templateCode = templateCode;
      return made('GetSmsTemplate', () => sdk.getSmsTemplateWithOptions(r, runtime), toTemplate, [['templateCode', templateCode]]);
    },

    async querySmsQualificationRecord(req: QualificationQuery): Promise<SmsOutcome<ListResponse<QualificationRecord>>> {
      const loaded = await sdkFor('QuerySmsQualificationRecord');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.QuerySmsQualificationRecordRequest();
      r.pageNo = req.pageNo;
      r.pageSize = req.pageSize;
      if (req.qualificationGroupName !== undefined) r.qualificationGroupName = req.qualificationGroupName;
      if (req.companyName !== undefined) r.companyName = req.companyName;
      if (req.legalPersonName !== undefined) r.legalPersonName = req.legalPersonName;
      if (req.state !== undefined) r.state = req.state;
      if (req.useBySelf !== undefined) r.useBySelf = req.useBySelf;
      if (req.workOrderId !== undefined) r.workOrderId = req.workOrderId;
      return made('QuerySmsQualificationRecord', () => sdk.querySmsQualificationRecordWithOptions(r, runtime), toQualificationList, [['qualificationGroupName', req.qualificationGroupName], ['companyName', req.companyName], ['legalPersonName', req.legalPersonName], ['state', req.state]]);
    },

    async querySingleSmsQualification(qualificationGroupId: number, orderId?: number): Promise<SmsOutcome<QualificationRecord>> {
      const loaded = await sdkFor('QuerySingleSmsQualification');
      if (!loaded.ok) return loaded;
      const { sdk, runtime, models } = loaded;
      const r = new models.QuerySingleSmsQualificationRequest();
      r.qualificationGroupId = qualificationGroupId;
      if (orderId !== undefined) r.orderId = orderId;
      return made('QuerySingleSmsQualification', () => sdk.querySingleSmsQualificationWithOptions(r, runtime), toQualification, []);
    },
  };
  loading.set(client, built.then(() => undefined, () => undefined));
  return client;
}
