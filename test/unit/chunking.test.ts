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

  it('gives each SendBatchSms the extension codes of its messages, matched by position', () => {
    const messages = phones(150).map((phone, i) => ({ phone, signName: 'S', smsUpExtendCode: String(100 + i) }));
    const chunks = chunkBatch(messages, 'SMS_2', 'notification');
    expect(chunks.map((c) => c.phones.length)).toEqual([100, 50]);
    const second = chunks[1]!;
    if (second.api !== 'SendBatchSms') throw new Error('not a batch');
    expect(second.smsUpExtendCodes?.[7]).toBe('207');
    expect(second.phones[7]).toBe(messages[107]!.phone);
    // None given: no SmsUpExtendCodeJson at all, as before.
    const plain = chunkBatch(phones(3).map((phone) => ({ phone, signName: 'S' })), 'SMS_2', 'notification');
    expect(plain[0]).not.toHaveProperty('smsUpExtendCodes');
  });

  it('puts messages with a code and messages without in chunks of their own: no empty code is sent', () => {
    // Whether SendBatchSms takes "" for "no code" in SmsUpExtendCodeJson is undocumented.
    const messages = phones(5).map((phone, i) => ({ phone, signName: 'S', ...(i % 2 === 0 ? { smsUpExtendCode: `0${i}` } : {}) }));
    const chunks = chunkBatch(messages, 'SMS_2', 'notification');
    expect(chunks).toHaveLength(2);
    const coded = chunks.find((c) => c.api === 'SendBatchSms' && c.smsUpExtendCodes);
    const plain = chunks.find((c) => c.api === 'SendBatchSms' && !c.smsUpExtendCodes);
    expect(coded?.phones).toEqual([messages[0]!.phone, messages[2]!.phone, messages[4]!.phone]);
    expect(coded?.api === 'SendBatchSms' && coded.smsUpExtendCodes).toEqual(['00', '02', '04']);
    expect(plain?.phones).toEqual([messages[1]!.phone, messages[3]!.phone]);
    expect(chunks.flatMap((c) => c.phones).sort()).toEqual(phones(5));
  });

  it('gives a verification code its extension code as SendSms\'s SmsUpExtendCode', () => {
    const chunks = chunkBatch([{ phone: '13800000001', signName: 'S', templateParam: { code: '1' }, smsUpExtendCode: '42' }, { phone: '13800000002', signName: 'S', templateParam: { code: '2' } }], 'SMS_2', 'verification');
    expect(chunks).toEqual([
      { api: 'SendSms', phones: ['13800000001'], signName: 'S', templateCode: 'SMS_2', templateParam: { code: '1' }, smsUpExtendCode: '42' },
      { api: 'SendSms', phones: ['13800000002'], signName: 'S', templateCode: 'SMS_2', templateParam: { code: '2' } },
    ]);
  });
});
