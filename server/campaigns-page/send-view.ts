/**
 * What the campaigns page says about a send, computed from its status: the segments of its
 * progress bar, its delivered ratio, its state in words (state, control and any wait reason the
 * status carries, rendered generically so new states and reasons show without a change here), the
 * controls that apply, and what a failure code means. Pure: the renderer and the tests use it.
 */
import { SMSQ_CODES, type SmsqCode } from '../../src/errors.js';
import type { SendStatus } from '../../src/queue/send-store.js';
import { isSendEnded, isSentInFull } from '../../src/queue/lifecycle.js';
import { lookupCode } from '../../src/sms/error-codes.js';
import { RECEIPT_CODES, RECEIPT_CODES_DOC } from '../../src/sms/receipt-codes.js';
import { cstDateTime } from '../../src/sms/dates.js';
import { waitText as sendWaitWords, type SendWait } from '../../src/queue/send-wait.js';

/** The bar's segments, in the order drawn, with their colours. `sending` includes `unknown` (looked up). */
export const BAR_SEGMENTS = [
  { state: 'delivered', colour: '#2e7d32', label: 'delivered' },
  { state: 'accepted', colour: '#81c784', label: 'accepted, receipt awaited' },
  { state: 'sending', colour: '#ffb300', label: 'sending' },
  { state: 'queued', colour: '#cfd8dc', label: 'queued' },
  { state: 'failed', colour: '#e53935', label: 'failed' },
  { state: 'expired', colour: '#8d6e63', label: 'expired' },
  { state: 'cancelled', colour: '#607d8b', label: 'cancelled' },
  { state: 'suppressed', colour: '#9575cd', label: 'opted out' },
  { state: 'rejected', colour: '#f06292', label: 'rejected at the door' },
] as const;

export type BarState = (typeof BAR_SEGMENTS)[number]['state'];

export interface BarSegment {
  state: BarState;
  colour: string;
  label: string;
  recipients: number;
  /** Share of the bar, 0..100. */
  percent: number;
}

/** Recipients per bar segment. */
export function barCounts(counts: SendStatus['counts']): Record<BarState, number> {
  return {
    delivered: counts.delivered,
    accepted: counts.accepted,
    sending: counts.sending + counts.unknown,
    queued: counts.queued,
    failed: counts.failed,
    expired: counts.expired,
    cancelled: counts.cancelled,
    suppressed: counts.suppressed,
    rejected: counts.rejected,
  };
}

/** The bar: one segment per state with recipients. */
export function progressBar(counts: SendStatus['counts']): { total: number; segments: BarSegment[] } {
  const n = barCounts(counts);
  const total = Object.values(n).reduce((a, b) => a + b, 0);
  const segments = BAR_SEGMENTS.filter((s) => n[s.state] > 0).map((s) => ({ ...s, recipients: n[s.state], percent: total === 0 ? 0 : (100 * n[s.state]) / total }));
  return { total, segments };
}

/**
 * Recipients past the API (answered, or ended by their receipt window or deadline), of those
 * queued: how far the send got; `cancelled`, those a cancel stopped before their call, apart: a
 * cancelled campaign that made no call read "3000 of 3000 past the API".
 */
export function pastTheApi(counts: SendStatus['counts']): { done: number; of: number; cancelled: number } {
  const of = counts.queued + counts.sending + counts.unknown + counts.accepted + counts.delivered + counts.failed + counts.expired + counts.cancelled;
  return { done: of - counts.queued - counts.sending - counts.unknown - counts.cancelled, of, cancelled: counts.cancelled };
}

/** Delivered recipients of those queued, as a percentage (undefined with none queued). */
export function deliveredRatio(status: SendStatus): { delivered: number; of: number; percent: number | undefined } {
  const of = status.send.recipients;
  return { delivered: status.counts.delivered, of, percent: of > 0 ? (100 * status.counts.delivered) / of : undefined };
}

/**
 * A wait reason in words: the words of `smsq status` for a reason smsq knows, and, for one it does
 * not (a newer producer's), its fields as they are, whatever shape the status gives it.
 */
export function waitText(wait: unknown, sendId?: string): string | undefined {
  if (wait === undefined || wait === null || wait === '') return undefined;
  if (typeof wait === 'string' || typeof wait === 'number' || typeof wait === 'boolean') return String(wait);
  if (typeof wait === 'object') {
    const known = knownWaitWords(wait, sendId);
    if (known !== undefined) return known;
    const fields = wait as Record<string, unknown>;
    const head = typeof fields.reason === 'string' ? fields.reason : typeof fields.kind === 'string' ? fields.kind : undefined;
    const rest = Object.entries(fields)
      .filter(([k, v]) => v !== undefined && v !== null && (k !== 'reason' || head !== fields.reason) && (k !== 'kind' || head !== fields.kind))
      .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    return [head, ...rest].filter(Boolean).join(', ');
  }
  return undefined;
}

function knownWaitWords(wait: object, sendId: string | undefined): string | undefined {
  // The words take the times as epoch ms: a wait carrying them otherwise (a string) is shown as it is.
  const fields = wait as Record<string, unknown>;
  if (['until', 'retryAt', 'since'].some((k) => fields[k] !== undefined && typeof fields[k] !== 'number')) return undefined;
  // A reason the words do not know falls through their switch to undefined.
  return sendWaitWords(wait as SendWait, sendId) as string | undefined;
}

/** The lines of a send's state: its state, its control when not active (with the reason), why it waits (the status's `wait`). */
export function stateLines(status: SendStatus): { state: string; control: string | undefined; reason: string | undefined; wait: string | undefined } {
  const send = status.send;
  const reason = send.control !== 'active' ? send.controlReason : send.state === 'failed' ? [send.code, send.reason].filter(Boolean).join(': ') || undefined : undefined;
  // A control equal to the state (paused · paused) is said once.
  return { state: send.state, control: send.control !== 'active' && send.control !== send.state ? send.control : undefined, reason, wait: waitText(status.wait as unknown, send.sendId) };
}

export type ControlAction = 'pause' | 'resume' | 'cancel';

/** The controls a send takes now (the producer refuses the rest anyway). */
export function controlsFor(status: SendStatus): ControlAction[] {
  const { control, state } = status.send;
  if (control === 'cancelled' || state === 'failed') return [];
  // Nothing is left to cancel of a send sent in full: its cancel is refused (SMSQ_SEND_ALREADY_SENT).
  if (control === 'paused') return isSentInFull(state) ? ['resume'] : ['resume', 'cancel'];
  // Nor to pause, of one sent in full or ended: its pause changed nothing (the control stayed
  // active) and said nothing, and is refused (the page's POST, campaigns.ts).
  if (isSentInFull(state) || isSendEnded(state)) return [];
  return ['pause', 'cancel'];
}

/** What a code means: smsq's own list, then the Dysmsapi code list. */
export function codeMeaning(code: string): string {
  if (code in SMSQ_CODES) return SMSQ_CODES[code as SmsqCode].meaning;
  const known = lookupCode(code)?.info.meaning;
  if (known !== undefined) return known;
  // Not an API answer: a carrier's code from a delivery receipt, most likely (a failed receipt is final).
  const receipt = RECEIPT_CODES[code];
  if (receipt !== undefined) return `${receipt} (a carrier's code from a delivery receipt: ${RECEIPT_CODES_DOC})`;
  return `not in smsq's code list: a carrier's code from a delivery receipt, passed on as it came (its receipt's err_msg has its text): see ${RECEIPT_CODES_DOC}`;
}

/** The one time format of every output: China time with its offset. */
export function chinaTime(ms: number): string {
  return `${cstDateTime(ms)} +08:00`;
}
