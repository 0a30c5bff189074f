/** The workers' durability holds as status and /metrics read them: pure parsing, no Redis. */
import { describe, expect, it } from 'vitest';
import { durabilityHoldMember, parseDurabilityHolds } from '../../src/queue/durability-holds.js';

describe('durability holds', () => {
  it('counts each worker once and keeps the distinct refusals, sorted, a refusal with the separator in it whole', () => {
    const everysec = 'Redis cannot keep SMSQ_DURABILITY=fsync: appendfsync is everysec. Fix: CONFIG SET appendfsync always';
    const rewrite = 'Redis cannot keep SMSQ_DURABILITY=fsync: no-appendfsync-on-rewrite is yes | odd. Fix: CONFIG SET no-appendfsync-on-rewrite no';
    const members = [durabilityHoldMember('web-1:41:a1b2c3', everysec), durabilityHoldMember('web-2:7:d4e5f6', rewrite), durabilityHoldMember('web-3:9:0a0b0c', everysec)];
    expect(parseDurabilityHolds(members)).toEqual({ workers: 3, refusals: [everysec, rewrite] });
  });

  it('is undefined when no worker holds, and skips members of another shape', () => {
    expect(parseDurabilityHolds([])).toBeUndefined();
    expect(parseDurabilityHolds(['no-separator', '|no worker', 'web-1:1:aa|'])).toBeUndefined();
  });
});
