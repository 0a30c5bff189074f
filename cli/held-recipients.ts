/**
 * Why the recipients a `--wait` is waiting for have not gone out, from their own states and codes.
 * The send's counts say "1 pending" for a minute while Alibaba's per-number flow control holds a
 * verification code; the recipient's code says why.
 */
import type { RecipientState } from '../src/receipts/send-recipients.js';
import { classifyCode } from '../src/sms/error-codes.js';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What holds the recipients not yet past the API, in words; undefined when nothing is worth saying. */
export function heldNote(recipients: Iterable<Pick<RecipientState, 'state' | 'code'>>): string | undefined {
  let sending = 0;
  let inDoubt = 0;
  const flowHeld = new Map<string, number>();
  const queuedAfter = new Map<string, number>();
  for (const r of recipients) {
    if (r.state === 'sending') sending++;
    else if (r.state === 'unknown') inDoubt++;
    else if (r.state !== 'queued' || r.code === undefined || r.code === '' || r.code === 'OK') continue;
    else {
      // The error-code table says which codes are per-number flow control.
      const held = classifyCode(r.code).errorClass === 'flow_control' ? flowHeld : queuedAfter;
      held.set(r.code, (held.get(r.code) ?? 0) + 1);
    }
  }
  const parts: string[] = [];
  for (const [code, n] of flowHeld) {
    parts.push(`${plural(n, 'recipient is', 'recipients are')} held by per-number flow control (${code}: Alibaba caps what one number gets a minute, an hour and a day); smsq tries again when the window opens`);
  }
  for (const [code, n] of queuedAfter) parts.push(`${plural(n, 'recipient waits', 'recipients wait')} to be sent again after ${code}`);
  if (sending > 0) parts.push(`${plural(sending, 'recipient is', 'recipients are')} in a call, or in one whose answer was lost and is being looked up before any resend`);
  if (inDoubt > 0) parts.push(`${plural(inDoubt, 'recipient is', 'recipients are')} in doubt (the call timed out or failed in transit) and looked up before any resend`);
  return parts.length ? parts.join('; ') : undefined;
}
