/**
 * An emulator on a manual clock, the CLI's environment pointed at it, and an SDK client to send
 * the history (QuerySendDetails, QuerySendStatistics) that a test of `smsq details` or `stats` reads.
 */
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import type { SmsClient } from '../../src/sms/types.js';

export interface HistoryEmulator {
  emulator: Emulator;
  /** The emulator's time and the CLI's (pass it as the run's `clock`). */
  clock: ManualClock;
  /** For `runSmsqInProcess`: sandbox mode at this emulator, only errors logged. */
  env: NodeJS.ProcessEnv;
  /** Sends through the emulator, as a worker would. */
  client: SmsClient;
}

/** Listens on a free port, its clock at `now`; receipts due at once. Close `emulator` after. */
export async function startHistoryEmulator(now: number): Promise<HistoryEmulator> {
  const clock = createManualClock(now);
  const emulator = createEmulator({ clock, delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  return { emulator, clock, env: { SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'error' }, client };
}
