import { describe, expect, it } from 'vitest';
import { chunkBatch, chunkSms, slices } from '../../producers/chunking.js';

const phones = (n: number) => Array.from({ length: n }, (_, i) => `138${String(i).padStart(8, '0')}`);

describe('chunking', () => {
  it('slices into consecutive parts of at most size', () => {
    expect(slices([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(() => slices([1], 0)).toThrow(RangeError);
  });

  it('puts up to 1000 numbers in one SendSms', () => {
    const chunks = chunkSms(phones(2500), { signName: 'S', templateCode: 'SMS_1' }, 'notification');
    expect(chunks.map((c) => c.phones.length)).toEqual([1000, 1000, 500]);
    expect(chunks.every((c) => c.api === 'SendSms' && c.signName === 'S')).toBe(true);
    expect(chunks.flatMap((c) => c.phones)).toEqual(phones(2500));
  });

  it('sends verification codes one number per SendSms', () => {
    const chunks = chunkSms(phones(3), { signName: 'S', templateCode: 'SMS_1', templateParam: { code: '1' } }, 'verification');
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => c.phones.length === 1 && c.templateParam?.code === '1')).toBe(true);
  });

  it('puts up to 100 personalised messages in one SendBatchSms, matched by position', () => {
    const messages = phones(250).map((phone, i) => ({ phone, signName: `S${i % 2}`, templateParam: { name: `n${i}` } }));
    const chunks = chunkBatch(messages, 'SMS_2', 'marketing');
    expect(chunks.map((c) => c.phones.length)).toEqual([100, 100, 50]);
    const second = chunks[1]!;
    expect(second.api).toBe('SendBatchSms');
    if (second.api !== 'SendBatchSms') return;
    expect(second.signNames[5]).toBe('S1');
    expect(second.templateParams?.[5]).toEqual({ name: 'n105' });
    expect(second.phones[5]).toBe(messages[105]!.phone);
  });

  it('never batches verification codes', () => {
    const chunks = chunkBatch([{ phone: '13800000001', signName: 'S', templateParam: { code: '1' } }], 'SMS_2', 'verification');
    expect(chunks).toEqual([{ api: 'SendSms', phones: ['13800000001'], signName: 'S', templateCode: 'SMS_2', templateParam: { code: '1' } }]);
  });
});
