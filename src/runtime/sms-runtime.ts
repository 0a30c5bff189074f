/**
 * Opens the Dysmsapi side of smsq for any process that needs it (CLI, workers, producers): a
 * client pointed where the configuration says, and in sandbox mode an in-process emulator when no
 * standalone one is configured. Free of CLI concerns on purpose.
 */
import type { Config } from '../config.js';
import { LIVE_ENDPOINT, SANDBOX_ACCESS_KEY } from '../sms/defaults.js';
import type { Logger } from '../logger.js';
import { createSmsClient, loadSmsSdk, resolveDefaultCredentials, SmsClientOptionsError } from '../sms/client.js';
import { CredentialResolutionError } from '../sms/errors.js';
import { clientOptionsFromConfig } from './sms-client-options.js';
import type { SmsClient } from '../sms/types.js';

export interface SmsRuntimeOptions {
  /** Validated configuration: mode, endpoint, protocol, timeouts and the sandbox AccessKey. */
  config: Config;
  /** Receives the sandbox warning (and the in-process emulator's lines). */
  logger: Logger;
}

export interface SmsRuntime {
  /** The client every Dysmsapi call goes through. */
  client: SmsClient;
  /** `host:port` the client calls. */
  endpoint: string;
  /** True in sandbox mode: nothing reaches Alibaba Cloud. */
  sandbox: boolean;
  /** Stops the in-process emulator, if one was started. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * - `live`: a client for `config.endpoint` (default `dysmsapi.aliyuncs.com`) using the SDK's
 *   default credential chain.
 * - `sandbox` with `config.endpoint`: a client for that standalone emulator (e.g. docker-compose).
 * - `sandbox` without an endpoint: starts an emulator in this process on a free loopback port,
 *   accepting `config.accessKey` or {@link SANDBOX_ACCESS_KEY}, and points the client at it.
 *
 * Sandbox mode always logs a warning saying so.
 */
export async function openSmsRuntime({ config, logger }: SmsRuntimeOptions): Promise<SmsRuntime> {
  // Whatever the mode: a broken install fails here, and the first call does not wait for the load.
  await loadSmsSdk();
  if (config.mode === 'live') {
    const endpoint = config.endpoint ?? LIVE_ENDPOINT;
    logger.debug({ endpoint, protocol: config.protocol }, 'live mode: calls go to Alibaba Cloud Dysmsapi');
    return { client: createSmsClient(clientOptionsFromConfig(config, { logger })), endpoint, sandbox: false, close: async () => {} };
  }

  if (config.endpoint !== undefined) {
    warnSandbox(logger, config.endpoint, 'a standalone emulator');
    return { client: createSmsClient(clientOptionsFromConfig(config, { logger })), endpoint: config.endpoint, sandbox: true, close: async () => {} };
  }

  const accessKey = config.accessKey ?? SANDBOX_ACCESS_KEY;
  // Loaded here and only here: a live process never loads the emulator's code (a lint rule and
  // test/unit/sms-runtime-loading.test.ts hold this).
  const { createEmulator } = await import('../emulator/emulator.js');
  const emulator = createEmulator({ accessKey, logger: logger.child({ component: 'emulator' }) });
  const { endpoint } = await emulator.listen({ port: 0, host: '127.0.0.1' });
  warnSandbox(logger, endpoint, 'an emulator inside this process');
  let closed: Promise<void> | undefined;
  try {
    const client = createSmsClient(clientOptionsFromConfig({ ...config, endpoint, protocol: 'http', accessKey }, { logger }));
    return {
      client,
      endpoint,
      sandbox: true,
      close: () => (closed ??= emulator.close()),
    };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}

/** The variables to set when live mode finds no credential (the chain's sources, most common first). */
export const CREDENTIAL_FIX =
  'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_PROFILE with ~/.alibabacloud/credentials, ' +
  'ALIBABA_CLOUD_ECS_METADATA for an ECS RAM role, ALIBABA_CLOUD_CREDENTIALS_URI), or SMS_MODE=sandbox to run without an account';

/**
 * Live mode: that the default credential chain yields a credential, resolved on this machine (the
 * environment, profiles, an ECS RAM role, a credentials URI) with no Dysmsapi call, which would
 * count against the account. Resolves with the provider that answered. Without one, a worker would
 * start and block the account at its first job.
 */
export async function confirmLiveCredentials(): Promise<string> {
  // Its own refusal: the chain's would say "no credential" for an SDK that did not load.
  await loadSmsSdk();
  try {
    return (await resolveDefaultCredentials()).provider;
  } catch (err) {
    const why = err instanceof CredentialResolutionError ? err.tried : err instanceof Error ? err.message : String(err);
    throw new SmsClientOptionsError(`SMS_MODE=live and no Alibaba Cloud credential was found (${why}). Fix: ${CREDENTIAL_FIX}`);
  }
}

function warnSandbox(logger: Logger, endpoint: string, where: string): void {
  logger.warn(
    { mode: 'sandbox', endpoint },
    `SANDBOX MODE: no SMS leaves this machine; calls go to the smsq emulator at ${endpoint} (${where}). Set SMS_MODE=live to send for real.`,
  );
}
