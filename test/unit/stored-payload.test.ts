/** A chunk's payload read back from Redis (src/queue/stored-payload.ts): what does not parse is named, never quoted. */
import { describe, expect, it } from 'vitest';
import { readStoredChunk, readStoredPayload } from '../../src/queue/stored-payload.js';

const SMS = { api: 'SendSms', phones: ['13800138000'], signName: 'S', templateCode: 'T', templateParam: { code: '4821' } };
const BATCH = { api: 'SendBatchSms', phones: ['13800138000', '13800138001'], signNames: ['S', 'S'], templateCode: 'T' };

function problem(stored: string | undefined): string {
  const read = readStoredPayload(stored);
  if (read.ok) throw new Error('parsed');
  return read.problem;
}

describe('readStoredPayload', () => {
  it('reads what the producer writes, of either API', () => {
    expect(readStoredPayload(JSON.stringify(SMS))).toEqual({ ok: true, payload: SMS });
    expect(readStoredPayload(JSON.stringify(BATCH))).toEqual({ ok: true, payload: BATCH });
  });

  it('names text that is not JSON by where it broke, quoting none of it', () => {
    const text = JSON.stringify(SMS);
    expect(problem(text.slice(0, 30))).toMatch(/^payload: not valid JSON \(30 characters, cut short\)\. Fix: /);
    expect(problem(`${text}x`)).toMatch(/^payload: not valid JSON \(\d+ characters, broken at character \d+\)\. Fix: /);
    const quoted = problem('x13800138000 4821');
    expect(quoted).toMatch(/^payload: not valid JSON \(17 characters\)\. Fix: /);
    expect(quoted).not.toMatch(/13800138000|4821/);
    expect(problem(undefined)).toMatch(/^payload: missing from the chunk record\. Fix: /);
  });

  it('names each field of the wrong shape by the schema its api names, at most three and a count', () => {
    expect(problem('[]')).toMatch(/^payload: must be a JSON object\. Fix: /);
    expect(problem(JSON.stringify({ ...SMS, api: 'SendMms' }))).toMatch(/^payload\.api: must be "SendSms" or "SendBatchSms"\. Fix: /);
    expect(problem(JSON.stringify({ ...SMS, phones: '13800138000' }))).toMatch(/^payload\.phones: must be a list, got a string\. Fix: /);
    expect(problem(JSON.stringify({ ...BATCH, signNames: ['S'] }))).toMatch(/^payload: signNames must match phones one to one\. Fix: /);
    const many = problem(JSON.stringify({ ...SMS, phones: [1, 2, 3, 4, 5] }));
    expect(many).toMatch(/^payload\.phones\[0\]: must be a string, got a number; payload\.phones\[1\]: .*; payload\.phones\[2\]: [^;]*; and 2 more\. Fix: /);
  });

  it('reads a batch\'s extension codes, and a batch written before they existed', () => {
    const coded = { ...BATCH, smsUpExtendCodes: ['01', '02'] };
    expect(readStoredPayload(JSON.stringify(coded))).toEqual({ ok: true, payload: coded });
    // Written by a version without the field: read as a batch without codes.
    const old = readStoredPayload(JSON.stringify(BATCH));
    expect(old.ok && old.payload.api === 'SendBatchSms' && old.payload.smsUpExtendCodes).toBeUndefined();
    expect(problem(JSON.stringify({ ...BATCH, smsUpExtendCodes: ['01'] }))).toMatch(/^payload: smsUpExtendCodes must match phones one to one\. Fix: /);
  });
});

describe('readStoredChunk', () => {
  it('reads payload and kind, and names each field that does not parse in one problem', () => {
    expect(readStoredChunk({ payload: JSON.stringify(SMS), kind: 'verification' })).toEqual({ payload: SMS, kind: 'verification', problem: undefined });
    const noKind = readStoredChunk({ payload: JSON.stringify(SMS), kind: undefined });
    expect(noKind).toMatchObject({ payload: SMS, kind: undefined });
    expect(noKind.problem).toMatch(/^kind: missing from the chunk record\. Fix: /);
    // Not replaced by a default: the kind decides how a chunk may be sent.
    expect(readStoredChunk({ payload: JSON.stringify(SMS), kind: 'Marketing' }).problem).toMatch(/^kind: must be one of verification, notification, marketing\. Fix: /);
    const both = readStoredChunk({ payload: 'x13800138000', kind: '' });
    expect(both).toMatchObject({ payload: undefined, kind: undefined });
    expect(both.problem).toMatch(/^payload: not valid JSON \(12 characters\); kind: missing from the chunk record\. Fix: /);
    expect(both.problem).not.toContain('13800138000');
  });
});
