/** A worker's clock against Redis's (src/clock-skew.ts) and the records the workers keep of it (src/metrics/clock-skews.ts). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { clockSkewOf, DEFAULT_CLOCK_SKEW_WARN_MS, skewPastThreshold, skewText } from '../../src/clock-skew.js';
import { clockSkewField, clockSkewWarning, parseClockSkews, type ClockSkewRecord } from '../../src/metrics/clock-skews.js';

describe('clock skew', () => {
  it("is the process clock at the middle of the round trip minus Redis's TIME", () => {
    // Redis said 1000.000500 s; the process read 970_000 before and 970_040 after: 30 s behind.
    expect(clockSkewOf(970_000, ['1000', '500'], 970_040)).toEqual({ skewMs: 970_020 - 1_000_000, roundTripMs: 40 });
    expect(clockSkewOf(1_000_000, [1000, 0], 1_000_000)).toEqual({ skewMs: 0, roundTripMs: 0 });
  });

  it('is past the threshold only beyond what the round trip leaves uncertain', () => {
    expect(skewPastThreshold({ skewMs: 1200, roundTripMs: 100 }, 1000)).toBe(true);
    expect(skewPastThreshold({ skewMs: -1200, roundTripMs: 100 }, 1000)).toBe(true);
    // A slow TIME (a 500 ms round trip) is not taken for a skew.
    expect(skewPastThreshold({ skewMs: 1200, roundTripMs: 500 }, 1000)).toBe(false);
    expect(skewPastThreshold({ skewMs: 1000, roundTripMs: 0 }, 1000)).toBe(false);
  });

  it('is said in ms or s, ahead or behind', () => {
    expect(skewText(-30_000)).toBe('30.0 s behind');
    expect(skewText(250.4)).toBe('250 ms ahead of');
  });

  it('SMSQ_CLOCK_SKEW_WARN_MS defaults to 1000 and is read', () => {
    expect(loadConfig({}).clockSkewWarnMs).toBe(DEFAULT_CLOCK_SKEW_WARN_MS);
    expect(loadConfig({ SMSQ_CLOCK_SKEW_WARN_MS: '250' }).clockSkewWarnMs).toBe(250);
  });
});

describe('clock skew records', () => {
  const record = (r: Partial<ClockSkewRecord>): ClockSkewRecord => ({ skewMs: 0, roundTripMs: 1, thresholdMs: 1000, past: false, atMs: 100_000, ...r });

  it('keeps those measured since the horizon, names the older for removal, and leaves what it cannot read', () => {
    const hash = { a: clockSkewField(record({ skewMs: -30_000, past: true })), old: clockSkewField(record({ atMs: 10 })), later: '{"v":2}', broken: 'x' };
    const { records, stale } = parseClockSkews(hash, 50_000);
    expect(records).toEqual([{ worker: 'a', record: record({ skewMs: -30_000, past: true }) }]);
    expect(stale).toEqual(['old']);
  });

  it('warns of those past their threshold, the furthest named by its skew, no worker by name', () => {
    expect(clockSkewWarning([record({})])).toBeUndefined();
    const text = clockSkewWarning([record({ skewMs: 1500, past: true }), record({ skewMs: -4000, past: true }), record({ skewMs: 2 })]);
    expect(text).toMatch(/^2 workers' clocks are off Redis's by more than SMSQ_CLOCK_SKEW_WARN_MS \(the furthest 4\.0 s behind Redis's\)/);
    expect(text).toMatch(/Fix: run NTP on the workers' hosts/);
  });
});
