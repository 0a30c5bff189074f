import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_CONTROL_POLICY, flowControlRetryAt, nextWindowStart } from '../../src/queue/flow-control-policy.js';

// 2026-03-26 23:59:30 in China (UTC+8) is 15:59:30 UTC.
const cst = (iso: string) => Date.parse(`${iso}+08:00`);

describe('flow-control windows (aligned to UTC+8)', () => {
  it('finds the next minute, hour and day boundary in China time', () => {
    const now = cst('2026-03-26T23:59:30');
    expect(nextWindowStart(now, 'minute')).toBe(cst('2026-03-27T00:00:00'));
    expect(nextWindowStart(cst('2026-03-26T10:15:00'), 'hour')).toBe(cst('2026-03-26T11:00:00'));
    expect(nextWindowStart(cst('2026-03-26T07:00:00'), 'day')).toBe(cst('2026-03-27T00:00:00'));
    // A boundary itself moves to the next one (the current window is the exhausted one).
    expect(nextWindowStart(cst('2026-03-26T10:00:00'), 'hour')).toBe(cst('2026-03-26T11:00:00'));
  });

  it('escalates window by window and then gives up', () => {
    const now = cst('2026-03-26T10:15:20');
    const p = DEFAULT_FLOW_CONTROL_POLICY;
    expect(flowControlRetryAt(p, 'notification', 0, now)).toBe(cst('2026-03-26T10:16:00'));
    expect(flowControlRetryAt(p, 'notification', 1, now)).toBe(cst('2026-03-26T11:00:00'));
    expect(flowControlRetryAt(p, 'notification', 2, now)).toBeUndefined();
    expect(flowControlRetryAt(p, 'verification', 1, now)).toBeUndefined();
    expect(flowControlRetryAt(p, 'marketing', 0, now)).toBeUndefined();
  });
});
