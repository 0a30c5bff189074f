import { describe, expect, it } from 'vitest';
import { messageHash } from '../../producers/message-hash.js';

describe('messageHash', () => {
  it('is the same for the same params in any order, and tells apart a value, a key, where a value ends, none', () => {
    expect(messageHash({ name: 'Li', order: '1' })).toBe(messageHash({ order: '1', name: 'Li' }));
    const distinct: (Record<string, string> | undefined)[] = [undefined, { name: 'Li' }, { name: 'Wang' }, { Name: 'Li' }, { name: 'Li', order: '1' }, { a: 'bc' }, { ab: 'c' }, { a: '', b: 'c' }, { a: 'b', c: '' }];
    expect(new Set(distinct.map(messageHash)).size).toBe(distinct.length);
    expect(messageHash({})).toBe(messageHash(undefined));
  });

  it('spreads similar params over 32 bits (no collision among 200,000 order numbers)', () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 200_000; i++) hashes.add(messageHash({ name: '会员', order: `A${i}` }));
    // 2^32 values: 200,000 hashes collide about 4.7 times in a thousand runs.
    expect(hashes.size).toBe(200_000);
    for (const h of [...hashes].slice(0, 1000)) expect(h >>> 0).toBe(h);
  });
});
