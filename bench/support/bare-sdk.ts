/**
 * The official SDK client as smsq's client configures it (same endpoint, timeouts, User-Agent, no
 * retries), for the benches' baselines that call it directly.
 */
import { createSdk, resolveClientOptions } from '../../src/sms/client.js';

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
