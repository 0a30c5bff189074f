import { ValidationError } from '../src/errors.js';
import { isSendEnded, UNSENT_CHUNK_STATES } from '../src/queue/lifecycle.js';
import type { SendStatus } from '../src/queue/send-store.js';
import { countIn } from '../src/receipts/completion.js';
import { pause } from '../src/pause.js';

/**
 * What {@link waitForSend} waits for: `sent`, every recipient handed to Alibaba or final (none
 * queued, being sent or with an unknown outcome; receipts are not waited for), what `smsq send
 * --wait` waits for; `ended`, the send in an end state (completed, cancelled, expired, failed),
 * receipts included, when its callback goes.
 */
export type SendMilestone = 'sent' | 'ended';

export interface WaitForSendOptions {
  /** Default `sent`. */
  until?: SendMilestone;
  /** Gives up after this long (ms), answering the status as it is then. Default: no limit. */
  timeoutMs?: number;
  /** Gives up when it aborts, answering the status as it is then. */
  signal?: AbortSignal;
  /** Between two looks at the status (ms, at least 50). Default 250. */
  pollMs?: number;
}

export interface WaitForSendResult {
  /** The status it ended on. */
  status: SendStatus;
  /** Whether the send reached `until`; false when the wait gave up first. */
  reached: boolean;
}

const MILESTONES: readonly SendMilestone[] = ['sent', 'ended'];

/** Whether `status` is at `until`. */
export function sendReached(status: SendStatus, until: SendMilestone): boolean {
  if (until === 'ended') return isSendEnded(status.send.state);
  return status.send.state !== 'enqueuing' && countIn(status.counts, UNSENT_CHUNK_STATES) === 0;
}

/**
 * Looks at a send's status (through `getStatus`) every `pollMs` until it reaches `until`, the
 * timeout passes or the signal aborts. Bad options throw ValidationError before any look.
 */
export async function waitForSend(getStatus: (sendId: string) => Promise<SendStatus>, sendId: string, opts: WaitForSendOptions = {}): Promise<WaitForSendResult> {
  const until = opts.until ?? 'sent';
  const pollMs = opts.pollMs ?? 250;
  const issues = [
    ...(MILESTONES.includes(until) ? [] : [{ field: 'until', message: `must be one of ${MILESTONES.join(', ')}, got ${JSON.stringify(until)}` }]),
    ...(opts.timeoutMs === undefined || (Number.isInteger(opts.timeoutMs) && opts.timeoutMs > 0) ? [] : [{ field: 'timeoutMs', message: `must be a positive whole number of milliseconds, got ${String(opts.timeoutMs)}. Fix: leave it out to wait without a limit` }]),
    ...(Number.isInteger(pollMs) && pollMs >= 50 ? [] : [{ field: 'pollMs', message: `must be a whole number of milliseconds, at least 50, got ${String(pollMs)}` }]),
  ];
  if (issues.length) throw new ValidationError(issues);
  const giveUpAt = opts.timeoutMs === undefined ? Infinity : performance.now() + opts.timeoutMs;
  for (;;) {
    const status = await getStatus(sendId);
    if (sendReached(status, until)) return { status, reached: true };
    const left = giveUpAt - performance.now();
    if (left <= 0 || opts.signal?.aborted) return { status, reached: false };
    await pause(Math.min(pollMs, left), opts.signal);
  }
}
