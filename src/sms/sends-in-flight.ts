/**
 * The SendSms / SendBatchSms calls a client has made and not yet had answered: what a process that
 * exits at once leaves `sending` (their chunks are looked up by reconcile, never resent blindly).
 */
import { SMS_CLIENT_METHODS } from './actions.js';
import type { SmsClient } from './types.js';

export interface SendsInFlight {
  /** `client`, counting its send calls. */
  client: SmsClient;
  /** Send calls made and not answered yet. */
  inFlight(): number;
}

const SENDS: ReadonlySet<keyof SmsClient> = new Set(['sendSms', 'sendBatchSms']);

export function countSendsInFlight(client: SmsClient): SendsInFlight {
  let open = 0;
  const counted = {} as Record<keyof SmsClient, unknown>;
  for (const name of SMS_CLIENT_METHODS) {
    const method = client[name] as (...args: unknown[]) => Promise<unknown>;
    counted[name] = SENDS.has(name)
      ? async (...args: unknown[]) => {
          open++;
          try {
            return await method.apply(client, args);
          } finally {
            open--;
          }
        }
      : (...args: unknown[]) => method.apply(client, args);
  }
  return { client: counted as SmsClient, inFlight: () => open };
}
