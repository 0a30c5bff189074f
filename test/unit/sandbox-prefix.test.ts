/**
 * Two `smsq sandbox` runs on one Redis: each removes its keys when it ends, so a prefix they shared
 * would have the first to end delete the other's sends mid-run (seen in CI: two runs started
 * together, the second's verification code read SMSQ_NOT_FOUND and BullMQ logged "Missing key").
 */
import { describe, expect, it } from 'vitest';
import { sandboxPrefix } from '../../cli/commands/sandbox-prefix.js';
import { PREFIX_SHAPE } from '../../src/factory-options.js';

describe('sandboxPrefix', () => {
  it('differs between two runs started in the same millisecond', () => {
    const now = Date.UTC(2026, 11, 7, 16, 0, 0);
    const prefixes = new Set(Array.from({ length: 50 }, () => sandboxPrefix(now)));
    expect(prefixes.size).toBe(50);
  });

  it('is one hash tag, a prefix smsq accepts, that says when the run started', () => {
    const now = Date.UTC(2026, 11, 7, 16, 0, 0);
    const prefix = sandboxPrefix(now);
    expect(prefix).toMatch(/^\{smsq-sandbox-[0-9a-z]+-[0-9a-f]{8}\}$/);
    expect(prefix.slice('{smsq-sandbox-'.length).split('-')[0]).toBe(now.toString(36));
    expect(prefix).toMatch(PREFIX_SHAPE);
  });
});
