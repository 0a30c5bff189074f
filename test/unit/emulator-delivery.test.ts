import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILURE_CODES, decideOutcome, errorMessageFor, receiptAt, stableHash } from '../../src/emulator/delivery.js';

const settings = (failureRatio: number, failureCodes = DEFAULT_FAILURE_CODES) => ({ delayMs: 1000, failureRatio, failureCodes });

describe('emulator receipt model', () => {
  it('decides the same outcome for the same BizId and number, every run', () => {
    const a = Array.from({ length: 200 }, (_, i) => decideOutcome('123^0', String(13800000000 + i), settings(0.5)));
    const b = Array.from({ length: 200 }, (_, i) => decideOutcome('123^0', String(13800000000 + i), settings(0.5)));
    expect(a).toEqual(b);
    expect(stableHash('hello')).toBe(stableHash('hello'));
    expect(stableHash('hello')).not.toBe(stableHash('hellp'));
  });

  it('fails about failureRatio of recipients, with codes from the list', () => {
    const n = 10_000;
    const outcomes = Array.from({ length: n }, (_, i) => decideOutcome(`${i}^0`, '13800138000', settings(0.3)));
    const failed = outcomes.filter((c) => c !== 'DELIVERED');
    expect(failed.length / n).toBeGreaterThan(0.27);
    expect(failed.length / n).toBeLessThan(0.33);
    expect(new Set(failed)).toEqual(new Set(DEFAULT_FAILURE_CODES));
  });

  it('spreads sequential numbers of one send evenly', () => {
    const phones = Array.from({ length: 1000 }, (_, i) => String(13800000000 + i));
    const failed = phones.filter((p) => decideOutcome('1', p, settings(0.5)) !== 'DELIVERED').length;
    expect(failed).toBeGreaterThan(450);
    expect(failed).toBeLessThan(550);
  });

  it('ratio 0 delivers everything, ratio 1 fails everything', () => {
    for (let i = 0; i < 100; i++) {
      expect(decideOutcome(`${i}^0`, '13800138000', settings(0))).toBe('DELIVERED');
      expect(decideOutcome(`${i}^0`, '13800138000', settings(1, ['UNDELIV']))).toBe('UNDELIV');
    }
  });

  it('waits until the due time, then reports delivered (3) or failed (2)', () => {
    expect(receiptAt(1000, 'DELIVERED', 999)).toEqual({ sendStatus: 1, errCode: '', receiveAt: undefined });
    expect(receiptAt(1000, 'DELIVERED', 1000)).toEqual({ sendStatus: 3, errCode: 'DELIVERED', receiveAt: 1000 });
    expect(receiptAt(1000, 'IC:0055', 5000)).toEqual({ sendStatus: 2, errCode: 'IC:0055', receiveAt: 1000 });
  });

  it('has a message for every default code and for DELIVERED', () => {
    expect(errorMessageFor('DELIVERED')).toBe('用户接收成功');
    for (const c of DEFAULT_FAILURE_CODES) expect(errorMessageFor(c)).not.toBe(c);
    expect(errorMessageFor('XX:1')).toBe('XX:1');
  });
});
