import { describe, expect, it } from 'vitest';
import { batchExtendCodes, EXTEND_CODES_NAMED } from '../../producers/extend-codes.js';

describe('a batch\'s extension codes, as its plan and record name them', () => {
  it('names the distinct codes in the order first given, messages without one left out', () => {
    expect(batchExtendCodes(['0601', undefined, '0602', '0601'])).toBe('0601,0602');
    expect(batchExtendCodes(['07', '07'])).toBe('07');
  });

  it('is undefined when no message has one', () => {
    expect(batchExtendCodes([])).toBeUndefined();
    expect(batchExtendCodes([undefined, undefined])).toBeUndefined();
  });

  it(`writes out the first ${EXTEND_CODES_NAMED} and counts the rest, so the record stays small`, () => {
    const codes = Array.from({ length: 1234 }, (_, i) => String(i).padStart(4, '0'));
    expect(batchExtendCodes(codes)).toBe('0000,0001,0002,0003,0004,0005,0006,0007,0008,0009 and 1,224 more');
    expect(batchExtendCodes(codes.slice(0, EXTEND_CODES_NAMED))).toBe(codes.slice(0, EXTEND_CODES_NAMED).join(','));
  });
});
