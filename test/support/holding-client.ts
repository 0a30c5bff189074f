/**
 * A worker's SMS client that holds the answers of SendSms calls naming given numbers until the test
 * lets them go: the call is made and answered by the emulator at once, and the worker sees the
 * answer only on release. For tests that need a worker busy with a call, or a throttle answer
 * held back, at a chosen moment (throttle-stale-fetch.test.ts).
 */
import type { SmsClient } from '../../src/sms/types.js';

export interface HeldAnswers {
  /** `client` of worker `worker`, with the answers of calls naming a held number held back. */
  wrap(client: SmsClient, worker: string): SmsClient;
  /** The worker whose call named `phone`, once one did. */
  calledBy(phone: string): string | undefined;
  /** Resolves once a call naming `phone` was answered by the emulator and is held. */
  answered(phone: string): Promise<void>;
  /** Hands the held answer (and any later one) for `phone` to its worker. */
  release(phone: string): void;
  /** Whether `phone`'s answer was released. */
  released(phone: string): boolean;
}

/** Holds the answers for `phones` (as the worker writes them: normalised, bare digits). */
export function holdAnswers(phones: readonly string[]): HeldAnswers {
  const gates = new Map(
    phones.map((phone) => {
      let open!: () => void;
      let seen!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      const answered = new Promise<void>((resolve) => (seen = resolve));
      return [phone, { opened, open, answered, seen, isOpen: false, by: undefined as string | undefined }];
    }),
  );
  const gateOf = (req: { phoneNumbers: string[] }) => req.phoneNumbers.map((p) => gates.get(p)).find((g) => g !== undefined);
  return {
    wrap: (client, worker) => ({
      ...client,
      async sendSms(req) {
        const outcome = await client.sendSms(req);
        const gate = gateOf(req);
        if (gate) {
          gate.by ??= worker;
          gate.seen();
          await gate.opened;
        }
        return outcome;
      },
    }),
    answered: (phone) => gates.get(phone)?.answered ?? Promise.reject(new Error(`${phone} is not held`)),
    release(phone) {
      const gate = gates.get(phone);
      if (!gate) throw new Error(`${phone} is not held`);
      gate.isOpen = true;
      gate.open();
    },
    released: (phone) => gates.get(phone)?.isOpen ?? false,
    calledBy: (phone) => gates.get(phone)?.by,
  };
}
