/**
 * The Dysmsapi endpoint's logic, independent of sockets: one request in, one decision out (an answer
 * with its delay, or "destroy the socket"). Order of checks, as the gateway applies them: path and
 * action, signature, account cap, injected faults, then the operation.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { IssuedBizId } from './biz-id.js';
import type { Catalog } from './catalog.js';
import {
  getSmsSign,
  getSmsTemplate,
  querySingleSmsQualification,
  querySmsQualificationRecord,
  querySmsSignList,
  querySmsTemplateList,
} from './catalog-actions.js';
import { decideOutcome, type DeliverySettings } from './delivery.js';
import { businessError, gatewayErrors, type ApiError } from './errors.js';
import type { FaultSet } from './faults.js';
import type { FlowControl } from './flow-control.js';
import { querySendDetails, querySendStatistics, type QueryResult } from './queries.js';
import type { RecipientStore } from './record-store.js';
import type { ReportPusher } from './report-push.js';
import type { RingBuffer } from './ring-buffer.js';
import { namedPhones, planSendBatchSms, planSendSms, type SendPlan } from './send-params.js';
import { parseUrlEncoded, verifySignature } from './signature.js';
import type { SlidingWindowLimiter } from './sliding-window.js';
import type { AcceptedSend, CallRecord, EmulatorAccessKey, FaultKind } from './types.js';

export const API_VERSION = '2017-05-25';

export const SUPPORTED_ACTIONS: ReadonlySet<string> = new Set([
  'SendSms',
  'SendBatchSms',
  'QuerySendDetails',
  'QuerySendStatistics',
  'QuerySmsSignList',
  'QuerySmsTemplateList',
  'GetSmsSign',
  'GetSmsTemplate',
  'QuerySmsQualificationRecord',
  'QuerySingleSmsQualification',
]);

/** What the emulator does at run time; `configure()` changes it. */
export interface ApiSettings {
  qps: number;
  flowControl: boolean;
  delivery: DeliverySettings;
  detailsLagMs: number;
  latencyMs: number;
  reportUrl: string | undefined;
}

export interface ApiState {
  clock: Clock;
  logger: Logger;
  keys: ReadonlyMap<string, EmulatorAccessKey>;
  catalog: Catalog;
  settings: ApiSettings;
  window: SlidingWindowLimiter;
  flow: FlowControl;
  faults: FaultSet;
  store: RecipientStore;
  accepted: RingBuffer<AcceptedSend>;
  calls: RingBuffer<CallRecord>;
  pusher: ReportPusher;
  nextBizId: () => IssuedBizId;
}

export interface ApiRequest {
  method: string;
  /** Path and query, as in `IncomingMessage.url`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type ApiDecision =
  | { kind: 'answer'; status: number; body: string; headers: Record<string, string>; delayMs: number }
  | { kind: 'reset' };

const NO_PHONES: string[] = [];

export function handleApiRequest(state: ApiState, req: ApiRequest): ApiDecision {
  const at = state.clock.now();
  const requestId = randomUUID().toUpperCase();
  const action = typeof req.headers['x-acs-action'] === 'string' ? req.headers['x-acs-action'] : '';
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  let phones = NO_PHONES;
  let fault: FaultKind | undefined;

  const answer = (status: number, body: Record<string, unknown>, code: string, extraHeaders?: Record<string, string>, delayMs = 0): ApiDecision => {
    state.calls.push(fault ? { at, action, code, httpStatus: status, phones, fault } : { at, action, code, httpStatus: status, phones });
    return {
      kind: 'answer',
      status,
      body: JSON.stringify(body),
      headers: { 'x-acs-request-id': requestId, ...extraHeaders },
      delayMs: state.settings.latencyMs + delayMs,
    };
  };
  const fail = (e: ApiError, extraHeaders?: Record<string, string>): ApiDecision =>
    answer(e.httpStatus, { RequestId: requestId, Code: e.code, Message: e.message }, e.code, extraHeaders);

  if (path !== '/' || (req.method !== 'POST' && req.method !== 'GET')) return fail(gatewayErrors.notFound());
  if (!SUPPORTED_ACTIONS.has(action)) return fail(gatewayErrors.actionNotFound(action));
  const version = req.headers['x-acs-version'];
  if (version !== API_VERSION) return fail(gatewayErrors.invalidVersion(typeof version === 'string' ? version : ''));

  const query = parseUrlEncoded(q === -1 ? '' : req.url.slice(q + 1));
  const auth = verifySignature({ method: req.method, path, query, headers: req.headers, body: req.body }, state.keys);
  if (!auth.ok) return fail(auth.error);

  if (!state.window.tryAcquire(at)) {
    return fail(gatewayErrors.throttlingUser(), { 'x-acs-retry-after': String(Math.max(1, state.window.retryAfterMs(at))) });
  }

  // Form bodies carry parameters too (SendBatchSms's JSON arrays); the signature covered their hash.
  let params = query;
  if (req.body.length > 0 && String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
    params = parseUrlEncoded(req.body.toString('utf8'), Object.assign(Object.create(null) as Record<string, string>, query));
  }
  const named = namedPhones(action, params);
  phones = named ?? NO_PHONES;

  const rule = state.faults.take(action, phones);
  let lostAnswerDelay = 0;
  if (rule) {
    fault = rule.kind;
    switch (rule.kind) {
      case 'reset':
        state.calls.push({ at, action, code: 'reset', httpStatus: 0, phones, fault });
        return { kind: 'reset' };
      case 'throttle':
        return fail(gatewayErrors.throttlingUser(), { 'x-acs-retry-after': '1000' });
      case 'server-error':
        return fail(rule.httpStatus === 503 ? gatewayErrors.serviceUnavailable() : gatewayErrors.systemError());
      case 'lost-answer':
        lostAnswerDelay = rule.delayMs ?? 10_000;
        break;
    }
  }

  const result = runAction(state, action, params, named, at);
  if (!result.ok) {
    const e = result.error;
    return answer(e.httpStatus, { RequestId: requestId, Code: e.code, Message: e.message }, e.code, undefined, lostAnswerDelay);
  }
  return answer(200, { RequestId: requestId, Code: 'OK', Message: 'OK', ...result.body }, 'OK', undefined, lostAnswerDelay);
}

function runAction(state: ApiState, action: string, params: Record<string, string>, phones: string[] | undefined, at: number): QueryResult {
  const ctx = { store: state.store, now: at, lagMs: state.settings.detailsLagMs };
  switch (action) {
    case 'SendSms':
    case 'SendBatchSms': {
      const planned = action === 'SendSms' ? planSendSms(params, phones, state.catalog) : planSendBatchSms(params, phones, state.catalog);
      if (!planned.ok) return planned;
      return acceptSend(state, planned.plan, at);
    }
    case 'QuerySendDetails':
      return querySendDetails(params, ctx);
    case 'QuerySendStatistics':
      return querySendStatistics(params, ctx);
    case 'QuerySmsSignList':
      return querySmsSignList(params, state.catalog);
    case 'QuerySmsTemplateList':
      return querySmsTemplateList(params, state.catalog);
    case 'GetSmsSign':
      return getSmsSign(params, state.catalog);
    case 'GetSmsTemplate':
      return getSmsTemplate(params, state.catalog);
    case 'QuerySmsQualificationRecord':
      return querySmsQualificationRecord(params, state.catalog);
    case 'QuerySingleSmsQualification':
      return querySingleSmsQualification(params, state.catalog);
    default:
      return { ok: false, error: gatewayErrors.actionNotFound(action) };
  }
}

/**
 * Flow control, then acceptance: the call is refused whole when any of its mainland numbers is over
 * a limit (Alibaba refuses the call, not the number), otherwise every number gets a record.
 */
function acceptSend(state: ApiState, plan: SendPlan, at: number): QueryResult {
  const template = { templateCode: plan.template.templateCode, verification: plan.template.templateType === 0 };
  if (state.settings.flowControl) {
    const v = state.flow.check(plan.recipients, template, at);
    if (v) return { ok: false, error: businessError('isv.BUSINESS_LIMIT_CONTROL', v.message) };
    state.flow.commit(plan.recipients, template, at);
  }
  const { bizId, seq } = state.nextBizId();
  const sendKey = String(seq);
  const { delivery, reportUrl } = state.settings;
  const dueAt = at + delivery.delayMs;
  for (const r of plan.recipients) {
    const record = {
      phone: r.phone,
      mainland: r.mainland,
      bizId,
      outId: plan.outId,
      signName: r.signName,
      templateCode: plan.template.templateCode,
      templateType: plan.template.templateType,
      content: r.content,
      smsSize: r.smsSize,
      acceptedAt: at,
      dueAt,
      finalCode: decideOutcome(sendKey, r.phone, delivery),
      dropped: false,
    };
    state.store.add(record);
    if (reportUrl) state.pusher.schedule(record);
  }
  state.accepted.push({
    bizId,
    action: plan.action,
    outId: plan.outId,
    phoneNumbers: plan.phoneNumbers,
    signNames: plan.signNames,
    templateCode: plan.template.templateCode,
    templateParams: plan.templateParams,
    extendCodes: plan.extendCodes,
    acceptedAt: at,
  });
  return { ok: true, body: { BizId: bizId } };
}
