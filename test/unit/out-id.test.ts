import { describe, expect, it } from 'vitest';
import { foreignAttemptOf, MAX_ATTEMPT, newOutIdNonce, parseOutId } from '../../src/queue/out-id.js';

describe('OutId nonces', () => {
  it('are 40 random bits in hex, distinct across refills of their pool, and parse inside an OutId', () => {
    const nonces = Array.from({ length: 5000 }, () => newOutIdNonce()); // the pool holds 1024
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{10}$/);
    // 5000 draws of 40 bits: a repeat has odds of about 1 in 10^5.
    expect(new Set(nonces).size).toBe(nonces.length);
    // Not a fixed or cyclic sequence: the bits are spread (each hex digit seen, none dominant).
    const digits = new Map<string, number>();
    for (const ch of nonces.join('')) digits.set(ch, (digits.get(ch) ?? 0) + 1);
    expect(digits.size).toBe(16);
    for (const count of digits.values()) expect(count).toBeLessThan((50_000 / 16) * 1.2);
    expect(parseOutId(`s1a2b3.4.2-${nonces[0]}`)).toEqual({ sendId: 's1a2b3', index: '4', chunkId: 's1a2b3.4', attempt: 2 });
  });
});

describe('OutId attempts', () => {
  it('reads an attempt only as our claims write one: plain digits from 1 to MAX_ATTEMPT', () => {
    expect(parseOutId(`sabc123.7.${MAX_ATTEMPT}-0af39c2e1b`)).toMatchObject({ chunkId: 'sabc123.7', attempt: MAX_ATTEMPT });
    // Past it (1e14 is where Lua prints 1e+14, 2^53 where JavaScript loses digits), 0, a leading zero: another system's.
    for (const attempt of [String(MAX_ATTEMPT + 1), '100000000000000', '99999999999999999999', '0', '07']) {
      expect(parseOutId(`sabc123.7.${attempt}-abcdef`), attempt).toBeUndefined();
      expect(parseOutId(`sabc123.7.${attempt}`), attempt).toBeUndefined();
    }
  });

  it('tells a chunk record\'s attempt none of our claims make (as earlier versions stored a forged one): not plain digits from 0 to MAX_ATTEMPT', () => {
    for (const ours of [undefined, null, '0', '1', String(MAX_ATTEMPT)]) expect(foreignAttemptOf(ours), String(ours)).toBeUndefined();
    for (const foreign of ['1e+20', '1e+14', String(MAX_ATTEMPT + 1), '07', '', '-1', '2.5']) expect(foreignAttemptOf(foreign), foreign).toBe(foreign);
  });
});
