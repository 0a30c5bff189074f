/**
 * The official SDK client as smsq's client configures it (same endpoint, timeouts, User-Agent, no
 * retries), for the benches' baselines that call it directly.
 */
import DysmsapiModule from '@alicloud/dysmsapi20170525';
import { resolveClientOptions, sdkConfig, sdkRuntime } from '../../src/sms/client.js';

export interface BareSdkConfig {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  readTimeoutMs: number;
}

export function createBareSdk(cfg: BareSdkConfig) {
  const resolved = resolveClientOptions({
    endpoint: cfg.endpoint,
    protocol: 'http',
    readTimeoutMs: cfg.readTimeoutMs,
    credential: { kind: 'access-key', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret },
  });
  const Dysmsapi = (typeof DysmsapiModule.default === 'function' ? DysmsapiModule.default : DysmsapiModule) as typeof DysmsapiModule.default;
  return { sdk: new Dysmsapi(sdkConfig(resolved)), runtime: sdkRuntime(resolved) };
}
