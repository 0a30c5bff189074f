import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { freePort } from '../../src/runtime/private-redis.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import type { SmsClient } from '../../src/sms/types.js';

/**
 * An SMS endpoint that refuses connections until `comeUp()`: a port nothing listens on, a client
 * that calls it, and an emulator started on that port when asked (closed by the caller).
 */
export async function lateEndpoint(): Promise<{ port: number; client: SmsClient; comeUp(): Promise<Emulator> }> {
  const port = await freePort();
  const client = createSmsClient({ endpoint: `127.0.0.1:${port}`, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  return {
    port,
    client,
    async comeUp() {
      const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 } });
      await emulator.listen({ port });
      return emulator;
    },
  };
}
