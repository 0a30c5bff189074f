/**
 * The official SDK pointed at an emulator: what the integration tests and benchmarks use to talk to
 * it exactly as production code talks to Alibaba.
 */
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { SANDBOX_ACCESS_KEY } from '../sms/defaults.js';
import { DysmsapiSdk } from '../sms/sdk.js';
import type { EmulatorAccessKey } from './types.js';

/** The SDK's client class (resolved once, in src/sms/client.ts). */
export const DysmsapiClient = DysmsapiSdk;
export type DysmsapiClient = InstanceType<typeof DysmsapiSdk>;

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
