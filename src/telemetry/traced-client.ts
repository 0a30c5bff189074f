/**
 * A span per Dysmsapi call: the action, the outcome class (as `/metrics` counts it), Alibaba's
 * code and request id, and for sends the number of recipients. The request itself (numbers,
 * template params, which may hold a verification code) never goes on a span.
 */
import { outcomeClass } from '../metrics/call-metrics.js';
import { SMS_CLIENT_ACTIONS, SMS_CLIENT_METHODS } from '../sms/actions.js';
import type { SmsClient, SmsOutcome } from '../sms/types.js';
import type { SpanRunner } from './span-runner.js';

/** Span attribute names, stable for dashboards and queries. */
export const CALL_SPAN_ATTRIBUTES = Object.freeze({
  system: 'rpc.system',
  service: 'rpc.service',
  method: 'rpc.method',
  action: 'smsq.action',
  outcome: 'smsq.outcome',
  code: 'smsq.code',
  requestId: 'smsq.request_id',
  recipients: 'smsq.recipients',
});

/** Wraps every method of `client` in a `Dysmsapi/<Action>` client span. Outcomes pass through unchanged. */
export function traceSmsClient(client: SmsClient, spans: SpanRunner): SmsClient {
  const A = CALL_SPAN_ATTRIBUTES;
  const wrapped: Partial<Record<keyof SmsClient, unknown>> = {};
  for (const method of SMS_CLIENT_METHODS) {
    const action = SMS_CLIENT_ACTIONS[method];
    const original = client[method] as (arg: unknown) => Promise<SmsOutcome<unknown>>;
    wrapped[method] = (arg: unknown) =>
      spans.run(`Dysmsapi/${action}`, 'client', { [A.system]: 'alibaba_cloud', [A.service]: 'Dysmsapi', [A.method]: action, [A.action]: action }, async (span) => {
        const phones = method === 'sendSms' || method === 'sendBatchSms' ? (arg as { phoneNumbers?: unknown[] } | undefined)?.phoneNumbers : undefined;
        if (phones) span.setAttributes({ [A.recipients]: phones.length });
        const outcome = await original.call(client, arg);
        const requestId = outcome.ok ? outcome.requestId : outcome.error.requestId;
        span.setAttributes({
          [A.outcome]: outcomeClass(action, outcome),
          [A.code]: outcome.ok ? 'OK' : outcome.error.code,
          ...(requestId ? { [A.requestId]: requestId } : {}),
        });
        if (!outcome.ok) span.setError(outcome.error.code);
        return outcome;
      });
  }
  return wrapped as SmsClient;
}
