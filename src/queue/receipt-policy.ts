import { createHash } from 'node:crypto';
import type { MessageKind } from './kinds.js';

/**
 * How receipts are learned for a kind of message:
 * - `all`: every accepted recipient is looked up with QuerySendDetails;
 * - `sample`: a deterministic share of recipients (`sampleRate`) is looked up;
 * - `none`: no look-ups; pushed SmsReports are the only source (the account pushes them).
 * Whatever the mode, a recipient without a final receipt when the window ends becomes `expired`.
 */
export interface ReceiptPolicy {
  mode: 'all' | 'sample' | 'none';
  /** Share of recipients looked up in `sample` mode, 0..1. */
  sampleRate: number;
}

export type ReceiptPolicies = Readonly<Record<MessageKind, ReceiptPolicy>>;

/**
 * Defaults: transactional messages are looked up one by one (an order pipeline wants each
 * outcome); marketing is sampled at 5% (campaign owners want rates, and every look-up costs one
 * call out of the account cap).
 */
export const DEFAULT_RECEIPT_POLICIES: ReceiptPolicies = Object.freeze({
  verification: { mode: 'all', sampleRate: 1 },
  notification: { mode: 'all', sampleRate: 1 },
  marketing: { mode: 'sample', sampleRate: 0.05 },
});

/**
 * Which of a kind's recipients the policy looks up: every one, none, or `some` (a sample, which
 * recipients decided by {@link isLookedUp}). `sample:1` reaches all, `sample:0` none.
 */
export function lookupReach(policy: ReceiptPolicy): 'all' | 'none' | 'some' {
  if (policy.mode === 'none') return 'none';
  if (policy.mode === 'all' || policy.sampleRate >= 1) return 'all';
  return policy.sampleRate <= 0 ? 'none' : 'some';
}

/** The policy as SMSQ_RECEIPT_LOOKUPS writes it for a kind: `all`, `none`, `sample:0.05`. */
export function receiptPolicyText(policy: ReceiptPolicy): string {
  return policy.mode === 'sample' ? `sample:${policy.sampleRate}` : policy.mode;
}

/** Whether this recipient is looked up under the policy (stable for a given send and number). */
export function isLookedUp(policy: ReceiptPolicy, sendId: string, phone: string): boolean {
  const reach = lookupReach(policy);
  if (reach !== 'some') return reach === 'all';
  const h = createHash('sha1').update(sendId).update(':').update(phone).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < policy.sampleRate;
}

/** When look-ups happen, measured from acceptance, and when the window closes. */
export interface ReceiptSchedule {
  /** Delays after acceptance for look 1, 2, ...; the last one repeats until the window ends. */
  lookDelaysMs: readonly number[];
  /** After this long without a final receipt, a recipient is `expired`. */
  windowMs: number;
}

/**
 * How often workers look for chunks whose window ended: a twentieth of the window, between 200 ms
 * and one minute (a 72 h window ends at most a minute late).
 */
export function windowSweepMs(schedule: ReceiptSchedule): number {
  return Math.min(60_000, Math.max(200, Math.round(schedule.windowMs / 20)));
}

/**
 * Most receipts arrive within a minute; some carriers report hours later, and Alibaba keeps
 * trying for up to 72 hours.
 */
export const DEFAULT_RECEIPT_SCHEDULE: ReceiptSchedule = Object.freeze({
  lookDelaysMs: [30_000, 120_000, 600_000, 3_600_000, 6 * 3_600_000],
  windowMs: 72 * 3_600_000,
});

/**
 * When look `look` (1-based) of a chunk accepted at `acceptedAt` should happen, or `undefined`
 * when it would fall after the receipt window. Delays are offsets from acceptance; past the end of
 * the list, the last gap repeats.
 */
export function lookAt(schedule: ReceiptSchedule, acceptedAt: number, look: number): number | undefined {
  const delays = schedule.lookDelaysMs;
  const last = delays.at(-1);
  if (last === undefined || look < 1) return undefined;
  const gap = delays.length > 1 ? last - (delays.at(-2) as number) : last;
  const offset = look <= delays.length ? (delays[look - 1] as number) : last + (look - delays.length) * gap;
  return offset < schedule.windowMs ? acceptedAt + offset : undefined;
}
