/**
 * The official Alibaba SDK as smsq builds it: its client, request models and runtime options, and the
 * default credential chain. Loaded by `client.ts` only when a client is created (~40 MB resident once
 * loaded), so that importing the package for a producer without a catalog does not load it.
 */
import CredentialModule from '@alicloud/credentials';
import DysmsapiModule from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
// The SDK's RuntimeOptions class (a dependency of the SDK packages, not listed in package.json yet).
import { RuntimeOptions } from '@darabonba/typescript';
import type { ResolvedSmsClientOptions } from './resolved-options.js';
import { CredentialResolutionError } from './errors.js';

/** The SDK's request models (`new models.SendSmsRequest()`). */
export * as models from '@alicloud/dysmsapi20170525';

/**
 * The SDK packages are CommonJS with `exports.default = Class`. Node's ESM loader hands us
 * `module.exports` (class under `.default`); bundler-style interop (vitest, tsx in some modes) hands us
 * the class itself. Accept both.
 */
function cjsDefault<T>(mod: { default: T }): T {
  const exported = (mod as { default?: unknown }).default;
  return (typeof exported === 'function' ? exported : mod) as T;
}
/** The SDK's client class, whatever the module interop (also for the emulator's test client). */
export const DysmsapiSdk = cjsDefault(DysmsapiModule);
const Credential = cjsDefault(CredentialModule);
export type SdkClient = InstanceType<typeof DysmsapiSdk>;
/**
 * The default chain, with its failures marked: the chain throws a plain `Error` before any request is
 * written, which must not look like an unknown transport failure.
 */
class DefaultChainCredential extends Credential {
  override async getCredential(): ReturnType<InstanceType<typeof Credential>['getCredential']> {
    try {
      return await super.getCredential();
    } catch (e) {
      throw new CredentialResolutionError(e);
    }
  }
}

/**
 * Resolves the default credential chain as the client will, without calling Dysmsapi: the
 * environment, OIDC, the CLI and credentials profiles, an ECS RAM role (the instance's metadata
 * service) and a credentials URI. Resolves with the provider that answered (never the key);
 * rejects with a {@link CredentialResolutionError} when none does.
 */
export async function resolveDefaultCredentials(): Promise<{ provider: string }> {
  const credential = await new DefaultChainCredential().getCredential();
  return { provider: credential.providerName ?? credential.type ?? 'default' };
}

/** The SDK config for resolved options. */
function sdkConfig(options: ResolvedSmsClientOptions): $OpenApiUtil.Config {
  const config = new $OpenApiUtil.Config({
    endpoint: options.endpoint,
    protocol: options.protocol,
    readTimeout: options.readTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    userAgent: options.userAgent,
    // No retryOptions: the SDK then makes exactly one attempt per call.
  });
  if (options.credential.kind === 'access-key') {
    config.accessKeyId = options.credential.accessKeyId;
    config.accessKeySecret = options.credential.accessKeySecret;
    if (options.credential.securityToken) config.securityToken = options.credential.securityToken;
  } else {
    config.credential = new DefaultChainCredential();
  }
  return config;
}

/**
 * The official SDK client and its runtime options exactly as `createSmsClient` (client.ts) uses them: for
 * the benchmarks' bare-SDK baselines, which must differ from smsq only by smsq's own code.
 */
export function createSdk(options: ResolvedSmsClientOptions): { sdk: SdkClient; runtime: RuntimeOptions } {
  return { sdk: new DysmsapiSdk(sdkConfig(options)), runtime: sdkRuntime(options) };
}

/** The SDK's runtime options for resolved options: no automatic retries, our timeouts. */
function sdkRuntime(options: ResolvedSmsClientOptions): RuntimeOptions {
  // `autoretry`/`maxAttempts` are ignored by this SDK generation; set anyway so a future SDK that reads them stays off.
  // Never set `keepAlive` here: the SDK would build a new http.Agent per call. Its default agent keeps connections alive.
  return new RuntimeOptions({ autoretry: false, maxAttempts: 1, readTimeout: options.readTimeoutMs, connectTimeout: options.connectTimeoutMs });
}
