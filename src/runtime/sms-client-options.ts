/**
 * Maps the environment's {@link Config} to {@link SmsClientOptions}. It sits here, at the edge where
 * configuration is read, so that the SMS client knows only its own options and never the config
 * module (nor, through it, the queue and receipts code the config describes).
 */
import type { Config } from '../config.js';
import { SmsClientOptionsError, type SmsClientOptions } from '../sms/client.js';
import { LIVE_ENDPOINT, SANDBOX_ACCESS_KEY } from '../sms/defaults.js';

/** The parts of the configuration that say where the client calls and how it signs. */
export type SmsClientConfig = Pick<Config, 'mode' | 'endpoint' | 'protocol' | 'readTimeoutMs' | 'accessKey'>;

/**
 * Live mode signs with the default credential chain. Sandbox mode signs with `config.accessKey` or
 * {@link SANDBOX_ACCESS_KEY} and needs an endpoint: when `config.endpoint` is unset the caller
 * starts an emulator and passes its endpoint.
 */
export function clientOptionsFromConfig(config: SmsClientConfig, extra: Pick<SmsClientOptions, 'logger' | 'userAgent'> = {}): SmsClientOptions {
  const base = { protocol: config.protocol, readTimeoutMs: config.readTimeoutMs, ...extra };
  if (config.mode === 'live') {
    return { ...base, endpoint: config.endpoint ?? LIVE_ENDPOINT, credential: { kind: 'default-chain' } };
  }
  if (config.endpoint === undefined) {
    throw new SmsClientOptionsError(
      'sandbox mode has no endpoint: start the emulator (createEmulator().listen()) and pass its endpoint as config.endpoint, or set SMS_ENDPOINT=host:port',
    );
  }
  const key = config.accessKey ?? SANDBOX_ACCESS_KEY;
  return {
    ...base,
    endpoint: config.endpoint,
    credential: { kind: 'access-key', accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret },
  };
}
