/** How long a send job waits after its claim was not confirmed durable: steps shared by the worker's jobs, doubling to a cap, reset by a confirmed claim. */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createClaimDurabilityBackoff, DEFAULT_CLAIM_DURABILITY_BACKOFF } from '../../workers/claim-durability-backoff.js';

describe('claim durability back-off', () => {
  it('puts every job refused within a step back to the same moment, and the first refused after it into the next step, twice as long', () => {
    const clock = createManualClock();
    const backoff = createClaimDurabilityBackoff(clock, { firstMs: 1000, maxMs: 60_000 });
    expect(backoff.notConfirmed()).toBe(1000);
    clock.advance(300);
    expect(backoff.notConfirmed()).toBe(700);
    clock.advance(700);
    expect(backoff.notConfirmed()).toBe(2000);
    clock.advance(2000);
    expect(backoff.notConfirmed()).toBe(4000);
  });

  it('stops doubling at the cap, however long it lasts', () => {
    const clock = createManualClock();
    const backoff = createClaimDurabilityBackoff(clock, { firstMs: 1000, maxMs: 8000 });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const ms = backoff.notConfirmed();
      waits.push(ms);
      clock.advance(ms);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000]);
  });

  it('starts over at the first wait once a claim is confirmed', () => {
    const clock = createManualClock();
    const backoff = createClaimDurabilityBackoff(clock);
    for (let i = 0; i < 4; i++) clock.advance(backoff.notConfirmed());
    backoff.confirmed();
    expect(backoff.notConfirmed()).toBe(DEFAULT_CLAIM_DURABILITY_BACKOFF.firstMs);
  });

  it('defaults to 1 s doubling to 60 s', () => {
    const clock = createManualClock();
    const backoff = createClaimDurabilityBackoff(clock);
    let last = 0;
    for (let i = 0; i < 12; i++) {
      last = backoff.notConfirmed();
      clock.advance(last);
    }
    expect(last).toBe(60_000);
  });
});
