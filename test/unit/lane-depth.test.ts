import { describe, expect, it } from 'vitest';
import { createLaneDepthGauge, DEFAULT_BULK_DEPTH } from '../../src/queue/lane-depth.js';

describe('bulk lane depth', () => {
  it('starts at the ceiling (the fixed depth of earlier versions) and comes down to a few round trips of a quiet Redis', () => {
    const gauge = createLaneDepthGauge();
    expect(gauge.depthMs(0)).toBe(DEFAULT_BULK_DEPTH.ceilingMs);
    for (let t = 0; t <= 10_000; t += 1) gauge.observe(1.5, t);
    // Two round trips (3 ms) would do; the floor keeps 4.
    expect(gauge.depthMs(10_000)).toBe(DEFAULT_BULK_DEPTH.floorMs);
    for (let t = 10_001; t <= 20_000; t += 1) gauge.observe(3, t);
    expect(gauge.depthMs(20_000)).toBe(6);
  });

  it('follows a slower Redis at once, and eases back by half every half-life once the round trips are quick again', () => {
    const gauge = createLaneDepthGauge({ floorMs: 1, ceilingMs: 50, factor: 2, halfLifeMs: 1000 });
    for (let t = 0; t < 5000; t++) gauge.observe(1, t);
    expect(gauge.depthMs(5000)).toBeCloseTo(2, 1);
    gauge.observe(12, 5000); // an fsync stall
    expect(gauge.depthMs(5000)).toBe(24);
    for (let t = 5001; t <= 6000; t++) gauge.observe(1, t);
    expect(gauge.depthMs(6000)).toBeCloseTo(12, 5);
    for (let t = 6001; t <= 7000; t++) gauge.observe(1, t);
    expect(gauge.depthMs(7000)).toBeCloseTo(6, 5);
    // Slower round trips than the decayed hold take over.
    gauge.observe(5, 7000);
    expect(gauge.depthMs(7000)).toBe(10);
  });

  it('stays within its floor and ceiling', () => {
    const gauge = createLaneDepthGauge({ floorMs: 4, ceilingMs: 20, factor: 2, halfLifeMs: 1000 });
    gauge.observe(500, 0);
    expect(gauge.depthMs(0)).toBe(20);
    expect(gauge.depthMs(60_000)).toBe(4);
  });
});
