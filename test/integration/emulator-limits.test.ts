import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURE_NAMES as N,
  type DysmsapiClient,
  type Emulator,
  type EmulatorOptions,
} from '../../src/emulator/index.js';

// 2026-03-02 00:00:00 UTC+8.
const CST_MIDNIGHT = Date.UTC(2026, 2, 1, 16);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(opts: EmulatorOptions): Promise<{ clock: ManualClock; client: DysmsapiClient; emu: Emulator; endpoint: string }> {
  const clock = createManualClock(CST_MIDNIGHT);
  emulator = createEmulator({ clock, ...opts });
  const { endpoint } = await emulator.listen();
  return { clock, client: createEmulatorSdkClient(endpoint), emu: emulator, endpoint };
}

const code = (phone: string, signName: string = N.sign) =>
  new $Dysmsapi.SendSmsRequest({ phoneNumbers: phone, signName, templateCode: N.verificationTemplate, templateParam: '{"code":"123456"}' });
const marketing = (phones: string) =>
  new $Dysmsapi.SendSmsRequest({ phoneNumbers: phones, signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"x"}' });

describe('emulator account cap (sliding 1 s window on the clock)', () => {
  it('admits qps calls of any kind in a window, throttles the next with Throttling.User, recovers as it slides', async () => {
    const { clock, client, emu } = await start({ qps: 5, flowControl: false });
    const signs = () => client.querySmsSignList(new $Dysmsapi.QuerySmsSignListRequest({ pageIndex: 1, pageSize: 10 }));
    for (let i = 0; i < 3; i++) expect((await client.sendSms(marketing(String(13800000000 + i)))).body?.code).toBe('OK');
    clock.advance(600);
    expect((await signs()).body?.code).toBe('OK');
    expect((await signs()).body?.code).toBe('OK');
    await expect(client.sendSms(marketing('13800000009'))).rejects.toMatchObject({
      name: 'ThrottlingError',
      code: 'Throttling.User',
      statusCode: 400,
      retryAfter: 400,
    });
    clock.advance(399);
    await expect(signs()).rejects.toMatchObject({ code: 'Throttling.User', retryAfter: 1 });
    clock.advance(1);
    // The three calls at t=0 left the window: three more fit, not four.
    for (let i = 0; i < 3; i++) expect((await signs()).body?.code).toBe('OK');
    await expect(signs()).rejects.toMatchObject({ code: 'Throttling.User' });
    expect(emu.accepted()).toHaveLength(3);

    // calls() lets a test check the cap: no sliding second holds more than 5 admitted calls.
    const admitted = emu.calls().filter((c) => c.code !== 'Throttling.User').map((c) => c.at);
    for (const t of admitted) expect(admitted.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(5);
    expect(emu.calls().filter((c) => c.code === 'Throttling.User')).toHaveLength(3);
  });

  it('qps can change at run time, and 0 turns the cap off', async () => {
    const { client, emu } = await start({ qps: 1, flowControl: false });
    expect((await client.sendSms(marketing('13800000001'))).body?.code).toBe('OK');
    await expect(client.sendSms(marketing('13800000002'))).rejects.toMatchObject({ code: 'Throttling.User' });
    emu.configure({ qps: 0 });
    for (let i = 0; i < 20; i++) expect((await client.sendSms(marketing(String(13800000010 + i)))).body?.code).toBe('OK');
  });

  it('does not count requests that fail authentication', async () => {
    const { client, endpoint } = await start({ qps: 1, flowControl: false });
    const bad = createEmulatorSdkClient(endpoint, { accessKey: { accessKeyId: 'smsq-sandbox-key', accessKeySecret: 'wrong' } });
    for (let i = 0; i < 3; i++) await expect(bad.sendSms(marketing('13800000001'))).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect((await client.sendSms(marketing('13800000001'))).body?.code).toBe('OK');
  });
});

describe('emulator per-number flow control (clock-aligned UTC+8 windows)', () => {
  it('verification codes: 1 per minute, 5 per hour, 10 per day per signature and number', async () => {
    const { clock, client } = await start({});
    const phone = '13800138000';
    expect((await client.sendSms(code(phone))).body?.code).toBe('OK');
    const refused = (await client.sendSms(code(phone))).body;
    expect(refused).toMatchObject({ code: 'isv.BUSINESS_LIMIT_CONTROL', message: '触发分钟级流控Permits:1' });
    // Another number, or another signature, is not limited by this one.
    expect((await client.sendSms(code('13800138001'))).body?.code).toBe('OK');
    expect((await client.sendSms(code(phone, N.aliyunTestSign))).body?.code).toBe('OK');

    for (let i = 1; i < 5; i++) {
      clock.set(CST_MIDNIGHT + i * MINUTE);
      expect((await client.sendSms(code(phone))).body?.code).toBe('OK');
    }
    clock.set(CST_MIDNIGHT + 5 * MINUTE);
    expect((await client.sendSms(code(phone))).body?.message).toBe('触发小时级流控Permits:5');
    for (let i = 0; i < 5; i++) {
      clock.set(CST_MIDNIGHT + HOUR + i * MINUTE);
      expect((await client.sendSms(code(phone))).body?.code).toBe('OK');
    }
    clock.set(CST_MIDNIGHT + 3 * HOUR);
    expect((await client.sendSms(code(phone))).body?.message).toBe('触发天级流控Permits:10');
    // Midnight in Beijing (16:00 UTC) starts a new day.
    clock.set(CST_MIDNIGHT + 24 * HOUR);
    expect((await client.sendSms(code(phone))).body?.code).toBe('OK');
  });

  it('a SendSms naming any number over its limit is refused whole, and counts for nobody', async () => {
    const { emu, client } = await start({});
    expect((await client.sendSms(code('13800000001'))).body?.code).toBe('OK');
    const body = (await client.sendSms(code('13800000002,13800000001'))).body;
    expect(body?.code).toBe('isv.BUSINESS_LIMIT_CONTROL');
    expect(emu.accepted()).toHaveLength(1);
    expect((await client.sendSms(code('13800000002'))).body?.code).toBe('OK');
  });

  it('notifications and marketing: 50 a day with one signature and template to one number', async () => {
    const { clock, client } = await start({ qps: 0 });
    for (let i = 0; i < 50; i++) expect((await client.sendSms(marketing('13800000001,13800000002'))).body?.code).toBe('OK');
    expect((await client.sendSms(marketing('13800000001'))).body).toMatchObject({
      code: 'isv.BUSINESS_LIMIT_CONTROL',
      message: '触发天级流控Permits:50',
    });
    clock.advance(24 * HOUR);
    expect((await client.sendSms(marketing('13800000001'))).body?.code).toBe('OK');
  });

  it('international numbers are not flow-controlled; flowControl: false turns it off', async () => {
    const { emu, client } = await start({});
    const intl = () =>
      client.sendSms(new $Dysmsapi.SendSmsRequest({ phoneNumbers: '85291234567', signName: N.sign, templateCode: N.internationalTemplate, templateParam: '{"code":"1"}' }));
    for (let i = 0; i < 5; i++) expect((await intl()).body?.code).toBe('OK');
    emu.configure({ flowControl: false });
    for (let i = 0; i < 5; i++) expect((await client.sendSms(code('13800138000'))).body?.code).toBe('OK');
  });
});
