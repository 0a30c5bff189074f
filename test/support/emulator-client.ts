import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createSmsClient } from '../../src/sms/client.js';
import type { SmsClient } from '../../src/sms/types.js';

/**
 * The project's Dysmsapi emulator listening on a free port (deliveries after 50 ms, none failing)
 * and an SMS client of the real SDK over HTTP to it (`endpoint`, for a CLI run's SMS_ENDPOINT);
 * `onClose` is given what closes the emulator.
 */
export async function startEmulatorClient(onClose: (close: () => Promise<void>) => void): Promise<{ emulator: Emulator; client: SmsClient; endpoint: string }> {
  const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 } });
  const { endpoint } = await emulator.listen();
  onClose(() => emulator.close());
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  return { emulator, client, endpoint };
}
