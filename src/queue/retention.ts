/**
 * How long a send's records (the send, its chunks, its recipients' receipts) stay in Redis, per
 * kind. A verification code's record is worth little once its receipt is in; a campaign's is read
 * for weeks (QuerySendDetails keeps details 30 days, so `smsq details` can still compare). Redis
 * holds the working set: the events stream and callbacks are how users keep history (docs/operations.md).
 */
import { MESSAGE_KINDS, type MessageKind } from './kinds.js';

/** Seconds each kind's records live after they are written. */
export type Retention = Readonly<Record<MessageKind, number>>;

const DAY_SECONDS = 86_400;

/** The longest retention a kind may have (days): SMSQ_RETENTION_DAYS's bound, and the options' (src/factory-options.ts). */
export const MAX_RETENTION_DAYS = 365;

export const DEFAULT_RETENTION_DAYS: Readonly<Record<MessageKind, number>> = Object.freeze({
  // The receipt window (72 h by default) plus a day: a code's receipt can still be applied and read.
  verification: 4,
  notification: 7,
  marketing: 30,
});

/** Retention in seconds from days per kind; kinds not named keep their default. */
export function retentionFromDays(days: Partial<Record<MessageKind, number>> = {}): Retention {
  const seconds: Partial<Record<MessageKind, number>> = {};
  for (const kind of MESSAGE_KINDS) if (days[kind] !== undefined) seconds[kind] = days[kind] * DAY_SECONDS;
  return resolveRetention({ retention: seconds });
}

/** The same seconds for every kind (the `retentionSeconds` option of earlier versions). */
export function uniformRetention(seconds: number): Retention {
  return resolveRetention({ retentionSeconds: seconds });
}

/**
 * The retention of the producer's and the worker's options: `retention` names kinds in seconds,
 * `retentionSeconds` covers the kinds it does not name, the defaults the rest.
 */
export function resolveRetention(options: { retention?: Partial<Record<MessageKind, number>>; retentionSeconds?: number }): Retention {
  const out = {} as Record<MessageKind, number>;
  for (const kind of MESSAGE_KINDS) out[kind] = options.retention?.[kind] ?? options.retentionSeconds ?? DEFAULT_RETENTION_DAYS[kind] * DAY_SECONDS;
  return Object.freeze(out);
}

/** The longest of the kinds: for records not tied to one send (the numbers smsq sent to, for opt-outs). */
export function longestRetention(retention: Retention): number {
  return Math.max(...MESSAGE_KINDS.map((kind) => retention[kind]));
}

/**
 * Why a kind's retention cannot work with this receipt window, or undefined. A chunk must outlive
 * its receipt window (the window sweep expires its recipients then, and late receipts are applied
 * to it until then) by a day, so that its last receipts can still be read.
 */
export function retentionProblem(retention: Retention, receiptWindowMs: number): { kind: MessageKind; minDays: number } | undefined {
  const minSeconds = Math.ceil(receiptWindowMs / 1000) + DAY_SECONDS;
  for (const kind of MESSAGE_KINDS) if (retention[kind] < minSeconds) return { kind, minDays: Math.ceil(minSeconds / DAY_SECONDS) };
  return undefined;
}
