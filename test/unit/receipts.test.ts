import { describe, expect, it } from 'vitest';
import { isOptOut, parseOutId, parseSmsReports } from '../../src/receipts/pushed-reports.js';
import { isLookedUp, lookAt } from '../../src/queue/receipt-policy.js';
import { decodeReceipt, encodeReceipt } from '../../src/receipts/recipient-store.js';

describe('receipt schedule', () => {
  const schedule = { lookDelaysMs: [1000, 5000, 20_000], windowMs: 60_000 };
  it('uses the listed delays from acceptance, then repeats the last gap, until the window ends', () => {
    expect([1, 2, 3, 4, 5].map((l) => lookAt(schedule, 100, l))).toEqual([1100, 5100, 20_100, 35_100, 50_100]);
    expect(lookAt(schedule, 100, 6)).toBeUndefined(); // 65 s is past the 60 s window
    expect(lookAt({ lookDelaysMs: [], windowMs: 1000 }, 0, 1)).toBeUndefined();
  });
});

describe('receipt policy', () => {
  it('looks up all, none, or a stable sample', () => {
    expect(isLookedUp({ mode: 'all', sampleRate: 1 }, 's1', '13800000000')).toBe(true);
    expect(isLookedUp({ mode: 'none', sampleRate: 1 }, 's1', '13800000000')).toBe(false);
    const sample = { mode: 'sample' as const, sampleRate: 0.1 };
    const picked = Array.from({ length: 10_000 }, (_, i) => isLookedUp(sample, 's1', String(13800000000 + i))).filter(Boolean).length;
    expect(picked).toBeGreaterThan(850);
    expect(picked).toBeLessThan(1150);
    expect(isLookedUp(sample, 's1', '13800000042')).toBe(isLookedUp(sample, 's1', '13800000042'));
  });
});

describe('pushed reports', () => {
  it('recognises opt-out replies, trimmed and case-insensitive', () => {
    expect(['TD', ' td ', 't', '退订'].every((c) => isOptOut(c))).toBe(true);
    expect(['TDX', 'please stop', ''].some((c) => isOptOut(c))).toBe(false);
  });

  it('recognises opt-out replies as phones type them: full-width letters, punctuation, spaces between (they were not opted out)', () => {
    for (const reply of ['ＴＤ', 'ｔｄ', '退订。', '退订!', '退订！', 'T D', 'TD.', '"TD"', '【退订】', '退 订', 'td~']) expect(isOptOut(reply), reply).toBe(true);
    for (const reply of ['TDD', '不退订', '退订单', 'T1', '...', '。']) expect(isOptOut(reply), reply).toBe(false);
    expect(isOptOut('Stop!', ['STOP'])).toBe(true);
  });

  it('reads our OutIds and nothing else', () => {
    expect(parseOutId('sabc123.7.2')).toEqual({ sendId: 'sabc123', index: '7', chunkId: 'sabc123.7', attempt: 2 });
    expect(parseOutId('sabc123.7-3.1')).toEqual({ sendId: 'sabc123', index: '7-3', chunkId: 'sabc123.7-3', attempt: 1 });
    expect(parseOutId('sabc123.7-3.12-0af39c2e1b')).toEqual({ sendId: 'sabc123', index: '7-3', chunkId: 'sabc123.7-3', attempt: 12 });
    expect(parseOutId('order-42')).toBeUndefined();
    expect(parseOutId(undefined)).toBeUndefined();
  });

  it('refuses a push that is no array as a whole; sets aside an item that is no report, naming its fields', () => {
    expect(() => parseSmsReports({ phone_number: '1', success: true })).toThrow(/\(body\)/);
    expect(parseSmsReports([{ phone_number: '1', success: true }, { phone_number: '2' }, 7])).toMatchObject({
      items: [{ phone_number: '1' }],
      malformed: [{ index: 1, fields: ['(body)[1].success'] }, { index: 2, fields: ['(body)[2]'] }],
    });
    expect(parseSmsReports([{ phone_number: '1', success: false }]).items[0]).toMatchObject({ err_code: '' });
    // Another system's report with null where text is optional reads as if the field were absent.
    const nulls = { phone_number: '1', success: false, err_code: null, err_msg: null, out_id: null, send_time: null, report_time: null, sms_size: null, biz_id: null };
    expect(parseSmsReports([nulls])).toEqual({ items: [{ phone_number: '1', success: false, err_code: '' }], malformed: [] });
    // A biz_id is written on the chunk when a report settles a lost answer: one the record cannot
    // hold is left out, and the push (every other report in it) still applies.
    expect(parseSmsReports([{ phone_number: '1', success: true, biz_id: '402617584525830937^0' }]).items[0]).toMatchObject({ biz_id: '402617584525830937^0' });
    for (const bizId of ['1|2', '1\n2', '1 2', '', 'x'.repeat(65), 42]) {
      const [odd, other] = parseSmsReports([{ phone_number: '1', success: true, biz_id: bizId }, { phone_number: '2', success: true, biz_id: '7^0' }]).items;
      expect(odd?.biz_id).toBeUndefined();
      expect(other?.biz_id).toBe('7^0');
    }
  });

  it('stores receipts compactly and reads them back (to the second)', () => {
    const delivered = { state: 'delivered', code: 'DELIVERED', receivedAt: 1_700_000_000_000, source: 'query' } as const;
    expect(encodeReceipt(delivered).length).toBeLessThanOrEqual(12);
    expect(decodeReceipt(encodeReceipt(delivered))).toEqual(delivered);
    const failed = { state: 'failed', code: 'MK:0001', receivedAt: 1_700_000_000_999, source: 'report' } as const;
    expect(decodeReceipt(encodeReceipt(failed))).toEqual({ ...failed, receivedAt: 1_700_000_000_000 });
    // A report whose own time was unusable: the push's time, marked by the source letter (still three separators, as compaction packs them).
    const atPush = { state: 'delivered', code: 'DELIVERED', receivedAt: 1_700_000_000_000, source: 'report', receivedAtFromPush: true } as const;
    expect(encodeReceipt(atPush).split('|')).toHaveLength(4);
    expect(decodeReceipt(encodeReceipt(atPush))).toEqual(atPush);
    expect(decodeReceipt(encodeReceipt({ ...atPush, receivedAtFromPush: false }))).toEqual({ ...atPush, receivedAtFromPush: undefined });
    const expired = { state: 'expired', code: 'SMSQ_RECEIPT_WINDOW', receivedAt: undefined, source: 'window' } as const;
    expect(decodeReceipt(encodeReceipt(expired))).toEqual(expired);
    expect(decodeReceipt(null)).toBeUndefined();
    expect(decodeReceipt('z|y')).toBeUndefined();
  });

  it("stores a carrier code as text whoever gave it: a look-up's ErrCode with the record's separators changes no other field", () => {
    // The fields are `|`-separated and a compacted send is lines of them: a code holding either
    // moved the time or made up a recipient (a pushed report did; the workers' look-ups write the same way).
    const odd = { state: 'failed', code: 'MK|zz|q\n13869999999|d||1|r', receivedAt: 1_700_000_000_000, source: 'query' } as const;
    const stored = encodeReceipt(odd);
    expect(stored.split('|')).toHaveLength(4);
    expect(stored).not.toMatch(/[\n\r]/);
    expect(decodeReceipt(stored)).toEqual({ ...odd, code: 'MK_zz_q_13869999999_d__1_r' });
    expect(decodeReceipt(encodeReceipt({ ...odd, code: 'X'.repeat(500) }))?.code).toHaveLength(64);
  });
});
