import { describe, expect, it } from 'vitest';
import { maxInSlidingWindow, planRateWindow } from '../../src/queue/rate-window.js';

describe('planRateWindow', () => {
  it.each([1, 2, 3, 7, 40, 50, 100, 499, 1000, 4500, 5000])('never lets a sliding second exceed qps=%i', (qps) => {
    const w = planRateWindow(qps);
    expect(w.max).toBeGreaterThanOrEqual(1);
    expect(w.worstSlidingSecond).toBeLessThanOrEqual(qps);
    if (w.max > 1) {
      // Worst case re-derived from the window: ceil(1000/d) + 2 windows can touch one second.
      expect(w.max * (Math.ceil(1000 / w.duration) + 2)).toBeLessThanOrEqual(qps);
    } else {
      // One start per window: consecutive calls are at least duration - jitter apart.
      expect(Math.ceil(1000 / (w.duration - 50))).toBeLessThanOrEqual(qps);
    }
  });

  it('keeps at least 95% of the cap on average at production caps', () => {
    for (const qps of [2000, 4500, 5000]) {
      const w = planRateWindow(qps);
      expect(w.sustainedPerSecond / qps).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('uses short windows for high caps (precision) and longer ones for tiny caps', () => {
    expect(planRateWindow(4500).duration).toBeLessThanOrEqual(20);
    expect(planRateWindow(3).duration).toBeGreaterThanOrEqual(500);
  });

  it('rejects nonsense', () => {
    expect(() => planRateWindow(0)).toThrow(RangeError);
    expect(() => planRateWindow(1.5)).toThrow(RangeError);
  });

  it('simulated fixed windows with start jitter stay under the cap in every sliding second', () => {
    const qps = 4500;
    const w = planRateWindow(qps);
    const calls: number[] = [];
    let t = 0;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Adversarial: every window fills instantly; each call leaves up to 0.9 window later.
    while (t < 5000) {
      for (let i = 0; i < w.max; i++) calls.push(t + rand() * w.duration * 0.9 + (i === w.max - 1 ? w.duration * 0.99 : 0));
      t += w.duration;
    }
    expect(maxInSlidingWindow(calls, 1000)).toBeLessThanOrEqual(qps);
  });
});

describe('maxInSlidingWindow', () => {
  it('counts the busiest half-open window', () => {
    expect(maxInSlidingWindow([0, 999, 1000, 1001, 1500], 1000)).toBe(4);
    expect(maxInSlidingWindow([], 1000)).toBe(0);
  });
});
