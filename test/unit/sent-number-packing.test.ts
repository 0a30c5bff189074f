import { describe, expect, it } from 'vitest';
import { packByBucket, packNumber, PACKED_WIDTH, SENT_NUMBER_BUCKETS, TABLE_ENTRY_WIDTH, unpackBucket } from '../../src/receipts/sent-number-packing.js';
import { phoneValue } from '../../src/sms/phone-value.js';

/** The table of a packing as [bucket, count] pairs. */
function entries(table: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < table.length; i += TABLE_ENTRY_WIDTH) out.push([table.readUInt16LE(i), table.readUInt32LE(i + 2)]);
  return out;
}

describe('phoneValue', () => {
  it('reads 1-15 digits without a leading zero, and nothing else', () => {
    expect(phoneValue('13800138000')).toBe(13800138000);
    expect(phoneValue('999999999999999')).toBe(999_999_999_999_999);
    expect(phoneValue('85291234567')).toBe(85291234567);
    for (const bad of ['', '0138', '1380013800a', '+8613800138000', '1234567890123456', ' 138']) expect(phoneValue(bad), bad).toBe(0);
  });
});

describe('packByBucket', () => {
  it('groups numbers by bucket in table order, and unpacks to the same numbers', () => {
    const lists = [
      ['13800138000', '13800139024', '85291234567'],
      ['999999999999999', '13800138001', '13800138000'],
    ];
    const packed = packByBucket(lists);
    expect(packed.count).toBe(6);
    expect(packed.numbers.length).toBe(6 * PACKED_WIDTH);
    const table = entries(packed.table);
    expect(table.map(([b]) => b)).toEqual([...table.map(([b]) => b)].sort((a, b) => a - b));
    expect(table.reduce((n, [, c]) => n + c, 0)).toBe(6);
    const back: string[] = [];
    let at = 0;
    for (const [bucket, count] of table) {
      const numbers = unpackBucket(bucket, packed.numbers.subarray(at, at + count * PACKED_WIDTH));
      for (const n of numbers) expect(phoneValue(n) % SENT_NUMBER_BUCKETS).toBe(bucket);
      back.push(...numbers);
      at += count * PACKED_WIDTH;
    }
    expect(back.sort()).toEqual(lists.flat().sort());
    // 13800138000 and 13800139024 differ by 1024: one bucket, two entries, and the repeat kept.
    expect(table.find(([b]) => b === 13800138000 % SENT_NUMBER_BUCKETS)?.[1]).toBe(3);
  });

  it('packs a number as packNumber does, low byte first', () => {
    const { bucket, bytes } = packNumber('13800138000');
    expect(bucket).toBe(13800138000 % 1024);
    expect(bytes.readUIntLE(0, PACKED_WIDTH)).toBe(Math.floor(13800138000 / 1024));
    const packed = packByBucket([['13800138000']]);
    expect(packed.numbers).toEqual(bytes);
    expect(entries(packed.table)).toEqual([[bucket, 1]]);
  });

  it('packs nothing for no numbers', () => {
    const packed = packByBucket([[], []]);
    expect(packed).toMatchObject({ count: 0 });
    expect(packed.table.length).toBe(0);
  });

  it('refuses a string that is not a normalised number, without echoing it', () => {
    expect(() => packByBucket([['13800138000', '+8613800138000']])).toThrow(RangeError);
    expect(() => packByBucket([['13800138000', '+8613800138000']])).not.toThrow(/8613800138000/);
  });
});
