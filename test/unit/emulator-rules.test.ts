import { describe, expect, it } from 'vitest';
import { cstDayIndex, formatCstDateTime, formatCstDay, formatCstDayIndex, parseCstDay } from '../../src/emulator/cst-time.js';
import { parsePhone } from '../../src/emulator/phone.js';
import { compileTemplate, missingVariables, renderContent, segmentCount } from '../../src/emulator/template.js';

describe('emulator CST dates', () => {
  it('formats in UTC+8 whatever the host zone', () => {
    const t = Date.UTC(2026, 0, 1, 16, 30, 5); // 2026-01-02 00:30:05 in Beijing
    expect(formatCstDay(t)).toBe('20260102');
    expect(formatCstDateTime(t)).toBe('2026-01-02 00:30:05');
    expect(formatCstDay(t - 31 * 60_000)).toBe('20260101');
  });

  it('parses yyyyMMdd to the same day index, and rejects non-dates', () => {
    const t = Date.UTC(2026, 0, 1, 16, 30, 5);
    expect(parseCstDay('20260102')).toBe(cstDayIndex(t));
    expect(formatCstDayIndex(cstDayIndex(t))).toBe('20260102');
    for (const bad of ['2026012', '20260230', '20261301', 'abcdefgh', '2026-01-02']) expect(parseCstDay(bad)).toBeUndefined();
  });
});

describe('emulator phone rules', () => {
  it('reads mainland numbers with every accepted prefix', () => {
    for (const raw of ['13800138000', '+8613800138000', '008613800138000', '8613800138000']) {
      expect(parsePhone(raw)).toEqual({ normalized: '13800138000', mainland: true });
    }
  });

  it('reads international numbers as country code + number without +', () => {
    expect(parsePhone('85291234567')).toEqual({ normalized: '85291234567', mainland: false });
    expect(parsePhone('447911123456')).toEqual({ normalized: '447911123456', mainland: false });
  });

  it('refuses what Dysmsapi refuses', () => {
    for (const raw of ['', '+85291234567', '1380013800a', '123', '0013800138000', '1380013800', '861380013800', '1234567890123456', '138 0013 8000']) {
      expect([raw, parsePhone(raw)]).toEqual([raw, undefined]);
    }
  });
});

describe('emulator templates', () => {
  const t = compileTemplate('尊敬的${name}，订单${order}已发货，${name}请查收');

  it('lists variables once each and renders with the signature', () => {
    expect(t.variables).toEqual(['name', 'order']);
    expect(renderContent('签名', t, { name: 'A', order: '1' })).toBe('【签名】尊敬的A，订单1已发货，A请查收');
  });

  it('names missing variables', () => {
    expect(missingVariables(t, { name: 'A' })).toEqual(['order']);
    expect(missingVariables(t, undefined)).toEqual(['name', 'order']);
    expect(missingVariables(compileTemplate('no vars'), undefined)).toEqual([]);
  });

  it('counts billed segments: 70 characters in one, then 67 each', () => {
    expect(segmentCount('字'.repeat(70))).toBe(1);
    expect(segmentCount('字'.repeat(71))).toBe(2);
    expect(segmentCount('字'.repeat(134))).toBe(2);
    expect(segmentCount('字'.repeat(135))).toBe(3);
  });
});
