import { describe, expect, it } from 'vitest';
import { callDeadlineProblem, defaultCallDeadlineMs, minimumSettleMs } from '../../src/queue/call-deadline.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('call deadline', () => {
  it('defaults to half the settling window', () => {
    expect(defaultCallDeadlineMs(60_000)).toBe(30_000);
  });

  it('is sound when the window covers deadline + connect + read', () => {
    const t = { callDeadlineMs: 1000, connectTimeoutMs: 1000, readTimeoutMs: 1000 };
    expect(minimumSettleMs(t)).toBe(3000);
    expect(callDeadlineProblem({ ...t, settleMs: 3000 })).toBeUndefined();
    expect(callDeadlineProblem({ ...t, settleMs: 2999 })).toMatch(/settling window \(2999 ms\) is shorter than .* = 3000 ms/);
    expect(callDeadlineProblem({ ...t, callDeadlineMs: 0, settleMs: 10_000 })).toMatch(/must be positive/);
  });

  it('refuses a settling window that a held-up call could outlast, naming both variables and the fix', () => {
    expect(() => loadConfig({ SMSQ_RECONCILE_SETTLE_MS: '10000', SMS_READ_TIMEOUT_MS: '3000' })).toThrow(ConfigError);
    try {
      loadConfig({ SMSQ_RECONCILE_SETTLE_MS: '10000', SMS_READ_TIMEOUT_MS: '3000' });
    } catch (err) {
      expect((err as ConfigError).lines).toEqual([expect.stringMatching(/^SMSQ_RECONCILE_SETTLE_MS=10000 is too short for SMS_READ_TIMEOUT_MS=3000: .*Fix: SMSQ_RECONCILE_SETTLE_MS=12000 or more/)]);
    }
    expect(loadConfig({ SMSQ_RECONCILE_SETTLE_MS: '12000', SMS_READ_TIMEOUT_MS: '3000' }).reconcileSettleMs).toBe(12_000);
    expect(loadConfig({}).reconcileSettleMs).toBe(60_000);
  });
});
