import { describe, expect, it } from 'vitest';
import { callDeadlineProblem, claimHoldProblem, clockSkewMarginMs, defaultCallDeadlineMs, minimumSettleMs, shortestCallDeadlineMs, type ClaimHoldWords } from '../../src/queue/call-deadline.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('call deadline', () => {
  it('defaults to half the settling window', () => {
    expect(defaultCallDeadlineMs(60_000)).toBe(30_000);
  });

  it('leaves 24 s between two workers\' clocks with the defaults, as docs/operations.md (Clocks) and the clock-skew warnings say', () => {
    const c = loadConfig({});
    const settleMs = c.reconcileSettleMs;
    expect(clockSkewMarginMs({ settleMs, callDeadlineMs: defaultCallDeadlineMs(settleMs), connectTimeoutMs: c.readTimeoutMs, readTimeoutMs: c.readTimeoutMs })).toBe(24_000);
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

  describe('outlasting what a claim waits for by design (its confirmation, then its pacer slot)', () => {
    const words: ClaimHoldWords = {
      deadline: 'DEADLINE',
      confirmation: 'TIMEOUT',
      longerDeadline: (min) => `deadline >= ${min}`,
      shorterConfirmation: (max) => `timeout <= ${max}`,
      leastTimeoutMs: 10,
    };

    it('is the pacer reach + the confirmation wait + 100 ms', () => {
      expect(shortestCallDeadlineMs({ pacerReachMs: 2000, confirmationMs: 0 })).toBe(2100);
      expect(claimHoldProblem(2100, { pacerReachMs: 2000, confirmationMs: 0 }, words)).toBeUndefined();
      expect(claimHoldProblem(2099, { pacerReachMs: 2000, confirmationMs: 0 }, words)).toMatch(/^DEADLINE is shorter than .*the call pacer's reach \(2000 ms.* = 2100 ms\..*SMSQ_GAVE_UP.*Fix: deadline >= 2100$/);
    });

    it('names the confirmation, and lowering it as a fix where the deadline leaves room for one', () => {
      // Without the pacer (BullMQ's window): the confirmation alone.
      expect(claimHoldProblem(1099, { pacerReachMs: 0, confirmationMs: 1000 }, words)).toMatch(/TIMEOUT for its durability confirmation, \+ 100 ms = 1100 ms\..*Fix: deadline >= 1100, or timeout <= 999$/);
      expect(claimHoldProblem(3100, { pacerReachMs: 2000, confirmationMs: 1000 }, words)).toBeUndefined();
      expect(claimHoldProblem(3099, { pacerReachMs: 2000, confirmationMs: 1000 }, words)).toMatch(/TIMEOUT for its durability confirmation, then the call pacer's reach .*Fix: deadline >= 3100, or timeout <= 999$/);
      // No timeout the setting takes would do: only the deadline can move.
      expect(claimHoldProblem(2105, { pacerReachMs: 2000, confirmationMs: 1000 }, words)).toMatch(/Fix: deadline >= 3100$/);
    });
  });

  it('refuses at start a confirmation timeout that the call deadline does not outlast, naming both and which to change', () => {
    const lines = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).code).toBe('SMSQ_CONFIG_INVALID');
        return (err as ConfigError).lines;
      }
    };
    expect(lines({ SMSQ_DURABILITY: 'replicas', SMSQ_DURABILITY_TIMEOUT_MS: '60000' })).toEqual([
      expect.stringMatching(
        /^the call deadline of 30000 ms \(half of SMSQ_RECONCILE_SETTLE_MS=60000\) is shorter than .*SMSQ_DURABILITY_TIMEOUT_MS=60000 \(SMSQ_DURABILITY=replicas\) .* = 62100 ms\. .*Fix: raise SMSQ_RECONCILE_SETTLE_MS to 124200 or more, or lower SMSQ_DURABILITY_TIMEOUT_MS to 27900 or less$/,
      ),
    ]);
    expect(lines({ SMSQ_DURABILITY: 'waitaof', SMSQ_DURABILITY_TIMEOUT_MS: '27901' })).toHaveLength(1);
    expect(lines({ SMSQ_DURABILITY: 'fsync+replicas', SMSQ_DURABILITY_TIMEOUT_MS: '27900' })).toEqual([]);
    // fsync and none send no WAIT: the timeout keeps no claim from its call.
    expect(lines({ SMSQ_DURABILITY: 'fsync', SMSQ_DURABILITY_TIMEOUT_MS: '60000' })).toEqual([]);
  });

  it('refuses at start a call deadline shorter than the pacer reach, with the window that both rules allow', () => {
    expect(() => loadConfig({ SMSQ_RECONCILE_SETTLE_MS: '1000', SMS_READ_TIMEOUT_MS: '250' })).toThrow(
      /^the call deadline of 500 ms \(half of SMSQ_RECONCILE_SETTLE_MS=1000\) is shorter than .*the call pacer's reach \(2000 ms.*Fix: raise SMSQ_RECONCILE_SETTLE_MS to 4200 or more$/,
    );
    expect(loadConfig({ SMSQ_RECONCILE_SETTLE_MS: '4200', SMS_READ_TIMEOUT_MS: '250' }).reconcileSettleMs).toBe(4200);
    // The read timeout's rule, when it asks for more, is the fix of both lines.
    expect(() => loadConfig({ SMSQ_RECONCILE_SETTLE_MS: '4000', SMS_READ_TIMEOUT_MS: '1500' })).toThrow(/SMSQ_RECONCILE_SETTLE_MS=6000 or more[^]*raise SMSQ_RECONCILE_SETTLE_MS to 6000 or more/);
  });
});
