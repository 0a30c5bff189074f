import type { MessageKind } from './kinds.js';

/**
 * When to try a number again after `isv.BUSINESS_LIMIT_CONTROL`. Alibaba's windows are aligned to
 * the China Standard Time clock (verification codes: 1 a minute, 5 an hour, 10 a day; others: 50 a
 * day per signature + template), so a retry waits for the next boundary of the window it is
 * likely stuck in, each retry a larger window. Never hammered: at most one try per window.
 */
export type FlowWindow = 'minute' | 'hour' | 'day';

/** Per kind, the windows to wait for, in order; when they are used up the recipient fails. */
export type FlowControlPolicy = Readonly<Record<MessageKind, readonly FlowWindow[]>>;

/**
 * Defaults: a verification code is worth one retry after the minute (later it is stale);
 * a notification waits for the minute, then the hour; marketing is not retried (its limit is daily).
 */
export const DEFAULT_FLOW_CONTROL_POLICY: FlowControlPolicy = Object.freeze({
  verification: ['minute'],
  notification: ['minute', 'hour'],
  marketing: [],
});

const CST_OFFSET_MS = 8 * 3600_000;
const WINDOW_MS: Record<FlowWindow, number> = { minute: 60_000, hour: 3600_000, day: 86_400_000 };

/** The first instant after `now` where the window (aligned to UTC+8) starts again. */
export function nextWindowStart(now: number, window: FlowWindow): number {
  const size = WINDOW_MS[window];
  const local = now + CST_OFFSET_MS;
  return local - (local % size) + size - CST_OFFSET_MS;
}

/**
 * When to retry a recipient refused by flow control for the `retriesSoFar`-th time, or
 * `undefined` when the policy says to fail it. A small spread avoids a burst at the boundary.
 */
export function flowControlRetryAt(
  policy: FlowControlPolicy,
  kind: MessageKind,
  retriesSoFar: number,
  now: number,
  spreadMs = 0,
): number | undefined {
  const window = policy[kind][retriesSoFar];
  if (window === undefined) return undefined;
  return nextWindowStart(now, window) + spreadMs;
}
