/**
 * A worker's SMS client that notes when each SendSms call was made and answered, for tests that
 * check a throttle pause against what each worker knew and when (throttle-resume.test.ts,
 * throttle-waiting-claims.test.ts) rather than against the emulator's clock.
 */
import type { SmsClient } from '../../src/sms/types.js';

/** A SendSms call as its worker's client saw it. */
export interface ClientCall {
  worker: number;
  /** When it was made: in the same run of code as its claim's pause check (send-processor.ts). */
  madeAt: number;
  answeredAt: number;
  code: string;
}

/** `client` for worker `worker`, noting its SendSms calls in `calls`. */
export function notingClient(client: SmsClient, worker: number, calls: ClientCall[]): SmsClient {
  return {
    ...client,
    async sendSms(req) {
      const madeAt = Date.now();
      const outcome = await client.sendSms(req);
      calls.push({ worker, madeAt, answeredAt: Date.now(), code: outcome.ok ? 'OK' : outcome.error.code });
      return outcome;
    },
  };
}
