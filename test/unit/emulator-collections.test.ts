import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/emulator/min-heap.js';
import { RecipientStore, type StoredRecipient } from '../../src/emulator/record-store.js';
import { RingBuffer } from '../../src/emulator/ring-buffer.js';

const DAY = Date.UTC(2026, 0, 1, 4); // noon in Beijing

function rec(phone: string, i: number, finalCode = 'DELIVERED'): StoredRecipient {
  return {
    phone,
    mainland: true,
    bizId: `${i}^0`,
    outId: '',
    signName: 'S',
    templateCode: 'T',
    templateType: 1,
    content: 'c',
    smsSize: 1,
    acceptedAt: DAY + i,
    dueAt: DAY + i,
    finalCode,
    dropped: false,
  };
}

describe('emulator ring buffer', () => {
  it('keeps the newest entries, oldest first', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
    r.clear();
    expect(r.toArray()).toEqual([]);
  });
});

describe('emulator min-heap', () => {
  it('pops by time, ties in insertion order', () => {
    const h = new MinHeap<{ at: number; id: string }>();
    for (const [at, id] of [[5, 'a'], [1, 'b'], [5, 'c'], [3, 'd'], [1, 'e']] as const) h.push({ at, id });
    const out: string[] = [];
    for (let x = h.pop(); x; x = h.pop()) out.push(x.id);
    expect(out).toEqual(['b', 'e', 'd', 'a', 'c']);
  });
});

describe('emulator recipient store', () => {
  it('indexes by number and caps records per number, oldest out', () => {
    const s = new RecipientStore(1000, 3);
    for (let i = 0; i < 5; i++) s.add(rec('13800000001', i));
    s.add(rec('13800000002', 9));
    expect(s.forPhone('13800000001').map((r) => r.bizId)).toEqual(['2^0', '3^0', '4^0']);
    expect(s.size()).toBe(4);
    expect([...s.all()].map((r) => r.bizId)).toEqual(['2^0', '3^0', '4^0', '9^0']);
  });

  it('caps the total, and folds records that leave into the statistics counters', () => {
    const s = new RecipientStore(10, 100);
    for (let i = 0; i < 25; i++) s.add(rec(String(13800000000 + i), i, i % 5 === 0 ? 'UNDELIV' : 'DELIVERED'));
    expect(s.size()).toBe(10);
    expect(s.forPhone('13800000000')).toEqual([]);
    const evicted = [...s.evictedCounts()];
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({ globe: 1, signName: 'S', templateType: 1, total: 15, success: 12, fail: 3 });
  });

  it('stays within a constant factor of its live records however records leave', () => {
    const s = new RecipientStore(100_000, 2);
    for (let i = 0; i < 50_000; i++) s.add(rec('13800000001', i));
    expect(s.size()).toBe(2);
    // The internal queue is compacted; the observable bound is that iteration stays short.
    expect([...s.all()]).toHaveLength(2);
    s.clear();
    expect(s.size()).toBe(0);
  });
});
