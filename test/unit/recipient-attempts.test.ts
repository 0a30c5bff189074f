/**
 * How a recipient's attempts read (src/receipts/send-recipients.ts): an attempt undone before its
 * call (the worker stopping, for one) is not an attempt that made a call, and says so; a compacted
 * chunk keeps the count (compact-send.lua's head line) and one compacted before it reads as before.
 */
import { describe, expect, it } from 'vitest';
import { attemptsText, decodeCompactChunk } from '../../src/receipts/send-recipients.js';

const SEND = 'smx9rzz74e0df4c9634fe';
const CREATED = 1796436650992;

describe('a recipient of a compacted chunk', () => {
  it('counts the attempts undone before their call apart from those that made one', () => {
    // Claimed three times, two of them undone: one call.
    const [r] = decodeCompactChunk(SEND, '#0|a||715174000000000001^0|3|2s|a8195a51cb|2\n13300000000', CREATED);
    expect(r).toMatchObject({ state: 'accepted', attempts: 1, attemptsUndone: 2 });
  });

  it('compacted before the count was kept (or never undone): every claim an attempt, none undone', () => {
    for (const head of ['#0|a||715174000000000001^0|1|2s|a8195a51cb', '@0|accepted|OK|715174000000000001^0|1|mx9rzz7g|a8195a51cb']) {
      const [r] = decodeCompactChunk(SEND, `${head}\n13300000000`, CREATED);
      expect(r?.attempts).toBe(1);
      expect(r).not.toHaveProperty('attemptsUndone');
    }
  });

  it('never reads more undone than claimed (a record altered by hand)', () => {
    const [r] = decodeCompactChunk(SEND, '#0|x|SMSQ_CANCELLED||1||a8195a51cb|5\n13300000000', CREATED);
    expect(r).toMatchObject({ attempts: 0, attemptsUndone: 1 });
  });
});

describe('attemptsText', () => {
  it('is the count alone when nothing was undone, and names the undone ones otherwise', () => {
    expect(attemptsText({ attempts: 1 })).toBe('1');
    expect(attemptsText({ attempts: 0, attemptsUndone: 1 })).toBe('0 (+1 undone)');
    expect(attemptsText({ attempts: 1, attemptsUndone: 2 })).toBe('1 (+2 undone)');
  });
});
