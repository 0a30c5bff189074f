import { describe, expect, it } from 'vitest';
import { NARROW_LIMIT, narrowHash, narrowValue, PhoneSet } from '../../producers/phone-set.js';

describe('PhoneSet', () => {
  it('keeps each number once across growth', () => {
    const s = new PhoneSet();
    let added = 0;
    for (let i = 0; i < 200_000; i++) if (s.add(String(13800000000 + i))) added++;
    expect(added).toBe(200_000);
    expect(s.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) if (s.add(String(13800000000 + i))) added++;
    expect(added).toBe(200_000);
    expect(s.add('85291234567')).toBe(true);
    expect(s.add('85291234567')).toBe(false);
    expect(s.size).toBe(200_001);
  });

  it('agrees with a Set on mixed lengths, spread-out numbers and repeats', () => {
    const s = new PhoneSet();
    const ref = new Set<string>();
    let x = 12345;
    let disagreements = 0;
    for (let i = 0; i < 300_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const len = 8 + (x % 8); // 8..15 digits
      const phone = String(1 + (x % 9)) + String(x % 100_000).padStart(14, '7').slice(0, len - 1);
      if (s.add(phone) === ref.has(phone)) disagreements++;
      ref.add(phone);
      if (i % 3 === 0 && s.add(phone)) disagreements++;
    }
    expect(disagreements).toBe(0);
    expect(ref.size).toBeLessThan(300_000); // repeats did occur
    expect(s.size).toBe(ref.size);
  });

  it('holds mainland numbers in 5-10 bytes each (4-byte slots, pages 40-80% full)', () => {
    const s = new PhoneSet();
    for (let i = 0; i < 3_000_000; i++) {
      s.add(String(13500000000 + (i % 5) * 100000000 + Math.floor(i / 5)));
      if (i === 999_999 || i === 2_999_999) {
        expect(s.bytes / s.size).toBeGreaterThan(5);
        expect(s.bytes / s.size).toBeLessThan(10.5);
      }
    }
    expect(s.size).toBe(3_000_000);
  });

  it('holds numbers from 2^35 up (international, 11-15 digits) in 10-20 bytes each (8-byte slots)', () => {
    const s = new PhoneSet();
    let added = 0;
    for (let i = 0; i < 1_000_000; i++) if (s.add(String(85200000000 + i * 7))) added++;
    expect(added).toBe(1_000_000);
    expect(s.add('85200000007')).toBe(false);
    expect(s.size).toBe(1_000_000);
    expect(s.bytes / s.size).toBeGreaterThan(10);
    expect(s.bytes / s.size).toBeLessThan(20.5);
  });

  it('keeps numbers on both sides of 2^35 apart and each once', () => {
    const s = new PhoneSet();
    const near = [NARROW_LIMIT - 2, NARROW_LIMIT - 1, NARROW_LIMIT, NARROW_LIMIT + 1, 1, 9, 10_000_000].map(String);
    for (const p of near) expect(s.add(p), p).toBe(true);
    for (const p of near) expect(s.add(p), p).toBe(false);
    expect(s.size).toBe(near.length);
  });

  it('hashes numbers below 2^35 by a permutation (the number is found again from its hash)', () => {
    let x = 7;
    const values = [0, 1, NARROW_LIMIT - 1, 13800138000, 19999999999];
    for (let i = 0; i < 100_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      values.push((x % 8) * 0x1_0000_0000 + (Math.imul(x, 2654435761) >>> 0));
    }
    const wrong = values.filter((v) => {
      const h = narrowHash(v);
      return !(Number.isInteger(h) && h >= 0 && h < NARROW_LIMIT && narrowValue(h) === v);
    });
    expect(wrong).toEqual([]);
    expect(Math.max(...values)).toBeGreaterThan(2 ** 34); // values spread over all 35 bits
  });

  it('keeps apart strings that are not 1-15 digits without a leading zero', () => {
    const s = new PhoneSet();
    expect(s.add('1234567890123456')).toBe(true);
    expect(s.add('1234567890123456')).toBe(false);
    expect(s.add('0123')).toBe(true);
    expect(s.add('123')).toBe(true);
    expect(s.add('0123')).toBe(false);
    expect(s.add('12a')).toBe(true);
    expect(s.add('')).toBe(true);
    expect(s.add('')).toBe(false);
    expect(s.size).toBe(5);
  });

  it('still works when thousands of numbers below 2^35 share the top 20 bits of their hash (a page that cannot split)', () => {
    const prefix = 0b1011_0011_1000_1111_0101; // 20 bits
    const phones = Array.from({ length: 4000 }, (_, i) => String(narrowValue(prefix * 2 ** 15 + i)));
    const s = new PhoneSet();
    expect(phones.filter((p) => s.add(p)).length).toBe(4000);
    expect(phones.filter((p) => s.add(p)).length).toBe(0);
    expect(s.size).toBe(4000);
  });

  it('still works when thousands of numbers share one hash (a page that cannot split)', () => {
    // lo ^ imul(hi, 0x9e3779b1) is the same for every k: one 32-bit hash for all of them.
    const phones: string[] = [];
    for (let k = 1; k <= 4000; k++) phones.push(String(k * 0x1_0000_0000 + ((0x5555 ^ Math.imul(k, 0x9e3779b1)) >>> 0)));
    const s = new PhoneSet();
    expect(phones.filter((p) => s.add(p)).length).toBe(4000);
    expect(phones.filter((p) => s.add(p)).length).toBe(0);
    expect(s.size).toBe(4000);
  });

  it('keeps two values a number once asked, through splits, for numbers on both sides of 2^35 and those whose page cannot split', () => {
    const prefix = 0b1011_0011_1000_1111_0101;
    const stuck = Array.from({ length: 4000 }, (_, i) => String(narrowValue(prefix * 2 ** 15 + i)));
    const phones = [...Array.from({ length: 100_000 }, (_, i) => String(13800000000 + i * 3)), ...Array.from({ length: 20_000 }, (_, i) => String(85200000000 + i * 7)), ...stuck, 'x1'];
    const half = Math.floor(phones.length / 2);
    const s = new PhoneSet();
    // The first half in before values are kept: they take the values keepValues gives.
    for (const p of phones.slice(0, half)) s.add(p);
    s.keepValues(7, 0xffffffff);
    phones.slice(half).forEach((p, i) => expect(s.add(p, 1000 + i, i)).toBe(true));
    let wrong = 0;
    phones.forEach((p, i) => {
      expect(s.add(p, 1, 1)).toBe(false);
      const want = i < half ? [7, 0xffffffff] : [1000 + i - half, i - half];
      if (s.earlier0 !== want[0] || s.earlier1 !== want[1]) wrong++;
    });
    expect(wrong).toBe(0);
    expect(s.size).toBe(phones.length);
  });

  it('takes 8 bytes a slot more with values: 15-30 bytes a mainland number, nothing more without them', () => {
    const plain = new PhoneSet();
    const kept = new PhoneSet();
    kept.keepValues(0, 0);
    for (let i = 0; i < 1_000_000; i++) {
      const phone = String(13500000000 + (i % 5) * 100000000 + Math.floor(i / 5));
      plain.add(phone);
      kept.add(phone, i, i);
    }
    expect(plain.bytes / plain.size).toBeLessThan(10.5);
    // The same pages (the same numbers split them alike), 12 bytes a slot instead of 4; the directory alike.
    expect(kept.bytes / plain.bytes).toBeGreaterThan(2.9);
    expect(kept.bytes / plain.bytes).toBeLessThan(3);
    expect(kept.bytes / kept.size).toBeGreaterThan(15);
    expect(kept.bytes / kept.size).toBeLessThan(31);
  });
});

