import { describe, expect, it } from 'vitest';
import { otherIdShape } from '../../src/send-id-shape.js';

describe('ids an operator copies that are not send ids', () => {
  it('a BizId, with or without its ^N suffix: what it is, and the details command that finds it', () => {
    for (const bizId of ['402617584525830937^0', '402617584525830937']) {
      const shape = otherIdShape(bizId);
      expect(shape?.kind).toBe('bizId');
      expect(shape?.what).toMatch(/^is a BizId \(.*\), not a send id$/);
      expect(shape?.fix).toBe(`smsq details --phone NUMBER --date yyyyMMdd --biz-id ${bizId} (the number it went to, and the China Standard Time day it was sent)`);
    }
  });

  it("smsq's own OutId: the attempt, chunk and send it names, and the status of that send", () => {
    const shape = otherIdShape('smx8k5nwj5d7ae857a7a7.3.2-0a1b2c3d4e');
    expect(shape).toEqual({
      kind: 'outId',
      shown: 'smx8k5nwj5d7ae857a7a7.3.2-0a1b2c3d4e',
      what: 'is an OutId (attempt 2 of chunk smx8k5nwj5d7ae857a7a7.3, as smsq details shows it), not a send id',
      fix: 'smsq status smx8k5nwj5d7ae857a7a7',
      apiFix: 'GET /v1/sends/smx8k5nwj5d7ae857a7a7',
    });
  });

  it('a send id, and other words, are neither', () => {
    for (const value of ['smx8k5nwj5d7ae857a7a7', 's123', 'hello', '12345', 'smx8k5.x']) expect(otherIdShape(value)).toBeUndefined();
  });
});

describe('a phone number pasted for a send id', () => {
  it('is named a phone number, masked, with the command that lists what was sent to it; never a BizId', () => {
    for (const phone of ['13800138000', '8613800138000', '+8613800138000', '85291234567']) {
      const shape = otherIdShape(phone);
      expect(shape?.kind, phone).toBe('phone');
      expect(shape?.shown).toMatch(/^\d{3}\*{4}\d{4}$/);
      expect(shape?.what).toBe('is a phone number, not a send id');
      expect(JSON.stringify(shape)).not.toContain(phone.replace(/^\+/, '').slice(-8));
      expect(shape?.fix).toMatch(/^smsq details --phone NUMBER --date yyyyMMdd/);
    }
  });

  it('a BizId is what no phone number can be: 16 digits or more, or a ^ part', () => {
    expect(otherIdShape('402617584525830937')?.kind).toBe('bizId');
    expect(otherIdShape('123456789012345^0')?.kind).toBe('bizId');
    expect(otherIdShape('1234567890123')?.kind).not.toBe('bizId');
  });
});
