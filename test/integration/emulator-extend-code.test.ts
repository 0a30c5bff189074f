/**
 * The emulator's SmsUpExtendCode rule, through the real SDK (smsq's client): a code is 1-12 digits,
 * as smsq's door takes it, and anything else is answered isv.EXTEND_CODE_ERROR with nothing
 * accepted. The emulator took an empty SmsUpExtendCode (and an empty element of SmsUpExtendCodeJson)
 * as no code; what Dysmsapi does with one is not documented (dysmsapi.md), so the emulator refuses
 * what smsq itself refuses rather than accept a request the real API might not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import type { SmsClient, SmsOutcome } from '../../src/sms/types.js';
import { startEmulatorClient } from '../support/emulator-client.js';

const NOTE = { name: 'Ada', order: 'A1' };
const closers: (() => Promise<void>)[] = [];
let emulator: Emulator;
let client: SmsClient;

beforeAll(async () => {
  ({ emulator, client } = await startEmulatorClient((close) => void closers.push(close)));
});
afterAll(async () => {
  for (const close of closers) await close();
});
beforeEach(() => emulator.reset());

const codeOf = (outcome: SmsOutcome<unknown>) => (outcome.ok ? 'OK' : outcome.error.code);
const sendSms = (smsUpExtendCode: string) => client.sendSms({ phoneNumbers: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, smsUpExtendCode });
const sendBatch = (smsUpExtendCodes: string[]) =>
  client.sendBatchSms({
    phoneNumbers: smsUpExtendCodes.map((_, i) => `1380013800${i}`),
    signNames: smsUpExtendCodes.map(() => N.sign),
    templateCode: N.notificationTemplate,
    templateParams: smsUpExtendCodes.map(() => NOTE),
    smsUpExtendCodes,
  });

describe('the emulator\'s SmsUpExtendCode', () => {
  it('SendSms: an empty code, spaces, a non-digit or 13 digits are isv.EXTEND_CODE_ERROR, nothing accepted; 1-12 digits go', async () => {
    for (const code of ['', ' 07', '07 ', '0 7', '12a', '1234567890123']) expect(codeOf(await sendSms(code)), JSON.stringify(code)).toBe('isv.EXTEND_CODE_ERROR');
    expect(emulator.accepted()).toEqual([]);
    for (const code of ['0', '07', '123456789012']) expect(codeOf(await sendSms(code)), code).toBe('OK');
    expect(emulator.accepted().map((a) => a.extendCodes)).toEqual([['0'], ['07'], ['123456789012']]);
  });

  it('SendBatchSms: one empty or spaced code in SmsUpExtendCodeJson refuses the call, nothing accepted', async () => {
    for (const codes of [['01', ''], ['', ''], ['01', ' 02']]) expect(codeOf(await sendBatch(codes)), JSON.stringify(codes)).toBe('isv.EXTEND_CODE_ERROR');
    expect(emulator.accepted()).toEqual([]);
    expect(codeOf(await sendBatch(['01', '02']))).toBe('OK');
    expect(emulator.accepted().map((a) => a.extendCodes)).toEqual([['01', '02']]);
  });
});
