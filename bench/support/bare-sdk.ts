/**
 * The official SDK client as smsq's client configures it (same endpoint, timeouts, User-Agent, no
 * retries), for the benches' baselines that call it directly.
 */
import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { resolveClientOptions } from '../../src/sms/client.js';
import { createSdk } from '../../src/sms/sdk.js';

export interface BareSdkConfig {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  readTimeoutMs: number;
}

export function createBareSdk(cfg: BareSdkConfig) {
  return createSdk(
    resolveClientOptions({
      endpoint: cfg.endpoint,
      protocol: 'http',
      readTimeoutMs: cfg.readTimeoutMs,
      credential: { kind: 'access-key', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret },
    }),
  );
}

/** What the baselines send: one number, the verification shape (params serialised per call, as a caller would). */
export interface BareSendShape {
  signName: string;
  templateCode: string;
  templateParam: Record<string, string>;
}

/** A SendSms request built per call, as a caller of the SDK builds it. */
export function bareSendRequest(shape: BareSendShape, phone: string, outId: string): $Dysmsapi.SendSmsRequest {
  return new $Dysmsapi.SendSmsRequest({
    phoneNumbers: phone,
    signName: shape.signName,
    templateCode: shape.templateCode,
    templateParam: JSON.stringify(shape.templateParam),
    outId,
  });
}
