/**
 * The official SDK pointed at an emulator: what the integration tests and benchmarks use to talk to
 * it exactly as production code talks to Alibaba.
 */
import DysmsapiModule from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { SANDBOX_ACCESS_KEY } from '../config.js';
import type { EmulatorAccessKey } from './types.js';

/**
 * The SDK's client class: the CommonJS module's `default` export. Node's ESM loader hands over
 * `module.exports` (class under `.default`), bundler-style interop (vitest) the class itself.
 */
const moduleDefault = (DysmsapiModule as { default?: unknown }).default;
export const DysmsapiClient = (typeof moduleDefault === 'function' ? moduleDefault : DysmsapiModule) as typeof DysmsapiModule.default;
export type DysmsapiClient = InstanceType<typeof DysmsapiModule.default>;

export interface EmulatorSdkClientOptions {
  /** Default `SANDBOX_ACCESS_KEY`. */
  accessKey?: EmulatorAccessKey;
  /** Default 3000 ms, as the SDK. */
  readTimeout?: number;
  /** Default 3000 ms, as the SDK. */
  connectTimeout?: number;
}

/** A real SDK client for `endpoint` (`host:port`) over plain HTTP. */
export function createEmulatorSdkClient(endpoint: string, opts: EmulatorSdkClientOptions = {}): DysmsapiClient {
  const key = opts.accessKey ?? SANDBOX_ACCESS_KEY;
  return new DysmsapiClient(
    new $OpenApiUtil.Config({
      endpoint,
      protocol: 'http',
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      readTimeout: opts.readTimeout ?? 3000,
      connectTimeout: opts.connectTimeout ?? 3000,
    }),
  );
}
