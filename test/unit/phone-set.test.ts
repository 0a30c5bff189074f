import { describe, expect, it } from 'vitest';
import { PhoneSet } from '../../producers/phone-set.js';

describe('PhoneSet', () => {
  it('keeps each number once across growth', () => {
    const s = new PhoneSet();
    for (let i = 0; i < 200_000; i++) expect(s.add(String(13800000000 + i))).toBe(true);
    expect(s.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) expect(s.add(String(13800000000 + i))).toBe(false);
    expect(s.add('85291234567')).toBe(true);
    expect(s.add('85291234567')).toBe(false);
    expect(s.size).toBe(200_001);
  });

  it('falls back for numbers longer than 15 digits', () => {
    const s = new PhoneSet();
    expect(s.add('1234567890123456')).toBe(true);
    expect(s.add('1234567890123456')).toBe(false);
    expect(s.size).toBe(1);
  });
});
