/**
 * Runs an emulator as a service (what `smsq emulator` does): listens, says where and which AccessKey
 * ID it accepts (never the secret), and closes on SIGTERM/SIGINT.
 */
import { SANDBOX_ACCESS_KEY } from '../sms/defaults.js';
import { createLogger, type Logger } from '../logger.js';
import { createEmulator } from './emulator.js';
import type { Emulator, EmulatorOptions } from './types.js';

export interface StandaloneOptions extends Omit<EmulatorOptions, 'logger'> {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1; 0.0.0.0 inside a container. */
  host?: string;
  /** Also serve the control endpoint (always on 127.0.0.1) on this port; 0 picks one. Default: none. */
  controlPort?: number;
  /** Default: an info-level smsq logger. */
  logger?: Logger;
  /** Close on SIGTERM/SIGINT. Default true. */
  handleSignals?: boolean;
}

export interface StandaloneEmulator {
  emulator: Emulator;
  host: string;
  port: number;
  /** `host:port` for `SMS_ENDPOINT` / the SDK's `endpoint`. */
  endpoint: string;
  control: { port: number; url: string; endpoint: string } | undefined;
  /** Closes the emulator; safe to call more than once. */
  close(): Promise<void>;
  /** Resolves once the emulator has closed (by `close()` or a signal). */
  closed: Promise<void>;
}

export async function runEmulatorStandalone(opts: StandaloneOptions = {}): Promise<StandaloneEmulator> {
  const { port = 0, host = '127.0.0.1', controlPort, handleSignals = true, ...emulatorOpts } = opts;
  const logger = opts.logger ?? createLogger({ level: 'info', base: { component: 'emulator' } });
  const accessKey = opts.accessKey ?? SANDBOX_ACCESS_KEY;
  const emulator = createEmulator({ ...emulatorOpts, accessKey, logger });
  const listening = await emulator.listen({ port, host });
  let control: StandaloneEmulator['control'];
  try {
    if (controlPort !== undefined) {
      const c = await emulator.listenControl({ port: controlPort });
      control = { ...c, endpoint: `127.0.0.1:${c.port}` };
    }
  } catch (err) {
    await emulator.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`emulator: ${signal}, closing`);
    void close();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await emulator.close();
      logger.info('emulator: closed');
      markClosed();
    })();
    return closing;
  };
  if (handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  logger.info(
    { endpoint: listening.endpoint, acceptedKeyId: accessKey.accessKeyId, control: control?.url },
    `emulator: Dysmsapi 2017-05-25 on http://${listening.endpoint}/ accepting AccessKey ID ${accessKey.accessKeyId}` +
      (control ? `; control on ${control.url}` : ''),
  );
  return { emulator, host: listening.host, port: listening.port, endpoint: listening.endpoint, control, close, closed };
}
